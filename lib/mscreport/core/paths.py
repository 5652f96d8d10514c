"""Every path the project uses, defined once.

The chapters (``notebooks/``) and the bundled cohort (``data/``) live at the repository's top
level and ship inside the package as ``mscreport._chapters`` and ``mscreport._data``
(``pyproject.toml`` maps those package names to the two folders). They are found through
``importlib.resources`` in an editable install (the folders of the checkout) and in a regular
``pip install .`` (copies in site-packages) alike. Output goes to ``reports/`` of the
repository when run from a checkout, else to ``./reports`` of the current directory.
"""

from __future__ import annotations

import functools
import os
from importlib import resources
from pathlib import Path
from mscreport.core.hashing import file_sha256

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # lib/mscreport (this file is in core/)
CHAPTERS_PACKAGE = "mscreport._chapters"
DATA_PACKAGE = "mscreport._data"
DOCS_PACKAGE = "mscreport._docs"  # docs/results.schema.json, shipped

# A source checkout: lib/mscreport inside a folder that holds pyproject.toml.
_CHECKOUT = PACKAGE_DIR.parent.parent
IN_CHECKOUT = PACKAGE_DIR.parent.name == "lib" and (_CHECKOUT / "pyproject.toml").is_file()
# The repository root in a checkout; in a regular install, the folder above site-packages
# (only used to show paths shortly and to ask git for the commit, which then finds none).
REPO_ROOT = _CHECKOUT


def package_folder(package: str, checkout_folder: str) -> Path:
    """The folder of a data sub-package (``mscreport._chapters``, ``mscreport._data``).

    importlib.resources in editable and regular installs alike; the checkout's own folder
    when the environment was installed from an older pyproject.toml without that mapping.
    """
    try:
        return Path(str(resources.files(package)))
    except ModuleNotFoundError:
        return _CHECKOUT / checkout_folder


# MSCREPORT_NOTEBOOKS points the build at another chapter folder (used by the tests)
NOTEBOOKS_DIR = Path(os.environ.get("MSCREPORT_NOTEBOOKS") or package_folder(CHAPTERS_PACKAGE, "notebooks"))
DATA_DIR = package_folder(DATA_PACKAGE, "data")
REPORTS_DIR = _CHECKOUT / "reports" if IN_CHECKOUT else Path("reports")
TEMPLATES_DIR = PACKAGE_DIR / "templates"
DEFAULT_COHORT = DATA_DIR / "reconstructed_cohort.csv"
PUBLISHED_RESULTS = DATA_DIR / "published_results.yaml"
RESULTS_SCHEMA = package_folder(DOCS_PACKAGE, "docs") / "results.schema.json"
CACHE_DIRNAME = ".cache"
TEACHING_DIRNAME = "teaching"


def resolve_data_path(path: str | Path) -> Path:
    """A cohort (or published-figures) path as given; else relative to the repository root;
    else, for ``data/NAME``, the bundled file of that name (an installed package has no
    repository, and chapters run in their own folder)."""
    p = Path(path)
    if p.is_absolute() or p.exists():
        return p
    if (REPO_ROOT / p).exists():
        return REPO_ROOT / p
    if p.parts[:1] == ("data",) and (DATA_DIR.joinpath(*p.parts[1:])).exists():
        return DATA_DIR.joinpath(*p.parts[1:])
    return REPO_ROOT / p


def is_bundled_cohort(sha256: str) -> bool:
    """Whether a cohort file with this SHA-256 (hex digest) is the bundled reconstructed cohort.

    Decided by the content, never by the file name: a user's file named
    ``reconstructed_cohort.csv`` is theirs, and the bundled file copied elsewhere is still it.
    """
    return bool(sha256) and sha256 == bundled_cohort_sha256()


@functools.cache
def bundled_cohort_sha256() -> str | None:
    """SHA-256 of the bundled ``data/reconstructed_cohort.csv`` (computed once; None if absent)."""
    try:
        return file_sha256(DEFAULT_COHORT)
    except OSError:
        return None
