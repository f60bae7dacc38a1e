"""People: who uses this Keel and what each may do. Everyone sees the list; only an admin changes it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import store, team
from ui.common import esc, guard, page

access = page("People", "👥")

st.title("👥 People")
st.markdown(
    "When Keel is shared by a team, each person has a role. **Viewers** look at models and results, **editors** "
    "also add data, train, retrain and change which version is in use, and **admins** also decide who has which "
    "role."
)

with guard():
    people = store.list_people()
if not people:
    st.info(
        "Keel runs for one person: nobody has a role yet, so everything is allowed without a login. To share it, "
        "put a login proxy in front of Keel and add the first admin with `python -m core people add NAME --role "
        "admin` (see 'For a team' in the README).",
        icon="👤",
    )
else:
    st.dataframe(
        pd.DataFrame(
            {
                "person": [p.name for p in people],
                "e-mail": [p.email for p in people],
                "role": [p.role for p in people],
            }
        ),
        hide_index=True,
    )

st.subheader("Give someone a role")
if not access.may("manage_people"):
    st.info(esc(access.why_not("manage_people")), icon="🔒")
    st.stop()
with st.form("add_person", clear_on_submit=True):
    name = st.text_input("Name (as the login proxy sends it)")
    email = st.text_input("E-mail (optional)")
    role = st.radio("Role", store.ROLES, index=0, horizontal=True)
    if st.form_submit_button("Save", type="primary"):
        with guard(stop=False):
            saved = team.add_person(name, role, email)
            st.success(f"{esc(saved.name)} is now {'an' if saved.role[:1] in 'aeiou' else 'a'} {esc(saved.role)}.")
            st.rerun()
if people:
    st.subheader("Take someone's role away")
    gone = st.selectbox("Person", [p.name for p in people], index=None, placeholder="Choose a person")
    if gone and st.button(f"Remove {gone}"):
        with guard(stop=False):
            team.remove_person(gone)
            st.rerun()
