"""Keel's one vocabulary: metric names and directions, number/percent/date/duration formats, yes/no words,
the glossary, and the JSON form of results. Every sentence a user reads (pages, CLI, model card) uses these,
so the same thing is always said the same way.
"""

from core.vocab.fmt import count, date, duration, minutes, number, percent, plural, points, signed_percent
from core.vocab.glossary import TERMS, Term, explain_term
from core.vocab.jsonable import jsonable
from core.vocab.metrics import (
    CLASSIFICATION_METRICS,
    LOWER_IS_BETTER,
    METRICS,
    REGRESSION_METRICS,
    Metric,
    format_metric,
    is_lower_better,
    metric_label,
    metric_phrase,
)
from core.vocab.words import (
    FALSE_WORDS,
    GLOSSARY,
    KIND_WORDS,
    SEVERITY_WORDS,
    TRUE_WORDS,
    explain_stage,
    exposure_warning,
    yes_no,
)

__all__ = [
    "CLASSIFICATION_METRICS",
    "FALSE_WORDS",
    "GLOSSARY",
    "KIND_WORDS",
    "LOWER_IS_BETTER",
    "METRICS",
    "REGRESSION_METRICS",
    "SEVERITY_WORDS",
    "TERMS",
    "TRUE_WORDS",
    "Metric",
    "Term",
    "count",
    "date",
    "duration",
    "explain_stage",
    "explain_term",
    "exposure_warning",
    "format_metric",
    "is_lower_better",
    "jsonable",
    "metric_label",
    "metric_phrase",
    "minutes",
    "number",
    "percent",
    "plural",
    "points",
    "signed_percent",
    "yes_no",
]
