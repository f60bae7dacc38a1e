"""AppTest for 'Check my data': upload, PII choice before storing, findings, fixes, kinds, errors."""

from __future__ import annotations

import pandas as pd

from core import store
from core.data import DATA_DIR, FIXES, load_sample
from tests.app.helpers import open_page, texts
from ui import state

PAGE = "pages/1_Data.py"


def test_empty_store_points_to_samples() -> None:
    at = open_page(PAGE)
    assert not at.exception
    assert "Upload a file above, or open a sample" in texts(at)


def test_upload_without_personal_data_is_kept_and_checked() -> None:
    csv = b"region,sales,sales_copy\nNorth,10,10\nSouth,12,12\nNorth,10,10\n" + b"East,7,7\n" * 3
    at = open_page(PAGE)
    at.file_uploader(key="upload").upload("shop.csv", csv, "text/csv").run()
    assert not at.exception
    [info] = store.list_datasets()
    assert (info.original_name, info.rows, info.n_columns) == ("shop.csv", 6, 3)
    body = texts(at)
    assert "Kept 'shop.csv': 6 rows × 3 columns." in body
    assert "exact copies of earlier rows" in body  # duplicate rows finding
    assert "Fix before training" in body


def test_personal_data_is_masked_before_anything_is_stored() -> None:
    csv = b"name_of_pet,email,spend\n" + b"".join(
        f"rex{i},person{i}@example.com,{i}\n".encode() for i in range(40)
    )
    at = open_page(PAGE)
    at.file_uploader(key="upload").upload("people.csv", csv, "text/csv").run()
    assert not at.exception
    assert store.list_datasets() == []  # nothing stored until the user chooses
    assert "Personal data found in 1 column" in texts(at)
    assert at.radio(key="pii_email").value == "mask"
    at.button[0].click().run()
    assert not at.exception
    [info] = store.list_datasets()
    stored = store.load_dataset(info.id)
    assert not stored["email"].str.contains("person1@example.com", regex=False).any()
    assert "Before storing" in " ".join(info.notes)


def test_a_file_that_is_not_a_table_is_refused_and_nothing_is_stored() -> None:
    at = open_page(PAGE)
    at.file_uploader(key="upload").upload("photo.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "text/csv").run()
    assert not at.exception
    assert at.error, "a refused file is said to be refused"
    message = at.error[0].value.lower()
    assert "not a table" in message or "image" in message
    assert at.info  # the hint
    assert store.list_datasets() == []


def test_findings_fix_creates_a_new_version_and_kinds_are_editable() -> None:
    info = load_sample("customer_churn")
    at = open_page(PAGE, **{state.DATASET_ID: info.id})
    assert not at.exception
    body = texts(at)
    assert "'customer_id' looks like an identifier" in body
    drop = [b for b in at.button if b.label == FIXES["drop_duplicates"].label]
    assert drop, "duplicate rows should offer a one-click fix"
    drop[0].click().run()
    assert not at.exception
    versions = sorted(store.list_datasets(), key=lambda d: d.version)
    assert [d.version for d in versions] == [1, 2]
    assert versions[1].rows == versions[0].rows - 20
    assert at.session_state[state.DATASET_ID] == versions[1].id
    assert "Created" in texts(at)


def test_choosing_a_target_turns_on_leakage_checks() -> None:
    info = load_sample("customer_churn")
    at = open_page(PAGE, **{state.DATASET_ID: info.id})
    spread = [s for s in at.selectbox if s.label == "See how a column is spread"][0]
    assert spread.value != "customer_id"  # an ID's spread says nothing: the first telling column
    target_box = [s for s in at.selectbox if "predict" in s.label][0]
    target_box.set_value("churned").run()
    assert not at.exception
    assert "'cancellation_date' alone predicts 'churned' almost perfectly" in texts(at)
    assert [s for s in at.selectbox if s.label == "See how a column is spread"][0].value == "churned"


def test_samples_are_where_the_page_expects_them() -> None:
    assert pd.read_csv(DATA_DIR / "penguins.csv").shape == (344, 8)
