#!/usr/bin/env Rscript
# Reference values for the longitudinal mixed model (tests/test_longitudinal.py).
#
#   Rscript tests/r/longitudinal.R        (from the repository root)
#
# writes tests/fixtures/r_longitudinal.json. CI has no R: the fixture is committed and the
# Python tests compare against it (rel 1e-4: the optimisers of nlme and statsmodels differ).
# Re-run this script, and commit the new fixture, whenever a data set below changes.
#
# Uses base R and nlme (recommended package, ships with R). The model population is selected
# HERE, independently of mscreport, by the rules of interface.md with the default parameters:
#   baseline = the last measurement with months in [-3, 0] (baseline_window_months = 3);
#   a patient enters when that baseline exists and is >= moderate_min (6.2 %);
#   model rows = the baseline measurement + every measurement with months > 0;
#   years = months / 12; rows with an empty hba1c are not measurements.
# Model: nlme::lme(hba1c ~ years, random = ~ years | patient_id, method = "REML").
#
# Data sets:
#   constructed   tests/fixtures/long_constructed.csv (arms A and control; irregular visits,
#                 missing visits, a patient without follow-up, one below moderate_min, one
#                 without a baseline in the window, a screening value outside the window)
#   synthetic     data/reconstructed_cohort_long.csv (mscreport synth --long)

suppressPackageStartupMessages(library(nlme))
if (!file.exists("data/reconstructed_cohort_long.csv") || !dir.exists("tests/fixtures"))
  stop("run from the repository root: Rscript tests/r/longitudinal.R")

BASELINE_WINDOW <- 3
MODERATE_MIN <- 6.2
ALPHA <- 0.05
OUT <- "tests/fixtures/r_longitudinal.json"

source("tests/r/longitudinal_common.R")   # JSON writer, model_rows(), fit_block()

read_long <- function(path) {
  d <- read.csv(path, stringsAsFactors = FALSE, na.strings = "")
  d$patient_id <- as.character(d$patient_id)
  d
}

constructed <- read_long("tests/fixtures/long_constructed.csv")
synthetic <- read_long("data/reconstructed_cohort_long.csv")
rows_c <- model_rows(constructed)
rows_s <- model_rows(synthetic)

res <- list(
  `_r_version` = R.version.string,
  `_nlme_version` = as.character(packageVersion("nlme")),
  constructed = fit_block(rows_c, "tests/fixtures/long_constructed.csv"),
  constructed_by_arm = list(
    A = fit_block(rows_c[rows_c$arm == "A", ], "arm A of long_constructed.csv"),
    control = fit_block(rows_c[rows_c$arm == "control", ], "arm control of long_constructed.csv")),
  synthetic = fit_block(rows_s, "data/reconstructed_cohort_long.csv")
)
writeLines(obj(res), OUT)
cat("wrote", OUT, "\n")
