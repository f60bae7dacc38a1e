"""Every file of the nasty corpus either loads as declared or is refused in plain words."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import InputError
from core.data.ingest import read_table
from tests.nasty.corpus import CASES, Case, write_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_corpus(tmp_path_factory.mktemp("nasty"))


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_nasty_file(case: Case, corpus: dict[str, Path]) -> None:
    path = corpus[case.name]
    if case.refused:
        with pytest.raises(InputError) as caught:
            read_table(path, name=case.name, sheet=case.sheet)
        message = caught.value.message
        assert case.name in message, message
        for word in case.refused:
            assert word.lower() in message.lower(), (word, message)
        assert caught.value.hint.strip(), "every refusal says what to do next"
        assert "reference" not in caught.value.hint, f"an unexpected error was wrapped: {message}"
        return
    table = read_table(path.read_bytes(), name=case.name, sheet=case.sheet)
    assert table.source_name == case.name
    assert table.frame.shape == (case.rows, case.cols), (table.frame.shape, table.notes)
    assert all(isinstance(c, str) for c in table.frame.columns)
    if case.note:
        assert case.note in " ".join(table.notes), table.notes
    if case.check:
        case.check(table)
