#!/usr/bin/env Rscript
# Reference values for the corrected lessons of the teaching pages (tests/test_lessons_vs_r.py):
# the sign test (chapter 3), the trial size from ANCOVA's residual SD (chapter 5), and the
# post-baseline slope of the mixed model (chapter 7).
#
#   Rscript tests/r/lessons.R        (from the repository root)
#
# writes tests/fixtures/r_lessons.json. CI has no R: the fixture is committed and the Python
# tests compare against it. Base R (stats) and nlme only. The populations are selected HERE,
# independently of mscreport, with the default parameters (moderate_min = 6.2, severe_above =
# 8.0, alpha = 0.05): a patient is analysed when baseline >= 6.2 and the follow-up is present;
# change = follow-up - baseline; severe = baseline > 8.0.

source("tests/r/longitudinal_common.R")  # obj(), num(), model_rows(), lme settings
if (!file.exists("data/reconstructed_cohort.csv")) stop("run from the repository root")
BASELINE_WINDOW <- 3
MODERATE_MIN <- 6.2
ALPHA <- 0.05

d <- read.csv("data/reconstructed_cohort.csv")
d <- d[!is.na(d$hba1c_followup) & d$hba1c_baseline >= MODERATE_MIN, ]
d$change <- d$hba1c_followup - d$hba1c_baseline

sign_block <- function(x) {
  x <- x[x != 0]
  bt <- binom.test(sum(x < 0), length(x), p = 0.5, conf.level = 1 - ALPHA)
  list(n_nonzero = length(x), n_fall = sum(x < 0), n_rise = sum(x > 0),
       p = bt$p.value,                       # R: binom.test(sum(x < 0), sum(x != 0))$p.value
       share_fall = unname(bt$estimate), ci_low = bt$conf.int[1], ci_high = bt$conf.int[2])
}

sev <- d$hba1c_baseline > 8.0
sign <- list(overall = sign_block(d$change), moderate = sign_block(d$change[!sev]),
             severe = sign_block(d$change[sev]))

# ANCOVA's residual SD: summary(lm(hba1c_followup ~ hba1c_baseline))$sigma; the trial size
# with it: power.t.test(delta, sd = sigma, sig.level = 0.05, power)$n
fit <- lm(hba1c_followup ~ hba1c_baseline, data = d)
sigma <- summary(fit)$sigma
delta <- abs(mean(d$change))
r <- cor(d$hba1c_baseline, d$hba1c_followup)
ancova <- list(sigma = sigma, r = r, sd_change = sd(d$change), delta = delta,
               n80 = power.t.test(delta = delta, sd = sigma, sig.level = ALPHA, power = 0.8)$n,
               n90 = power.t.test(delta = delta, sd = sigma, sig.level = ALPHA, power = 0.9)$n,
               n80_half = power.t.test(delta = delta / 2, sd = sigma, sig.level = ALPHA, power = 0.8)$n,
               n80_change = power.t.test(delta = delta, sd = sd(d$change), sig.level = ALPHA, power = 0.8)$n)

# post-baseline slope: lme(hba1c ~ years, random = ~ years | patient_id) on the measurements
# after time 0 only (months > 0) of the model population
long <- model_rows(read.csv("data/reconstructed_cohort_long.csv"))
post <- long[long$months > 0, ]
lme_slope <- function(rows) {
  fit <- lme(hba1c ~ years, random = ~ years | patient_id, data = rows, method = "REML",
             control = lmeControl(opt = "optim", maxIter = 500, msMaxIter = 500))  # nlminb stops at its evaluation limit here
  tt <- summary(fit)$tTable
  ci <- intervals(fit, level = 1 - ALPHA, which = "fixed")$fixed
  list(n_obs = nrow(rows), n_patients = length(unique(rows$patient_id)),
       estimate = tt["years", "Value"], se = tt["years", "Std.Error"], p = tt["years", "p-value"],
       ci_low = ci["years", "lower"], ci_high = ci["years", "upper"], intercept = tt["(Intercept)", "Value"])
}
slopes <- list(with_baseline = lme_slope(long), post_baseline = lme_slope(post))

out <- list(`_r` = "binom.test; lm + power.t.test; nlme::lme REML (see tests/r/lessons.R)",
            sign = sign, ancova = ancova, slopes = slopes,
            family = list(k = 6, alpha = ALPHA, p_any = 1 - (1 - ALPHA)^6))  # 1 - 0.95^6
writeLines(obj(out), "tests/fixtures/r_lessons.json")
cat(obj(out), "\n")
