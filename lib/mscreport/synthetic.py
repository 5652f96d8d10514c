"""Is this cohort synthetic? Decided once, by the data, never by the file's name.

A cohort is synthetic when its bytes are the bundled reconstructed cohort's (same SHA-256),
or when it has a ``synthetic`` column that says yes in every row (``mscreport synth`` writes
one). A real cohort whose file name contains "synth" is not labelled synthetic.
"""

from __future__ import annotations

from .dictionary import YES_NO_ALIASES
from .paths import is_bundled_cohort


def is_synthetic(sha256: str, raw_frame) -> bool:
    """True for the bundled cohort's bytes, or a ``synthetic`` column that is yes in every row."""
    if is_bundled_cohort(sha256):
        return True
    if raw_frame is None or "synthetic" not in raw_frame.columns or not len(raw_frame):
        return False
    flags = [YES_NO_ALIASES.get(str(v).strip().lower()) for v in raw_frame["synthetic"]]
    return all(f is True for f in flags)
