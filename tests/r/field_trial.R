#!/usr/bin/env Rscript
# Reference values for the constructed ADaM ADLB (tests/test_field_files.py).
#
#   Rscript tests/r/field_trial.R        (from the repository root)
#
# writes tests/fixtures/r_field_trial.json. CI has no R: the fixture is committed.
# Reads tests/fixtures/field_trial/trial_adlb.xpt (SAS transport) with foreign::read.xport and
# applies the ADaM rules of interface.md HERE, independently of mscreport:
#   HbA1c rows: PARAMCD == "HBA1C" and an empty DTYPE (derived records left out);
#   unit AVALU "%"; days = ADY - 1 for ADY >= 1, ADY for ADY < 0; months = days / 30.4375;
#   baseline = the row with ABLFL == "Y"; follow-up = the last row after time 0 (largest ADY);
#   arm = TRT01P, reference "placebo"; moderate_min 6.2 % (no baseline below it here).
# Then: paired t-test of follow-up vs baseline (all patients), the ANCOVA
# lm(f ~ b + arm) of the msc arm, Welch on the change, and the mixed model
# nlme::lme(hba1c ~ years, random = ~ years | patient_id, method = "REML") on each patient's
# baseline row and every row after time 0.

suppressPackageStartupMessages(library(foreign))
BASELINE_WINDOW <- 3
MODERATE_MIN <- 6.2
ALPHA <- 0.05
OUT <- "tests/fixtures/r_field_trial.json"
source("tests/r/longitudinal_common.R")   # JSON writer, fit_block()

lb <- read.xport("tests/fixtures/field_trial/trial_adlb.xpt")
lb <- lb[lb$PARAMCD == "HBA1C" & trimws(lb$DTYPE) == "", ]
stopifnot(all(trimws(lb$AVALU) == "%"))
lb$days <- ifelse(lb$ADY >= 1, lb$ADY - 1, lb$ADY)
lb$months <- lb$days / 30.4375
lb$patient_id <- as.character(lb$USUBJID)
lb$hba1c <- lb$AVAL
lb$arm <- trimws(as.character(lb$TRT01P))

pat <- do.call(rbind, lapply(split(lb, lb$patient_id), function(p) {
  b <- p[p$ABLFL == "Y", ]
  after <- p[p$months > 0 & p$ABLFL != "Y", ]
  f <- after[which.max(after$months), ]
  data.frame(patient_id = p$patient_id[1], arm = p$arm[1], b = b$hba1c, f = f$hba1c)
}))
stopifnot(all(pat$b >= MODERATE_MIN))
pat$arm <- relevel(factor(pat$arm), ref = "placebo")
change <- pat$f - pat$b

tt <- t.test(pat$f, pat$b, paired = TRUE, conf.level = 1 - ALPHA)
paired <- list(`_r` = "t.test(f, b, paired = TRUE)", n = nrow(pat), mean_change = mean(change),
               sd_change = sd(change), ci_low = tt$conf.int[1], ci_high = tt$conf.int[2],
               t = unname(tt$statistic), df = unname(tt$parameter), p = tt$p.value)

fit <- lm(f ~ b + arm, data = pat)
co <- summary(fit)$coefficients["armmsc", ]
ci <- confint(fit, level = 1 - ALPHA)["armmsc", ]
ancova <- list(`_r` = "lm(f ~ b + arm), arm msc vs placebo", estimate = co[["Estimate"]],
               se = co[["Std. Error"]], ci_low = ci[[1]], ci_high = ci[[2]], t = co[["t value"]],
               df = fit$df.residual, p = co[["Pr(>|t|)"]])
w <- t.test(change[pat$arm == "msc"], change[pat$arm == "placebo"], conf.level = 1 - ALPHA)
welch <- list(`_r` = "t.test(change[msc], change[placebo])", diff = unname(w$estimate[1] - w$estimate[2]),
              ci_low = w$conf.int[1], ci_high = w$conf.int[2], t = unname(w$statistic), df = unname(w$parameter),
              p = w$p.value)

model <- do.call(rbind, lapply(split(lb, lb$patient_id), function(p) rbind(p[p$ABLFL == "Y", ], p[p$months > 0 & p$ABLFL != "Y", ])))
model$years <- model$months / 12
mixed <- fit_block(model[, c("patient_id", "hba1c", "months", "years")], "constructed ADLB")

writeLines(obj(list(overall = paired, ancova = ancova, welch_change = welch, mixed_model = mixed,
                    n_measurements = nrow(lb))), OUT)
cat("wrote", OUT, "\n")
