"""The analysed data as a snapshot: read once, hashed once, validated once.

The build copies the cohort file into its private work folder while hashing it (one read of
the user's file), validates the copy, and writes the validated cohort there
(``cohort.pickle``: the frame with its exact dtypes, without the pseudonyms and row numbers
that no chapter reads (``NOT_FOR_CHAPTERS``); ``cohort.json``: everything else, including the
typed, validated parameters). Every chapter loads that snapshot instead of
re-reading the user's file, so a file replaced during a build cannot change the numbers,
and nothing is validated twice. The snapshot lives in the build's own staging folder
(mode 0700), is written and read by the same build, and is removed with it.

Chapters find it through the environment variable ``MSCREPORT_SNAPSHOT`` set by the build's
workers for their kernels (the page does not show the builder's paths); a chapter opened by
hand (Jupyter, nbval) loads and validates the file named by ``data_path`` as before.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import stat
from pathlib import Path

from mscreport.core.errors import InputError, Problem
from mscreport.inputs.shared import SHARED_DIR
from mscreport.inputs.cohort import Cohort, Exclusion
from mscreport.inputs.study import Study

SNAPSHOT_ENV = "MSCREPORT_SNAPSHOT"
PICKLED_FIELDS = ("frame", "longitudinal", "visits")  # data frames (exact dtypes), the long file's derivation, ADaM visits
FRAME_FILE = "cohort.pickle"
META_FILE = "cohort.json"
PROBLEM_FIELDS = ("notes", "file_notes")  # Cohort fields holding Problems
# columns of the validated frame that no chapter reads, left out of the chapters' snapshot: the
# pseudonyms (nothing leaked: the chapters never see who a patient is) and the file's row numbers
# (the exclusions keep theirs in ``Cohort.excluded``). At 1e7 patients they are a quarter of the
# frame, and every selection of patients (a stratum, a dose group) copied them again.
NOT_FOR_CHAPTERS = ("patient_id", "row")


def _require_regular(mode: int, shown: str) -> None:
    if not stat.S_ISREG(mode):
        what = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a pipe, socket or device)"
        raise InputError([Problem(shown, None, None, f"{what}: give the path of a CSV, XLSX or Parquet file")])


def check_cohort_path(source: Path, shown: str) -> None:
    """Refuse a missing or non-regular cohort file early (before the build starts anything)."""
    try:
        _require_regular(os.stat(source).st_mode, shown)
    except FileNotFoundError:
        raise InputError([Problem(shown, None, None, "file not found: check the path")]) from None
    except OSError as exc:
        raise InputError([Problem(shown, None, None, f"cannot open the file ({exc.strerror or exc})")]) from None


def copy_and_hash(source: Path, shown: str, dest_dir: Path) -> tuple[Path, str]:
    """Copy a regular file into ``dest_dir`` (same base name) while hashing it: one read.

    Returns (copy, SHA-256). A missing file, a folder, a FIFO or a device is refused with an
    InputError naming ``shown`` (a FIFO would hang, /dev/zero never ends)."""
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise InputError([Problem(shown, None, None, "file not found: check the path")]) from None
    except OSError as exc:
        raise InputError([Problem(shown, None, None, f"cannot open the file ({exc.strerror or exc})")]) from None
    try:
        _require_regular(os.fstat(fd).st_mode, shown)
        os.set_blocking(fd, True)
        copy = dest_dir / Path(source).name
        digest = hashlib.sha256()
        with os.fdopen(fd, "rb", closefd=False) as src, open(copy, "wb") as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                digest.update(chunk)
                dst.write(chunk)
    finally:
        os.close(fd)
    return copy, digest.hexdigest()


def save_snapshot(cohort, folder: Path) -> Path:
    """Write a validated Cohort into ``folder``; returns the folder. Results kept there for an
    earlier snapshot (``SHARED_DIR``) are removed: they belong to another cohort."""
    import shutil
    import uuid

    folder.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(folder / SHARED_DIR, ignore_errors=True)
    pickled = {name: getattr(cohort, name) for name in PICKLED_FIELDS}
    pickled["frame"] = cohort.frame.drop(columns=[c for c in NOT_FOR_CHAPTERS if c in cohort.frame.columns])
    with open(folder / FRAME_FILE, "wb") as fh:
        pickle.dump(pickled, fh, protocol=5)
    meta = {f.name: getattr(cohort, f.name) for f in dataclasses.fields(cohort) if f.init and f.name not in PICKLED_FIELDS}
    meta["excluded"] = [dataclasses.asdict(e) for e in cohort.excluded]
    for key in PROBLEM_FIELDS:
        meta[key] = [dataclasses.asdict(p) for p in getattr(cohort, key)]
    meta["columns_present"] = list(cohort.columns_present)
    meta["study"] = dataclasses.asdict(cohort.study) if cohort.study else None  # read by the workers (study_cells)
    meta[SNAPSHOT_ID] = uuid.uuid4().hex  # names this snapshot's shared results (shared_result)
    (folder / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
    return folder


def load_snapshot(folder: str | Path):
    """The Cohort saved by ``save_snapshot`` (no re-reading, no re-validation), its frame
    without the columns ``NOT_FOR_CHAPTERS``."""
    folder = Path(folder)
    meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    with open(folder / FRAME_FILE, "rb") as fh:
        pickled = pickle.load(fh)  # our own file, written by this build into its private folder
    meta["excluded"] = tuple(Exclusion(**e) for e in meta["excluded"])
    for key in PROBLEM_FIELDS:
        meta[key] = tuple(Problem(**p) for p in meta[key])
    meta["columns_present"] = tuple(meta["columns_present"])
    meta["study"] = Study(**meta["study"]) if meta.get("study") else None
    snapshot_id = meta.pop(SNAPSHOT_ID)
    cohort = Cohort(**pickled, **meta)
    # Cohort.once(..., shared=True) keeps results in a folder named after this very snapshot:
    # a snapshot written again into the folder (another cohort, other parameters) never finds them
    shared = folder / SHARED_DIR / snapshot_id
    shared.mkdir(parents=True, exist_ok=True)
    cohort.share_results_in(shared)
    return cohort


SNAPSHOT_ID = "snapshot_id"  # cohort.json's key for the random name of one written snapshot


def snapshot_from_environment():
    """The build's snapshot when this process runs under the build, else None."""
    folder = os.environ.get(SNAPSHOT_ENV)
    return load_snapshot(folder) if folder else None
