#!/usr/bin/env Rscript
# Reference values for results.json `simulations` (tests/test_class_simulations.py).
#
#   Rscript tests/r/simulations.R        (from the repository root)
#
# writes tests/fixtures/r_simulations.json (committed). The simulated patients are exported by
# mscreport.analysis.simulations (rtm_patients, two_arm_patients) as tests/fixtures/sim_rtm.csv
# and tests/fixtures/sim_two_arms.csv; a Python test checks the simulation still gives them.
# Only base R. change = followup - baseline (% points).

if (!dir.exists("tests/fixtures")) stop("run from the repository root: Rscript tests/r/simulations.R")
source("tests/r/reference_defs.R")   # to_json, num
OUT <- "tests/fixtures/r_simulations.json"
CONF <- 0.95

# (a) regression to the mean: Barnett, van der Pols & Dobson (2005), the same formula written in R
barnett <- function(mu, sigma, rho, cutoff) {
  z <- (cutoff - mu) / sigma
  -sigma * (1 - rho) * dnorm(z) / (1 - pnorm(z))
}
rtm <- read.csv("tests/fixtures/sim_rtm.csv")
sel <- rtm[rtm$hba1c_baseline > 8.0, ]
tt <- t.test(sel$hba1c_followup, sel$hba1c_baseline, paired = TRUE, conf.level = CONF)
# Barnett's variant written with the variances: sigma_w^2 / sigma_total * C(z) (sigma_w^2 = (1 - rho) sigma^2)
sigma_w2 <- (1 - 0.6) * 1.2^2
rtm_out <- list(barnett_expected_change = num(barnett(7.5, 1.2, 0.6, 8.0)),
                barnett_variance_form = num(-sigma_w2 / 1.2 * dnorm((8.0 - 7.5) / 1.2) / pnorm((8.0 - 7.5) / 1.2, lower.tail = FALSE)),
                barnett_cutoff_9 = num(barnett(7.5, 1.2, 0.6, 9.0)),
                n_selected = nrow(sel),
                simulated_change = num(unname(tt$estimate)), ci_low = num(tt$conf.int[1]), ci_high = num(tt$conf.int[2]),
                p = num(tt$p.value), population_change = num(mean(rtm$hba1c_followup - rtm$hba1c_baseline)))

# (b) two arms: within-arm paired t-tests, change score (Welch) and ANCOVA (Vickers & Altman 2001)
d <- read.csv("tests/fixtures/sim_two_arms.csv", stringsAsFactors = FALSE)
d$change <- d$hba1c_followup - d$hba1c_baseline
d$arm <- factor(d$arm, levels = c("control (simulated)", "treated (simulated)"))
within <- function(g) {
  x <- d[d$arm == g, ]
  t <- t.test(x$hba1c_followup, x$hba1c_baseline, paired = TRUE, conf.level = CONF)
  list(n = nrow(x), mean_change = num(unname(t$estimate)), ci_low = num(t$conf.int[1]), ci_high = num(t$conf.int[2]),
       t = num(unname(t$statistic)), df = num(unname(t$parameter)), p = num(t$p.value))
}
w <- t.test(d$change[d$arm == "treated (simulated)"], d$change[d$arm == "control (simulated)"], conf.level = CONF)
fit <- lm(hba1c_followup ~ hba1c_baseline + arm, data = d)
co <- summary(fit)$coefficients["armtreated (simulated)", ]
ci <- confint(fit, "armtreated (simulated)", level = CONF)
two_out <- list(treated = within("treated (simulated)"), control = within("control (simulated)"),
                change_score = list(diff = num(unname(w$estimate[1] - w$estimate[2])), ci_low = num(w$conf.int[1]),
                                    ci_high = num(w$conf.int[2]), t = num(unname(w$statistic)),
                                    df = num(unname(w$parameter)), p = num(w$p.value)),
                ancova = list(estimate = num(co[["Estimate"]]), se = num(co[["Std. Error"]]), ci_low = num(ci[1]),
                              ci_high = num(ci[2]), t = num(co[["t value"]]), df = num(fit$df.residual),
                              p = num(co[["Pr(>|t|)"]])))
writeLines(to_json(list(`_r` = paste(R.version.string, "; tests/r/simulations.R"), rtm = rtm_out, two_arms = two_out)), OUT)
cat("wrote", OUT, "\n")
