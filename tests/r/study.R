#!/usr/bin/env Rscript
# Reference values for the analysed population of a user's trial (tests/test_study.py).
#
#   Rscript tests/r/study.R        (from the repository root)
#
# writes tests/fixtures/r_study.json. interface.md, "Who is excluded": a user's cohort has
# inclusion_min = none, so nobody is excluded for a low baseline; a kept baseline below
# moderate_min (6.2 %) is in the stratum "below"; the stratum is a factor of the levels present;
# the arm-by-severity interaction is anova(lm(f ~ b + arm + stratum), lm(f ~ b + arm * stratum)).
# Data: tests/fixtures/arms_two.csv (placebo = reference, msc): one baseline below 6.2 (msc),
# one row without a follow-up. Only base R.

if (!dir.exists("tests/fixtures")) stop("run from the repository root: Rscript tests/r/study.R")
source("tests/r/reference_defs.R")   # to_json, paired, PAIRED_KEYS
MODERATE_MIN <- 6.2
SEVERE_ABOVE <- 8.0

d <- read.csv("tests/fixtures/arms_two.csv", colClasses = c(patient_id = "character", arm = "character"))
keep <- !is.na(d$hba1c_baseline) & !is.na(d$hba1c_followup)     # every patient with both values
a <- d[keep, ]
a$stratum <- ifelse(a$hba1c_baseline > SEVERE_ABOVE, "severe", ifelse(a$hba1c_baseline < MODERATE_MIN, "below", "moderate"))
a$stratum <- factor(a$stratum, levels = intersect(c("below", "moderate", "severe"), unique(a$stratum)))
a$arm <- relevel(factor(a$arm), ref = "placebo")
av <- anova(lm(hba1c_followup ~ hba1c_baseline + arm + stratum, data = a),
            lm(hba1c_followup ~ hba1c_baseline + arm * stratum, data = a))
below <- a[a$stratum == "below", ]
out <- list(
  `_r` = paste(R.version.string, "; tests/r/study.R"),
  two = list(
    analysed = nrow(a),                                            # nrow(d[!is.na(b) & !is.na(f), ])
    analysed_by_arm = as.list(table(as.character(a$arm))),         # table(arm)
    strata_n = as.list(table(as.character(a$stratum))),            # table(stratum)
    below = paired(below$hba1c_baseline, below$hba1c_followup, conf = 0.95)[c("n", "mean_change")],
    interaction_severity = list(f = av$F[2], df1 = av$Df[2], df2 = av$Res.Df[2], p = av$`Pr(>F)`[2])))
writeLines(to_json(out), "tests/fixtures/r_study.json")
