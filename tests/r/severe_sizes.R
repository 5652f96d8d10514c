#!/usr/bin/env Rscript
# Reference values for the severe-stratum sizes the paper's printed figures allow
# (tests/test_first_screen.py, issue 26 item 7), and the range the printed means give the
# overall change.
#
#   Rscript tests/r/severe_sizes.R        (from the repository root)
#
# writes tests/fixtures/r_severe_sizes.json. Printed (Matsuoka et al.): n = 61, mean baseline
# 7.49 %, mean follow-up 6.7 %, moderate reduction 0.58, severe reduction 1.55 (% points). A
# severe size ns fits when some true values within each printed figure's own rounding interval
# (7.49 +- 0.005, 0.58 +- 0.005, 1.55 +- 0.005) give a follow-up mean that prints as 6.7, i.e.
# lies in [6.65, 6.75). The follow-up mean base - ((61 - ns) * mod + ns * sev) / 61 is monotone
# in each figure, so its range is reached at the interval ends. Only base R.

if (!dir.exists("tests/fixtures")) stop("run from the repository root: Rscript tests/r/severe_sizes.R")
source("tests/r/reference_defs.R")   # to_json
N <- 61; BASE <- 7.49; FU <- 6.7; MOD <- 0.58; SEV <- 1.55
h2 <- 0.005; h1 <- 0.05              # half a unit of the last printed decimal: 2 decimals, 1 decimal
rows <- lapply(2:30, function(ns) {
  lo <- (BASE - h2) - ((N - ns) * (MOD + h2) + ns * (SEV + h2)) / N   # smallest follow-up mean
  hi <- (BASE + h2) - ((N - ns) * (MOD - h2) + ns * (SEV - h2)) / N   # largest
  point <- BASE - ((N - ns) * MOD + ns * SEV) / N
  list(n_severe = ns, followup_low = lo, followup_high = hi,
       fits_with_rounding = (hi >= FU - h1) && (lo < FU + h1),
       fits_at_printed_values = round(point, 1) == FU)
})
fit <- sapply(Filter(function(r) r$fits_with_rounding, rows), function(r) r$n_severe)
point <- sapply(Filter(function(r) r$fits_at_printed_values, rows), function(r) r$n_severe)
out <- list(
  `_r` = paste(R.version.string, "; tests/r/severe_sizes.R"),
  rows = rows,
  severe_n_min = min(fit), severe_n_max = max(fit),                     # range(which fits_with_rounding)
  point_n_min = min(point), point_n_max = max(point),                   # at the printed values exactly
  overall_change_low = (FU - h1) - (BASE + h2),                          # 6.65 - 7.495
  overall_change_high = (FU + h1) - (BASE - h2)                          # 6.75 - 7.485
)
writeLines(to_json(out), "tests/fixtures/r_severe_sizes.json")
cat("wrote tests/fixtures/r_severe_sizes.json\n")
