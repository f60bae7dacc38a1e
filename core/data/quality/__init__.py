"""Column kinds and data-quality findings.

``profile(frame, target=None, kinds=None)`` infers what each column is (a *kind*), computes
plain statistics per column and runs every registered check. Checks live in :data:`CHECKS`, a
registry of small functions with metadata (a stable snake_case ``code``, a plain ``title``, the
column kinds they apply to and a default ``threshold`` with its ``reason``). Adding a check means
adding one module to ``core/data/quality/checks/`` (see its ``__init__``).

Layout: ``facts`` (one hashing pass per column, shared by everything) · ``kinds`` (what a column
is) · ``stats`` (per-column statistics) · ``context`` (what checks share: samples, bins, the
target) · ``registry`` (:class:`Check`) · ``checks/`` (one module per check) · ``profiling``
(:func:`profile`).

Speed: every column is hashed once (``pd.factorize``) and everything exact is derived from
that: missing counts, distinct counts, value counts, exact duplicate rows (the codes of all
columns are combined into one 64-bit row key; candidate duplicates are then verified column by
column, so the count is exact). Checks that only need to *detect* something (leakage,
missingness patterns, mixed types on big columns, PII) work on a fixed random sample of 50,000
rows (10,000 values for PII), drawn with a fixed seed so a profile is reproducible.

Kinds
-----
``constant``   one distinct non-missing value (or none at all).
``boolean``    bool dtype, numbers that are only 0/1, or two text values like yes/no, true/false.
``datetime``   a datetime dtype.
``id_like``    a (near-)unique identifier: integers or short text codes. By name ('id', 'uuid',
               'customer_id', 'key') with >= 90% distinct values, or without such a name when
               >= 95% distinct in >= 100 rows (text), or for integers >= 99% distinct in >= 1,000
               rows *and* sequential (sorted or dense), or >= 99.9% distinct in >= 10,000 rows.
               Floats with decimals are never id_like.
``text``       free text: many words per value (>= 4 on average, or >= 30 characters and >= 2
               words) and many distinct values.
``categorical`` other text values (a limited set of labels).
``numeric``    numbers. Integers with few distinct values (1-5 ratings, 0-9 codes) stay numeric:
               they are often ordinal codes, where the order matters. Change the kind to
               'categorical' if the numbers are only labels (e.g. store numbers).

"""

from core.data.findings import KINDS, SEVERITIES, Finding
from core.data.quality.checks import CHECKS
from core.data.quality.checks.placeholder_values import placeholder_mask
from core.data.quality.kinds import infer_kinds
from core.data.quality.profiling import ColumnProfile, Profile, profile
from core.data.quality.registry import Check, checks_table

__doc__ = (__doc__ or "") + checks_table(CHECKS.values())

__all__ = [
    "CHECKS",
    "KINDS",
    "SEVERITIES",
    "Check",
    "ColumnProfile",
    "Finding",
    "Profile",
    "infer_kinds",
    "placeholder_mask",
    "profile",
]
