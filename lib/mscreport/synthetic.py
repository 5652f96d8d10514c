"""Is this cohort synthetic? Decided once, by the data, never by the file's name.

A cohort is synthetic when its bytes are the bundled reconstructed cohort's (same SHA-256),
or when it has a ``synthetic`` column that says yes in every row (``mscreport synth`` writes
one). A real cohort whose file name contains "synth" is not labelled synthetic.
"""

from __future__ import annotations

from .dictionary import YES_NO_ALIASES
from .hashing import file_sha256
from .paths import DEFAULT_COHORT


def bundled_cohort_sha256() -> str | None:
    """SHA-256 of the bundled reconstructed cohort (None if it is not installed)."""
    try:
        return file_sha256(DEFAULT_COHORT)
    except OSError:
        return None


def is_synthetic(sha256: str, raw_frame) -> bool:
    """True for the bundled cohort's bytes, or a ``synthetic`` column that is yes in every row."""
    if sha256 and sha256 == bundled_cohort_sha256():
        return True
    if raw_frame is None or "synthetic" not in raw_frame.columns or not len(raw_frame):
        return False
    flags = [YES_NO_ALIASES.get(str(v).strip().lower()) for v in raw_frame["synthetic"]]
    return all(f is True for f in flags)
