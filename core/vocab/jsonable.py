"""Results as strict JSON: NaN and infinity become null, numpy scalars plain numbers, dates ISO 8601."""

from __future__ import annotations

import contextlib
import math
from typing import Any


def jsonable(value: Any) -> Any:
    """``value`` with every part made safe for ``json.dumps(..., allow_nan=False)``."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        with contextlib.suppress(Exception):
            value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "isoformat"):
        with contextlib.suppress(Exception):
            if value != value:  # NaT
                return None
        return value.isoformat()
    if hasattr(value, "tolist"):
        return jsonable(value.tolist())
    return value
