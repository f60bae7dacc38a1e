"""Who is using the app and what their role lets them do, for the pages (the rules are core.team's).

Each page run asks once (:func:`who`): the login proxy's header, trusted only from ``KEEL_TRUSTED_PROXY``
(core.team.identify), or Streamlit's own OIDC login. The person is recorded as the actor of everything the run
writes (the audit log names them). Single-user mode, with no team configured, allows everything and shows
nothing.

A page gates each action with ``access.may(permission)`` (disabling the control, with ``access.why_not`` beside
it) or stops with :func:`need`, so a viewer sees plainly what they cannot do and why.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core import store, team
from core.team import Access
from ui.common import esc


def _oidc_user() -> dict[str, Any] | None:
    """Streamlit's own login, where an OIDC provider is configured (secrets [auth]); None otherwise."""
    try:
        if not st.secrets.get("auth"):
            return None
    except Exception:  # no secrets file at all: no OIDC
        return None
    try:
        return dict(st.user.to_dict())
    except Exception:
        return None


def who() -> Access:
    """The person behind this page run, with their role (or a refusal), recorded as the actor of its writes."""
    headers = {k: v for k, v in st.context.headers.items()}
    access = team.identify(headers, st.context.ip_address, _oidc_user())
    store.set_actor(access.person, access.role)
    return access


def gate(access: Access) -> None:
    """Stop the page when the person may not use Keel at all (an untrusted header, no role), saying what to do;
    in a team, name the person and their role in the sidebar."""
    if not access.allowed:
        st.error(f"**{esc(access.refusal)}** {esc(access.hint)}", icon="🔒")
        if access.login_needed and st.button("Log in"):
            st.login()
        st.stop()
    if access.team and access.person:
        st.sidebar.caption(f"Signed in as **{esc(access.person)}** · {esc(access.role or '')}")


def need(access: Access, permission: str) -> None:
    """Stop the page with a plain sentence when this person may not do what the page is for."""
    if not access.may(permission):
        st.info(esc(access.why_not(permission)), icon="🔒")
        st.stop()
