"""Every path the project uses, defined once."""

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent.parent
# MSCREPORT_NOTEBOOKS points the build at another chapter folder (used by the tests)
NOTEBOOKS_DIR = Path(os.environ.get("MSCREPORT_NOTEBOOKS", REPO_ROOT / "notebooks"))
DATA_DIR = REPO_ROOT / "data"
REPORTS_DIR = REPO_ROOT / "reports"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
DEFAULT_COHORT = DATA_DIR / "reconstructed_cohort.csv"
PUBLISHED_RESULTS = DATA_DIR / "published_results.yaml"
CACHE_DIRNAME = ".cache"
TEACHING_DIRNAME = "teaching"
