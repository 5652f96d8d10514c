#!/usr/bin/env Rscript
# Reference values for the trial analyses of a controlled study (interface.md, "Additions (third
# release)" and its Clarifications; tests/test_trial.py, lib/mscreport/trial.py).
#
#   Rscript tests/r/trial.R        (from the repository root)
#
# writes tests/fixtures/r_trial.json. CI has no R: the fixture is committed and the Python
# tests only compare against it. Only base R (stats, utils::read.csv).
#
# Data sets (columns patient_id, arm, hba1c_baseline, hba1c_followup[, followup_months]):
#   two     tests/fixtures/arms_two.csv     placebo (reference) vs msc
#   three   tests/fixtures/arms_three.csv   Placebo (reference) vs low_dose vs high_dose
#   slopes  tests/fixtures/arms_slopes.csv  control (reference) vs drug_a (slope 0.3 against the
#           reference's 0.8) vs drug_b; the stratum below has 2 patients in drug_b and moderate 2
#           in control (by_stratum null there); one row without a follow-up
# The analysed cohort of a controlled study (third release, inclusion_min = none): every patient
# with a baseline and a follow-up; stratum below (< 6.2), moderate (6.2 .. 8.0), severe (> 8.0),
# a factor of the levels present. f = hba1c_followup, b = hba1c_baseline.

if (!dir.exists("tests/fixtures")) stop("run from the repository root: Rscript tests/r/trial.R")
OUT <- "tests/fixtures/r_trial.json"
source("tests/r/reference_defs.R")   # to_json, num

MODERATE_MIN <- 6.2
SEVERE_ABOVE <- 8.0
TARGET <- 7.0       # target_hba1c
MCID <- 0.5         # mcid (% points)
ALPHA <- 0.05
CONF <- 1 - ALPHA

f_block <- function(a) {            # one row of anova(m0, m1): the second model against the first
  list(f = num(a$F[2]), df1 = num(a$Df[2]), df2 = num(a$Res.Df[2]), p = num(a$`Pr(>F)`[2]))
}

target_block <- function(x_arm, n_arm, x_ref, n_ref) {
  pt <- suppressWarnings(prop.test(c(x_arm, x_ref), c(n_arm, n_ref), correct = FALSE, conf.level = CONF))
  list(arm_rate = x_arm / n_arm, reference_rate = x_ref / n_ref,
       difference = num(pt$estimate[1] - pt$estimate[2]),   # prop.test(...)$estimate[1] - [2]
       ci_low = num(pt$conf.int[1]),                          # prop.test(...)$conf.int[1]
       ci_high = num(pt$conf.int[2]),                         # prop.test(...)$conf.int[2]
       statistic = num(pt$statistic),                         # prop.test(...)$statistic (X-squared)
       p = num(pt$p.value))                                   # prop.test(...)$p.value (NaN -> null)
}

verdict <- function(lo, hi, mcid) {  # the Clarifications' mcid rule, in this order
  if (hi < -mcid) "meaningful_benefit" else if (lo > mcid) "meaningful_harm"
  else if (lo > -mcid) "no_meaningful_benefit" else "inconclusive"
}

