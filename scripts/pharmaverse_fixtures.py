"""Convert pharmaverse's ADaM test data (once) into the small SAS transport fixtures of the tests.

Source: ../shared/data/pharmaverseadam/ (the R package pharmaverseadam, commit 2c7db61,
version 1.3.0.9004, Apache License 2.0; copyright Cytel Inc., F. Hoffmann-La Roche AG,
GlaxoSmithKline LLC; simulated test data, not patients). R reads each .rda and writes the rows
and columns the tests need as CSV; pyreadstat writes them as SAS transport (.xpt, version 5)
into tests/fixtures/adam/ (README.md there names the source and the licence).

    .venv/bin/python scripts/pharmaverse_fixtures.py [SOURCE_FOLDER]

Kept: ADLB: every HBA1C row and the first 40 rows of other parameters; ADLB_METABOLIC: every
row (371, eleven parameters); ADSL: the subjects of both, with the subject-level columns.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pyreadstat

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "pharmaverseadam"
OUT = ROOT / "tests" / "fixtures" / "adam"
DATES = ("ADT", "TRTSDT")

R_SCRIPT = r"""
args <- commandArgs(trailingOnly = TRUE); src <- args[1]; out <- args[2]
load(file.path(src, "adlb.rda")); load(file.path(src, "adlb_metabolic.rda")); load(file.path(src, "adsl.rda"))
keep_lb <- c("STUDYID", "USUBJID", "PARAMCD", "PARAM", "PARAMN", "AVAL", "ADT", "ADY", "ABLFL", "DTYPE",
             "AVISIT", "AVISITN", "TRT01P", "TRT01A", "TRTP", "TRTA", "TRTSDT", "SEX", "AGE")
hb <- adlb[adlb$PARAMCD == "HBA1C", keep_lb]
other <- head(adlb[adlb$PARAMCD != "HBA1C" & adlb$USUBJID %in% hb$USUBJID, keep_lb], 40)
lb <- rbind(hb, other)
keep_met <- c("STUDYID", "USUBJID", "TRT01P", "TRT01A", "TRTSDT", "ADT", "ADY", "AVISIT", "AVISITN",
              "PARAM", "PARAMCD", "AVAL")
met <- adlb_metabolic[, keep_met]
sl <- adsl[adsl$USUBJID %in% c(lb$USUBJID, met$USUBJID),
           c("STUDYID", "USUBJID", "TRT01P", "TRT01A", "ARM", "SEX", "AGE", "TRTSDT")]
w <- function(d, f) write.csv(as.data.frame(d), file.path(out, f), row.names = FALSE, na = "")
w(lb, "adlb_hba1c.csv"); w(met, "adlb_metabolic.csv"); w(sl, "adsl.csv")
"""


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "export.R"
        script.write_text(R_SCRIPT)
        subprocess.run(["Rscript", str(script), str(SOURCE), tmp], check=True)
        for name, label in (("adlb_hba1c", "ADLB (HbA1c rows)"), ("adlb_metabolic", "ADLB metabolic"), ("adsl", "ADSL")):
            frame = pd.read_csv(Path(tmp) / f"{name}.csv", dtype=str, keep_default_na=False)
            for c in frame.columns:
                if c in DATES:
                    frame[c] = pd.to_datetime(frame[c].replace("", None)).dt.date
                elif c in ("AVAL", "ADY", "AVISITN", "PARAMN", "AGE"):
                    frame[c] = pd.to_numeric(frame[c].replace("", None)).astype("float64")
            formats = {c: "DATE9." for c in DATES if c in frame.columns}
            pyreadstat.write_xport(frame, str(OUT / f"{name}.xpt"), file_label=label, table_name=name[:8].upper(),
                                   variable_format=formats, file_format_version=5)
            print(f"wrote {OUT / (name + '.xpt')}: {len(frame)} rows, {frame.shape[1]} columns")


if __name__ == "__main__":
    main()
