"""Plain JSON data from analysis results: the one normaliser of what results.json and the
chapters' records hold (no pandas or scipy import: the build process and its workers use it)."""

from __future__ import annotations

import math


def jsonable(obj):
    """Replace NaN/inf by None, numpy scalars by Python numbers, and any dict or list type (e.g.
    nbformat's NotebookNode) by a plain dict or list, recursively."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