trial_block <- function(path, reference) {
  d <- read.csv(path, colClasses = c(patient_id = "character", arm = "character"), strip.white = TRUE)
  a <- d[!is.na(d$hba1c_baseline) & !is.na(d$hba1c_followup), ]
  a$f <- a$hba1c_followup
  a$b <- a$hba1c_baseline
  s <- ifelse(a$b < MODERATE_MIN, "below", ifelse(a$b > SEVERE_ABOVE, "severe", "moderate"))
  a$stratum <- factor(s)                                     # the levels present
  others <- sort(setdiff(unique(a$arm), reference))
  a$arm <- relevel(factor(a$arm), ref = reference)
  fit <- lm(f ~ b + arm, data = a)                           # ANCOVA on every arm
  co <- summary(fit)$coefficients
  ci <- confint(fit, level = CONF)
  p_ancova <- sapply(others, function(g) co[paste0("arm", g), "Pr(>|t|)"])
  p_holm <- p.adjust(p_ancova, "holm")                       # p.adjust(ancova p of all comparisons, "holm")
  comparisons <- lapply(others, function(g) {
    term <- paste0("arm", g)
    two <- droplevels(a[a$arm %in% c(g, reference), ])       # this arm and the reference only
    two$arm <- relevel(factor(as.character(two$arm)), ref = reference)
    inter <- anova(lm(f ~ b + arm, data = two), lm(f ~ b * arm, data = two))
    strata <- list()
    for (st in levels(a$stratum)) {
      w <- two[two$stratum == st, ]
      n_arm <- sum(w$arm == g)
      n_ref <- sum(w$arm == reference)
      block <- list(n_arm = n_arm, n_reference = n_ref, estimate = NULL, ci_low = NULL, ci_high = NULL, p = NULL)
      if (n_arm >= 3 && n_ref >= 3) {
        m <- lm(f ~ b + arm, data = w)                       # lm(f ~ b + arm) within the stratum
        cs <- summary(m)$coefficients
        cc <- confint(m, level = CONF)
        block$estimate <- num(cs[term, "Estimate"])
        block$ci_low <- num(cc[term, 1])
        block$ci_high <- num(cc[term, 2])
        block$p <- num(cs[term, "Pr(>|t|)"])
      }
      strata[[st]] <- block
    }
    x_arm <- sum(two$f[two$arm == g] < TARGET)
    x_ref <- sum(two$f[two$arm == reference] < TARGET)
    list(arm = g, reference = reference, n_arm = sum(two$arm == g), n_reference = sum(two$arm == reference),
         ancova = list(estimate = co[term, "Estimate"], ci_low = ci[term, 1], ci_high = ci[term, 2],
                       p = co[term, "Pr(>|t|)"]),            # lm(f ~ b + arm), all arms
         slopes = list(arm = num(coef(lm(f ~ b, data = two[two$arm == g, ]))["b"]),
                       reference = num(coef(lm(f ~ b, data = two[two$arm == reference, ]))["b"])),
         baseline_interaction = f_block(inter),              # anova(lm(f ~ b + arm), lm(f ~ b * arm))
         p_holm = num(p_holm[g]),
         by_stratum = strata,
         target = target_block(x_arm, sum(two$arm == g), x_ref, sum(two$arm == reference)),
         mcid_verdict = verdict(ci[term, 1], ci[term, 2], MCID))
  })
  global <- if (length(others) >= 2) f_block(anova(lm(f ~ b, data = a), lm(f ~ b + arm, data = a))) else NULL
  severity <- if (nlevels(a$stratum) >= 2)
    f_block(anova(lm(f ~ b + arm + stratum, data = a), lm(f ~ b + arm * stratum, data = a))) else NULL
  list(reference = reference, strata = levels(a$stratum), n = nrow(a),
       comparisons = comparisons, global = global, interaction_severity = severity)
}

# prop.test where R's p is NaN (no patient, or every patient, below the target in both arms)
prop_grid <- list()
for (case in list(c(0, 5, 0, 6), c(5, 5, 6, 6), c(0, 4, 3, 7), c(4, 4, 2, 9), c(1, 1, 0, 1), c(17, 40, 9, 38))) {
  prop_grid[[paste(case, collapse = "_")]] <- c(list(x_arm = case[1], n_arm = case[2], x_ref = case[3], n_ref = case[4]),
                                                 target_block(case[1], case[2], case[3], case[4]))
}

doc <- list(r_version = R.version.string,
            params = list(moderate_min = MODERATE_MIN, severe_above = SEVERE_ABOVE, target_hba1c = TARGET,
                          mcid = MCID, alpha = ALPHA),
            two = trial_block("tests/fixtures/arms_two.csv", "placebo"),
            three = trial_block("tests/fixtures/arms_three.csv", "Placebo"),
            slopes = trial_block("tests/fixtures/arms_slopes.csv", "control"),
            prop_grid = prop_grid)
writeLines(to_json(doc), OUT)
cat("wrote", OUT, "\n")
