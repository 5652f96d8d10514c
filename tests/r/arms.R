#!/usr/bin/env Rscript
# Reference values for the `arms` block of results.json (tests/test_arms.py).
#
#   Rscript tests/r/arms.R        (from the repository root)
#
# writes tests/fixtures/r_arms.json. CI has no R: the fixture is committed and the Python
# tests only compare against it (rel 1e-9). Re-run this script, and commit the new fixture,
# whenever a data set below changes. Only base R (stats, utils::read.csv).
#
# Data sets (columns patient_id, arm, hba1c_baseline, hba1c_followup, followup_months):
#   two    tests/fixtures/arms_two.csv    placebo (reference) vs msc: unequal arms, both strata,
#          ties in the changes, one row below moderate_min, one without follow-up
#   three  tests/fixtures/arms_three.csv  Placebo (reference, capital P) vs low_dose vs high_dose
#   sparse tests/fixtures/arms_sparse.csv control vs a vs b, arm a without a severe patient (its
#          interaction term is aliased: anova's Df counts only the estimable one); no followup_months
# The cohort rules are interface.md's with the default parameters: baseline < 6.2 excluded,
# empty follow-up excluded; change = followup - baseline; severe = baseline > 8.0. Each value
# is next to the R call behind it.

if (!dir.exists("tests/fixtures")) stop("run from the repository root: Rscript tests/r/arms.R")

MODERATE_MIN <- 6.2
SEVERE_ABOVE <- 8.0
CONF <- 0.95
OUT <- "tests/fixtures/r_arms.json"

# The JSON writer (to_json, num, attempt) and paired() of tests/r/reference.R, and PAIRED_KEYS.
source("tests/r/reference_defs.R")
paired_block <- function(baseline, followup) paired(baseline, followup, conf = CONF)[PAIRED_KEYS]  # interface.md PAIRED

# ------------------------------------------------------------------ one data set
arms_block <- function(path, reference) {
  d <- read.csv(path, colClasses = c(patient_id = "character", arm = "character"), strip.white = TRUE)
  keep <- d$hba1c_baseline >= MODERATE_MIN & !is.na(d$hba1c_followup)   # the analysed cohort
  a <- d[keep, ]
  flow <- list()                                                          # per arm
  for (g in unique(d$arm)) {
    in_g <- d$arm == g
    flow[[g]] <- list(rows_read = sum(in_g), excluded = sum(in_g & !keep), analysed = sum(in_g & keep),
                      moderate = sum(in_g & keep & d$hba1c_baseline <= SEVERE_ABOVE),
                      severe = sum(in_g & keep & d$hba1c_baseline > SEVERE_ABOVE))
  }
  a$change <- a$hba1c_followup - a$hba1c_baseline
  a$stratum <- factor(ifelse(a$hba1c_baseline > SEVERE_ABOVE, "severe", "moderate"))
  others <- sort(setdiff(unique(a$arm), reference))
  a$arm <- relevel(factor(a$arm), ref = reference)                        # reference = base level
  groups <- list()
  for (g in c(reference, others)) {
    s <- a[a$arm == g, ]
    groups[[g]] <- list(
      overall = paired_block(s$hba1c_baseline, s$hba1c_followup),
      strata = list(moderate = with(s[s$stratum == "moderate", ], paired_block(hba1c_baseline, hba1c_followup)),
                    severe = with(s[s$stratum == "severe", ], paired_block(hba1c_baseline, hba1c_followup))))
  }
  fit <- lm(hba1c_followup ~ hba1c_baseline + arm, data = a)            # ANCOVA on every arm at once
  co <- summary(fit)$coefficients
  ci <- confint(fit, level = CONF)
  comparisons <- lapply(others, function(g) {
    term <- paste0("arm", g)
    x <- a$change[a$arm == g]
    y <- a$change[a$arm == reference]
    w <- t.test(x, y, conf.level = CONF)                                  # Welch (var.equal = FALSE)
    m <- suppressWarnings(wilcox.test(x, y))                              # ties: normal approximation
    list(arm = g, reference = reference, n_arm = length(x), n_reference = length(y),
         ancova = list(estimate = co[term, "Estimate"],                   # coef(summary(lm(f ~ b + arm)))[term, 1]
                       se = co[term, "Std. Error"],                       # [term, 2]
                       ci_low = ci[term, 1],                              # confint(fit)[term, 1]
                       ci_high = ci[term, 2],                             # confint(fit)[term, 2]
                       t = co[term, "t value"],                           # [term, 3]
                       df = fit$df.residual,                              # df.residual(fit)
                       p = co[term, "Pr(>|t|)"]),                         # [term, 4]
         welch_change = list(diff = num(w$estimate[1] - w$estimate[2]),   # mean(x) - mean(y)
                             ci_low = w$conf.int[1],                      # t.test(x, y)$conf.int[1]
                             ci_high = w$conf.int[2],                     # t.test(x, y)$conf.int[2]
                             t = num(w$statistic),                        # t.test(x, y)$statistic
                             df = num(w$parameter),                       # t.test(x, y)$parameter
                             p = w$p.value),                              # t.test(x, y)$p.value
         mann_whitney = list(u = num(m$statistic),                        # wilcox.test(x, y)$statistic (W of x)
                             p = m$p.value,                               # wilcox.test(x, y)$p.value
                             method = m$method))
  })
  av <- anova(lm(hba1c_followup ~ hba1c_baseline + arm + stratum, data = a),
              lm(hba1c_followup ~ hba1c_baseline + arm * stratum, data = a))
  list(path = path, flow = flow,
       arms = list(reference = reference, groups = groups, comparisons = comparisons,
                   interaction_severity = list(f = av$F[2],               # anova(m0, m1)$F[2]
                                               df1 = av$Df[2],            # anova(m0, m1)$Df[2]
                                               df2 = av$Res.Df[2],        # anova(m0, m1)$Res.Df[2]
                                               p = av$`Pr(>F)`[2])))      # anova(m0, m1)$"Pr(>F)"[2]
}

out <- list(
  `_r` = paste(R.version.string, "; tests/r/arms.R"),
  two = arms_block("tests/fixtures/arms_two.csv", "placebo"),
  three = arms_block("tests/fixtures/arms_three.csv", "Placebo"),
  sparse = arms_block("tests/fixtures/arms_sparse.csv", "control"))
writeLines(to_json(out), OUT)
cat("wrote", OUT, "\n")
