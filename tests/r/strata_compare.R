#!/usr/bin/env Rscript
# Reference values for the `strata_comparison` block of results.json (tests/test_class_strata.py).
#
#   Rscript tests/r/strata_compare.R        (from the repository root)
#
# writes tests/fixtures/r_strata_compare.json (committed; the Python tests compare with it).
# Only base R. The analysed cohort: baseline >= 6.2 and a follow-up; change = followup - baseline;
# severe = baseline > 8.0, moderate = 6.2 <= baseline <= 8.0. Every difference is severe - moderate.
#   bundled  data/reconstructed_cohort.csv (the paper's reconstruction)
#   two      tests/fixtures/arms_two.csv, all arms pooled and within each arm

if (!dir.exists("tests/fixtures")) stop("run from the repository root: Rscript tests/r/strata_compare.R")
source("tests/r/reference_defs.R")   # to_json, num
OUT <- "tests/fixtures/r_strata_compare.json"
CONF <- 0.95

compare <- function(a) {
  a$stratum <- factor(ifelse(a$hba1c_baseline > 8.0, "severe", "moderate"), levels = c("moderate", "severe"))
  a$change <- a$hba1c_followup - a$hba1c_baseline
  w <- t.test(a$change[a$stratum == "severe"], a$change[a$stratum == "moderate"], conf.level = CONF)  # R: Welch
  fit <- lm(hba1c_followup ~ hba1c_baseline + stratum, data = a)                                   # R: ANCOVA
  co <- summary(fit)$coefficients["stratumsevere", ]
  ci <- confint(fit, "stratumsevere", level = CONF)
  list(n_severe = sum(a$stratum == "severe"), n_moderate = sum(a$stratum == "moderate"),
       welch_change = list(diff = num(unname(w$estimate[1] - w$estimate[2])), ci_low = num(w$conf.int[1]),
                           ci_high = num(w$conf.int[2]), t = num(unname(w$statistic)),
                           df = num(unname(w$parameter)), p = num(w$p.value)),
       ancova = list(estimate = num(co[["Estimate"]]), se = num(co[["Std. Error"]]), ci_low = num(ci[1]),
                     ci_high = num(ci[2]), t = num(co[["t value"]]), df = num(fit$df.residual),
                     p = num(co[["Pr(>|t|)"]])))
}

analysed <- function(path) {
  d <- read.csv(path, colClasses = c(patient_id = "character"), strip.white = TRUE)
  d[!is.na(d$hba1c_baseline) & d$hba1c_baseline >= 6.2 & !is.na(d$hba1c_followup), ]
}

bundled <- analysed("data/reconstructed_cohort.csv")
two <- analysed("tests/fixtures/arms_two.csv")
out <- list(`_r` = paste(R.version.string, "; tests/r/strata_compare.R"),
            bundled = compare(bundled),
            two = list(pooled = compare(two),
                       by_arm = sapply(sort(unique(two$arm)), function(g) compare(two[two$arm == g, ]), simplify = FALSE)))
writeLines(to_json(out), OUT)
cat("wrote", OUT, "\n")
