"""The glossary (issue 20): every measure Keel shows has a short plain entry, with an example where it is Keel's."""

from __future__ import annotations

import pytest

from core.vocab.glossary import TERMS, entry, explain_term
from core.vocab.metrics import METRICS

SHOWN = ("contribution", "base", "tree_shap", "spearman", "cramers_v", "correlation_ratio", "mutual_information",
         "p_value", "cutoff", "temperature", "hold-out", "baseline", "leakage", "drift", "calibration")  # fmt: skip


@pytest.mark.parametrize("key", [*SHOWN, *METRICS])
def test_every_term_keel_shows_has_an_entry(key: str) -> None:
    term = entry(key)
    assert term is not None, key
    assert term.title and term.meaning.rstrip().endswith((".", "?"))
    assert len(term.meaning.split(". ")) <= 3, "one or two sentences"


@pytest.mark.parametrize("key", SHOWN[:10])
def test_keels_own_terms_come_with_a_worked_example(key: str) -> None:
    assert "For example:" in explain_term(key)
    for other in entry(key).see_also:
        assert other in TERMS


def test_an_unknown_term_has_no_entry() -> None:
    assert entry("flux capacitor") is None and explain_term("flux capacitor") == ""
