"""The glossary a student can open from any number: each term Keel shows, in plain words, with a tiny worked
example. Written once here; pages, the CLI's explanations and the model card read it.

:func:`entry` finds one term (by key, or a metric key from :data:`core.vocab.metrics.METRICS`, whose meaning
it reuses); :data:`TERMS` holds every entry. Keys are the names the CLI contract and the code use
(``spearman``, ``contribution``…), so a number can link to its entry by the key it already carries.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.vocab.metrics import METRICS
from core.vocab.words import GLOSSARY


@dataclass(frozen=True)
class Term:
    key: str
    title: str  # what a user reads as the heading
    meaning: str  # one or two sentences
    example: str = ""  # a tiny worked example
    see_also: tuple[str, ...] = ()


_OWN = (
    Term(
        "contribution",
        "How much a column pushed this answer",
        "For one row, how far one column moved the model's answer away from its usual answer. The usual "
        "answer plus every column's push gives the answer exactly.",
        "Usual chance of leaving: 25%. Contract is month-to-month: +11 percentage points; five months a customer: +8; "
        "everything else: −4. 25% + 11 + 8 − 4 = 40%, the chance Keel predicts for this customer.",
        ("base", "tree_shap"),
    ),
    Term(
        "base",
        "The usual answer",
        "The answer the model gives a typical row, before any column of this row pushes it up or down.",
        "If the model usually gives a 25% chance of leaving, each row's explanation starts at 25%.",
        ("contribution",),
    ),
    Term(
        "tree_shap",
        "Shapley values (TreeSHAP)",
        "A fair way to share one answer among the columns: each column gets its average push over every order "
        "in which the columns could be revealed to the model. Exact for tree models.",
        "Two columns, both needed to reach +10: each gets +5, whichever the model looks at first.",
        ("contribution",),
    ),
    Term(
        "spearman",
        "Rank correlation (Spearman)",
        "Whether two numbers rise together: 1 when the higher one always goes with the higher other, −1 when "
        "it goes with the lower, 0 when there is no pattern. Only the order of the values counts.",
        "Fares 5, 8, 30 and classes 3, 2, 1: the higher the fare, the lower the class number, so −1.",
        ("correlation_ratio", "cramers_v"),
    ),
    Term(
        "cramers_v",
        "How strongly two categories go together (Cramér's V)",
        "0 when knowing one category tells you nothing about the other, 1 when it tells you everything. Keel "
        "uses the bias-corrected version, which does not see a pattern in small tables where there is none.",
        "If every customer on plan 'pro' is in region 'North' and every 'basic' one in 'South', V is 1.",
        ("spearman", "correlation_ratio"),
    ),
    Term(
        "correlation_ratio",
        "How much a category explains a number (correlation ratio)",
        "0 when the number is spread the same way in every category, 1 when each category has a single value "
        "of the number. Its square is the share of the number's spread that the categories explain.",
        "Penguins' flipper length: about 190 mm for Adelie, 216 mm for Gentoo, little spread inside each: close to 1.",
        ("spearman", "cramers_v"),
    ),
    Term(
        "mutual_information",
        "Shared information (mutual information)",
        "How much knowing one column narrows down the other, on one scale from 0 (nothing) to 1 (everything), "
        "for any two kinds of column. Numbers are cut into ten equal groups first.",
        "Knowing the island of a penguin narrows down its species a lot; knowing the year hardly at all.",
        ("cramers_v",),
    ),
    Term(
        "p_value",
        "Could it be chance? (p-value)",
        "How often a relationship at least this strong would show up by chance alone, if the columns had "
        "nothing to do with each other. Below 5% is usually taken as real; with many rows, tiny ones pass too.",
        "A p-value of 0.3 means a pattern this strong appears by chance in 3 tables out of 10.",
        ("spearman",),
    ),
    Term(
        "cutoff",
        "The cut-off",
        "For a yes/no model, the chance from which Keel answers 'yes'. A lower cut-off catches more of the "
        "'yes' rows and raises more false alarms.",
        "Cut-off 30%: a customer with a 35% chance of leaving is flagged, one with 25% is not.",
        ("calibration",),
    ),
    Term(
        "temperature",
        "Tempered chances",
        "A model that is too sure of itself (or not sure enough) has its chances stretched or squeezed by one "
        "number, fitted on rows it did not learn from. The order of the answers never changes.",
        "A model saying 99% but right 80% of the time is tempered to say about 85%.",
        ("calibration",),
    ),
)

TERMS: dict[str, Term] = {t.key: t for t in _OWN}
for _key, _text in GLOSSARY.items():
    TERMS.setdefault(_key.lower(), Term(_key.lower(), _key, _text))
for _metric in METRICS.values():
    TERMS.setdefault(_metric.key, Term(_metric.key, _metric.label, _metric.meaning))


def entry(key: str) -> Term | None:
    """The glossary entry for ``key`` (a term, a finding word or a metric key); None when there is none."""
    return TERMS.get(key) or TERMS.get(key.lower())


def explain_term(key: str) -> str:
    """The entry as a short paragraph: what it means, then the example."""
    term = entry(key)
    if term is None:
        return ""
    return term.meaning + (f" For example: {term.example}" if term.example else "")
