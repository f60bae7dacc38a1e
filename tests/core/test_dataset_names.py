"""Two different files with the same name (issue 16: two uploads of reference.csv) can be told apart in every
list; the same file uploaded twice and the versions of one file keep their name."""

from __future__ import annotations

import pandas as pd

from core import store


def test_different_files_with_the_same_name_get_distinct_labels() -> None:
    first = store.save_dataset(pd.DataFrame({"a": [1, 2]}), "reference.csv", original_name="reference.csv")
    second = store.save_dataset(pd.DataFrame({"a": [3, 4]}), "reference.csv", original_name="reference.csv")
    third = store.save_dataset(pd.DataFrame({"a": [5, 6]}), "reference.csv", original_name="reference.csv")
    assert [first.label, second.label, third.label] == [
        "reference.csv (v1)",
        "reference.csv (2) (v1)",
        "reference.csv (3) (v1)",
    ]
    assert second.original_name == "reference.csv"  # where it came from is kept as it was
    assert len({d.label for d in store.list_datasets()}) == 3


def test_the_same_file_twice_and_a_new_version_keep_the_name() -> None:
    first = store.save_dataset(pd.DataFrame({"a": [1, 2]}), "reference.csv")
    again = store.save_dataset(pd.DataFrame({"a": [1, 2]}), "reference.csv")
    child = store.save_dataset(pd.DataFrame({"a": [1]}), first.name, parent_id=first.id, change="Dropped a row")
    assert again.id == first.id and not again.is_new
    assert child.label == "reference.csv (v2)"


def test_a_model_trained_on_each_says_which_file(tmp_path) -> None:
    from core import workflows

    first = store.save_dataset(pd.DataFrame({"a": [1, 2]}), "reference.csv", original_name="reference.csv")
    second = store.save_dataset(pd.DataFrame({"a": [3, 4]}), "reference.csv", original_name="reference.csv")
    assert workflows.default_model_name(first, "y") == workflows.default_model_name(second, "y")  # one name, versions
    assert store.get_dataset(first.id).label != store.get_dataset(second.id).label


def test_the_datasets_command_tells_two_files_of_one_name_apart(capsys) -> None:
    import json

    from core.cli import main

    store.save_dataset(pd.DataFrame({"a": [1, 2]}), "reference.csv", original_name="reference.csv")
    store.save_dataset(pd.DataFrame({"a": [3, 4, 5]}), "reference.csv", original_name="reference.csv")
    assert main(["datasets", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["datasets"]
    assert [d["label"] for d in listed] == ["reference.csv (2) (v1)", "reference.csv (v1)"]  # newest first
    assert {d["original_name"] for d in listed} == {"reference.csv"} and [d["rows"] for d in listed] == [3, 2]
    assert main(["datasets"]) == 0
    text = capsys.readouterr().out
    assert "reference.csv (2) (v1)" in text and "reference.csv (v1)" in text


def test_the_datasets_command_on_an_empty_store(capsys) -> None:
    from core.cli import main

    assert main(["datasets"]) == 0
    assert capsys.readouterr().out.strip() == "no datasets yet"
