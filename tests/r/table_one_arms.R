#!/usr/bin/env Rscript
# Reference values for Table 1 by arm of a controlled study (CONSORT item 15; issue 23;
# tests/test_trial_pages.py, lib/mscreport/analysis/table_one.py).
#
#   Rscript tests/r/table_one_arms.R        (from the repository root)
#
# writes tests/fixtures/r_table_one_arms.json. Base R only.
# Data: tests/fixtures/arms_three.csv; the analysed cohort of a user's trial (inclusion_min none):
# every patient with a baseline and a follow-up HbA1c. Per arm: n = nrow, mean(b), sd(b),
# and for followup_months median, quantile(type = 7) 25 % and 75 %, min, max.

if (!dir.exists("tests/fixtures")) stop("run from the repository root: Rscript tests/r/table_one_arms.R")
source("tests/r/reference_defs.R")   # to_json, num
OUT <- "tests/fixtures/r_table_one_arms.json"
d <- read.csv("tests/fixtures/arms_three.csv", stringsAsFactors = FALSE)
d <- d[!is.na(d$hba1c_baseline) & !is.na(d$hba1c_followup), ]
arms <- list()
for (a in sort(unique(d$arm))) {
  s <- d[d$arm == a, ]
  q <- quantile(s$followup_months, c(0.25, 0.75), type = 7, names = FALSE)
  arms[[a]] <- list(n = nrow(s), hba1c_mean = mean(s$hba1c_baseline), hba1c_sd = sd(s$hba1c_baseline),
                    followup_median = median(s$followup_months), followup_q1 = q[1], followup_q3 = q[2],
                    followup_min = min(s$followup_months), followup_max = max(s$followup_months))
}
writeLines(to_json(list(r_version = R.version.string, arms = arms)), OUT)
cat("wrote", OUT, "\n")
