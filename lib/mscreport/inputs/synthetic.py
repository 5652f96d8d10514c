"""Is this cohort synthetic? Decided once, by the data, never by the file's name.

A cohort is synthetic when its bytes are the bundled reconstructed cohort's (same SHA-256),
or when it has a ``synthetic`` column that says yes in every row (``mscreport synth`` writes
one). A real cohort whose file name contains "synth" is not labelled synthetic.

A synthetic cohort is a *reconstruction of the paper* (compared with its published figures,
its numbers marked pinned/derived/assumed by ``mscreport.analysis.basis``) when it is the bundled
cohort's bytes, or when it is synthetic in every row and every pseudonym is one that
``mscreport synth`` writes (``SYN-001``, ...; wide or ``--long``). Any other synthetic cohort
(a simulated trial, say) is only synthetic: it is not compared with the paper.
"""

from __future__ import annotations

import re

import pandas as pd

from mscreport.core.dictionary import YES_NO_ALIASES
from mscreport.core.paths import is_bundled_cohort


def is_synthetic(sha256: str, raw_frame) -> bool:
    """True for the bundled cohort's bytes, or a ``synthetic`` column that is yes in every row."""
    if is_bundled_cohort(sha256):
        return True
    if raw_frame is None or "synthetic" not in raw_frame.columns or not len(raw_frame):
        return False
    flags = [YES_NO_ALIASES.get(str(v).strip().lower()) for v in _distinct(raw_frame["synthetic"])]
    return all(f is True for f in flags)


def _distinct(column):
    """A column of text cells: its distinct cells (missing ones included), each once, since a
    long file repeats ``synthetic`` and ``patient_id`` on every measurement row. Any other
    column cell by cell (True and 1.0 are one value to ``unique`` but not to ``str``)."""
    return column.unique() if pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty") else column


SYNTH_ID = re.compile(r"SYN-\d{3,}")  # the pseudonyms `mscreport synth` writes


def is_reconstruction(sha256: str, raw_frame) -> bool:
    """True for the bundled cohort's bytes, or a synthetic cohort whose every pseudonym is
    one that ``mscreport synth`` writes (a reconstruction of the paper's cohort)."""
    if is_bundled_cohort(sha256):
        return True
    if not is_synthetic(sha256, raw_frame) or "patient_id" not in raw_frame.columns:
        return False
    return all(SYNTH_ID.fullmatch(str(v).strip()) for v in _distinct(raw_frame["patient_id"]))
