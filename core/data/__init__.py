"""Data: reading files into tables, checking their quality, personal data, one-click fixes, samples.

Pages, the CLI and other packages import these names from ``core.data``. They are loaded on first
use, so ``from core.data.findings import Finding`` (forecasting, training) costs no more than that
small module, not the reader and every check.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.data.findings import KINDS, SEVERITIES, Finding
    from core.data.fixes import FIXES, Fix, apply_fix
    from core.data.ingest import LargeTable, Table, fits_in_memory, read_in_pieces, read_large, read_table
    from core.data.quality import CHECKS, Check, ColumnProfile, Profile, infer_kinds, profile
    from core.data.relations import explore, explore_text
    from core.data.samples import DATA_DIR, SAMPLES, Sample, get_sample, load_sample

_HOME = {
    "KINDS": "core.data.findings",
    "SEVERITIES": "core.data.findings",
    "Finding": "core.data.findings",
    "FIXES": "core.data.fixes",
    "Fix": "core.data.fixes",
    "apply_fix": "core.data.fixes",
    "Table": "core.data.ingest",
    "read_table": "core.data.ingest",
    "LargeTable": "core.data.ingest",
    "fits_in_memory": "core.data.ingest",
    "read_large": "core.data.ingest",
    "read_in_pieces": "core.data.ingest",
    "CHECKS": "core.data.quality",
    "Check": "core.data.quality",
    "ColumnProfile": "core.data.quality",
    "Profile": "core.data.quality",
    "infer_kinds": "core.data.quality",
    "profile": "core.data.quality",
    "explore": "core.data.relations",
    "explore_text": "core.data.relations",
    "DATA_DIR": "core.data.samples",
    "SAMPLES": "core.data.samples",
    "Sample": "core.data.samples",
    "get_sample": "core.data.samples",
    "load_sample": "core.data.samples",
}


def __getattr__(name: str) -> Any:
    """Load a public name's module on first use (PEP 562)."""
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'core.data' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "CHECKS",
    "DATA_DIR",
    "FIXES",
    "KINDS",
    "SAMPLES",
    "SEVERITIES",
    "Check",
    "ColumnProfile",
    "Finding",
    "Fix",
    "LargeTable",
    "Profile",
    "Sample",
    "Table",
    "apply_fix",
    "explore",
    "explore_text",
    "fits_in_memory",
    "get_sample",
    "infer_kinds",
    "load_sample",
    "profile",
    "read_in_pieces",
    "read_large",
    "read_table",
]
