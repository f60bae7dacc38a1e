"""Data: reading files into tables, checking their quality, personal data, one-click fixes, samples.

Pages, the CLI and other packages import these names from ``core.data``.
"""

from core.data.fixes import FIXES, Fix, apply_fix
from core.data.ingest import Table, read_table
from core.data.quality import CHECKS, KINDS, SEVERITIES, Finding, Profile, infer_kinds, profile
from core.data.samples import DATA_DIR, SAMPLES, Sample, get_sample, load_sample

__all__ = [
    "CHECKS", "DATA_DIR", "FIXES", "KINDS", "SAMPLES", "SEVERITIES", "Finding", "Fix", "Profile", "Sample", "Table",
    "apply_fix", "get_sample", "infer_kinds", "load_sample", "profile", "read_table",
]
