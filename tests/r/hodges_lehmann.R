#!/usr/bin/env Rscript
# Reference values for Hodges-Lehmann on R's normal-approximation path
# (tests/test_hodges_lehmann.py; lib/mscreport/hodges_lehmann.py).
#
#   Rscript tests/r/hodges_lehmann.R        (from the repository root)
#
# writes tests/fixtures/r_hodges_lehmann.json. CI has no R: the fixture is committed and the
# Python tests only compare against it. Only base R.
#
# Every case is one vector d of paired differences (changes, follow-up - baseline, % points)
# and one confidence level. R: wilcox.test(d, conf.int = TRUE, conf.level = conf): with ties,
# zeros or n >= 50 R's estimate and interval are uniroot roots of the normal statistic of
# d - mu (the interval's continuity-corrected, the estimate's not), not Walsh-average order
# statistics; where R cannot reach the level it lowers it (attr(conf.int, "conf.level")).
# A few exact-path cases (small n, no ties, no zeros) check that path's level too.

if (!dir.exists("tests/fixtures")) stop("run from the repository root: Rscript tests/r/hodges_lehmann.R")
OUT <- "tests/fixtures/r_hodges_lehmann.json"
source("tests/r/reference_defs.R")   # to_json, num

set.seed(20261207)
tenths <- function(n, mean, sd) round(rnorm(n, mean, sd), 1)
# follow-up - baseline of HbA1c in tenths: not tenths in binary (7.7 - 8.2 != 7.8 - 8.3)
changes <- function(n) { b <- tenths(n, 8.4, 1.1); f <- tenths(n, 7.7, 1.2); f - b }

CASES <- list(
  issue_example = list(d = c(2.4, 1.3, 1.3, 0, 4.6), conf = 0.95),
  ties_n12 = list(d = c(-0.5, -0.5, -0.2, 0.3, -1.0, -1.0, -1.0, -0.8, 0.4, -0.2, -1.5, -0.7), conf = 0.95),
  zeros_n8 = list(d = c(-0.4, 0, 0, -1.1, 0.3, -0.6, -0.9, -0.2), conf = 0.95),
  zero_no_ties_n10 = list(d = c(-0.5, 0, -0.2, 0.3, -1.1, -1.0, -0.9, -0.8, 0.4, -0.25), conf = 0.95),
  ties_and_zeros_n15 = list(d = c(-0.6, -0.6, 0, 0.2, -1.3, 0, -0.4, -0.4, -0.4, 0.5, -0.9, -2.1, 0, -0.1, -0.6), conf = 0.95),
  ties_and_zeros_n15_90 = list(d = c(-0.6, -0.6, 0, 0.2, -1.3, 0, -0.4, -0.4, -0.4, 0.5, -0.9, -2.1, 0, -0.1, -0.6), conf = 0.90),
  ties_n9_99 = list(d = c(-0.3, -0.3, -1.2, -0.8, -0.8, 0.4, -1.6, -0.5, -0.9), conf = 0.99),
  changes_of_tenths_n20 = list(d = changes(20), conf = 0.95),
  changes_of_tenths_n7 = list(d = changes(7), conf = 0.95),
  all_negative_ties_n6 = list(d = c(-0.4, -0.4, -1.0, -0.2, -0.7, -1.0), conf = 0.95),
  tiny_n3_ties = list(d = c(0.5, 0.5, -0.2), conf = 0.95),
  two_nonzero_and_zero = list(d = c(0, 1.2, -0.4), conf = 0.95),
  one_nonzero_and_zeros = list(d = c(0, 0.7, 0), conf = 0.95),
  all_equal_and_zero = list(d = c(0.5, 0.5, 0, 0.5), conf = 0.95),
  symmetric_ties = list(d = c(-1, 1, -1, 1, 2, -2, 0.5), conf = 0.95),
  continuous_n50 = list(d = round(rnorm(50, -0.4, 1), 6), conf = 0.95),
  continuous_n120 = list(d = rnorm(120, -0.3, 0.9), conf = 0.95),
  tenths_n200 = list(d = tenths(200, -0.5, 1.0), conf = 0.95),
  changes_n1000 = list(d = changes(1000), conf = 0.95),
  tenths_n5000 = list(d = tenths(5000, -0.6, 1.1), conf = 0.95),
  exact_n10 = list(d = c(-0.3, 1.1, 2.4, -0.8, 1.9, 0.5, 3.1, -1.4, 2.2, 0.9), conf = 0.95),
  exact_n4_unreachable = list(d = c(0.3, -1.2, 0.7, 1.9), conf = 0.95)
)

out <- list()
for (name in names(CASES)) {
  cs <- CASES[[name]]
  wt <- suppressWarnings(wilcox.test(cs$d, conf.int = TRUE, conf.level = cs$conf))
  out[[name]] <- list(
    d = cs$d,                                             # the differences
    conf = cs$conf,                                       # conf.level asked for
    method = wt$method,                                   # wilcox.test(d, conf.int = TRUE)$method
    v = num(wt$statistic),                                # $statistic (V)
    p = num(wt$p.value),                                  # $p.value
    estimate = num(wt$estimate),                          # $estimate ((pseudo)median, or midrange)
    ci_low = num(wt$conf.int[1]),                         # $conf.int[1]
    ci_high = num(wt$conf.int[2]),                        # $conf.int[2]
    conf_level = num(attr(wt$conf.int, "conf.level")))    # attr($conf.int, "conf.level")
}
doc <- list(r_version = R.version.string,
            r_call = "wilcox.test(d, conf.int = TRUE, conf.level = conf)",
            cases = out)
writeLines(to_json(doc), OUT)
cat("wrote", OUT, "\n")
