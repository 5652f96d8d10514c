#!/usr/bin/env Rscript
# Reference values for the mixed model on a long cohort with a shared visit schedule
# (tests/test_longitudinal.py): many patients share one design X_i'X_i, so mscreport's
# closed-form REML pools them (trajectory._design_sums) and must still give nlme's numbers.
#
#   Rscript tests/r/long_balanced.R        (from the repository root)
#
# writes tests/fixtures/long_balanced.csv (the data, simulated here with a fixed seed: no
# real patient) and tests/fixtures/r_long_balanced.json (nlme's fit of that file). CI has no
# R: both files are committed and the Python tests compare against the JSON (rel 1e-4).
#
# Data: 600 patients, visits at months 0, 3, 6, 12, 18 and 24 (the schedule of a trial); each
# visit after month 0 missed with probability 0.2, so the patients fall into at most 32
# designs; HbA1c = a patient's own intercept and slope per year + noise, rounded to 0.1 %.
# The model population by interface.md's rules with the default parameters (as in
# tests/r/longitudinal.R): baseline = the last measurement in [-3, 0] months, >= 6.2 %;
# model rows = the baseline + every measurement after month 0; years = months / 12.
# Model: nlme::lme(hba1c ~ years, random = ~ years | patient_id, method = "REML").

suppressPackageStartupMessages(library(nlme))
if (!dir.exists("tests/fixtures")) stop("run from the repository root: Rscript tests/r/long_balanced.R")

BASELINE_WINDOW <- 3
MODERATE_MIN <- 6.2
ALPHA <- 0.05
CSV <- "tests/fixtures/long_balanced.csv"
OUT <- "tests/fixtures/r_long_balanced.json"

source("tests/r/longitudinal_common.R")   # JSON writer, model_rows(), fit_block()

set.seed(20261126, kind = "Mersenne-Twister", normal.kind = "Inversion", sample.kind = "Rejection")
n <- 600
visits <- c(0, 3, 6, 12, 18, 24)
b0 <- rnorm(n, 8, 0.8)
b1 <- 0.15 - 0.2 * (b0 - 8) + rnorm(n, 0, 0.25)   # higher start, faster fall: correlated effects
rows <- list()
for (i in seq_len(n)) {
  seen <- visits[c(TRUE, runif(length(visits) - 1) > 0.2)]
  y <- round(b0[i] + b1[i] * seen / 12 + rnorm(length(seen), 0, 0.3), 1)
  rows[[i]] <- data.frame(patient_id = sprintf("B%03d", i), months = seen, hba1c = y)
}
write.csv(do.call(rbind, rows), CSV, row.names = FALSE, quote = FALSE)

d <- read.csv(CSV, stringsAsFactors = FALSE, na.strings = "")
m <- model_rows(d)
res <- list(
  `_r_version` = R.version.string,
  `_nlme_version` = as.character(packageVersion("nlme")),
  `_data` = paste0(CSV, " (simulated by this script, seed 20261126)"),
  designs = nrow(unique(aggregate(years ~ patient_id, m, function(t) c(length(t), sum(t), sum(t^2)))[, 2])),
  balanced = fit_block(m, CSV)
)
writeLines(obj(res), OUT)
cat("wrote", CSV, "and", OUT, "\n")
