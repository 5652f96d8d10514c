#!/usr/bin/env Rscript
# Reference values for the per-arm dose and trust numbers of results.json
# (`arms.dose` and `arms.trust`; tests/test_arms_dose.py).
#
#   Rscript tests/r/arms_dose.R        (from the repository root)
#
# writes tests/fixtures/r_arms_dose.json. CI has no R: the fixture is committed and the Python
# tests only compare against it (rel 1e-9). Only base R (stats, utils::read.csv).
#
# Data sets:
#   dose   tests/fixtures/arms_dose.csv  placebo (reference, no dose) vs msc (doses 2e8 to 2e9,
#          ties, both dose groups, both strata); serious_adverse_event yes/no/empty;
#          followup_months; one placebo row without follow-up, one msc row below moderate_min,
#          one zero change
#   two    tests/fixtures/arms_two.csv   (tests/r/arms.R's): no dose and no adverse-event column
# The cohort rules are interface.md's with the default parameters: baseline < 6.2 excluded,
# empty follow-up excluded; change = followup - baseline; high dose = dose_cells >= 1e9.
# Each value is next to the R call behind it.

if (!dir.exists("tests/fixtures")) stop("run from the repository root: Rscript tests/r/arms_dose.R")

MODERATE_MIN <- 6.2
DOSE_CUTOFF <- 1e9
CONF <- 0.95
SHAPIRO_SMALL_N <- 30   # chapter 3's low-power flag (n < 30)
LOSS_YEARS <- 5         # chapter 5's horizon for a complete loss of the mean fall
OUT <- "tests/fixtures/r_arms_dose.json"

# The JSON writer (to_json, num, attempt) and paired() of tests/r/reference.R, and PAIRED_KEYS.
source("tests/r/reference_defs.R")

# ------------------------------------------------------------------ dose within one arm
dose_block <- function(s, has_dose) {
  dosed <- if (has_dose) s[!is.na(s$dose_cells), ] else s[0, ]
  distinct <- sort(unique(dosed$dose_cells))
  out <- list(n = nrow(s), n_with_dose = nrow(dosed), n_without_dose = nrow(s) - nrow(dosed),
              n_high = sum(dosed$dose_cells >= DOSE_CUTOFF), n_low = sum(dosed$dose_cells < DOSE_CUTOFF),
              distinct_doses = length(distinct),
              single_dose_cells = if (length(distinct) == 1) distinct[1],
              varies = length(distinct) >= 2)
  nothing <- list(high = NULL, low = NULL, welch = NULL, mann_whitney = NULL, pearson = NULL, spearman = NULL,
                  adjusted = NULL)                                      # JSON null: no dose tests
  if (!out$varies) return(c(out, nothing))
  hi <- dosed[dosed$dose_cells >= DOSE_CUTOFF, ]
  lo <- dosed[dosed$dose_cells < DOSE_CUTOFF, ]
  out$high <- if (nrow(hi)) paired(hi$hba1c_baseline, hi$hba1c_followup, conf = CONF)[PAIRED_KEYS]
  out$low <- if (nrow(lo)) paired(lo$hba1c_baseline, lo$hba1c_followup, conf = CONF)[PAIRED_KEYS]
  w <- t.test(hi$change, lo$change, conf.level = CONF)                   # Welch, high - low
  out$welch <- list(t = num(w$statistic), df = num(w$parameter), p = w$p.value,
                    diff = num(w$estimate[1] - w$estimate[2]),          # mean(high) - mean(low)
                    ci_low = w$conf.int[1], ci_high = w$conf.int[2])
  m <- suppressWarnings(wilcox.test(hi$change, lo$change))              # W of the high-dose group
  out$mann_whitney <- list(u = num(m$statistic), p = m$p.value)
  pr <- cor.test(dosed$dose_cells, dosed$change, conf.level = CONF)     # Pearson, Fisher-z interval
  out$pearson <- list(r = num(pr$estimate), p = pr$p.value, ci_low = pr$conf.int[1], ci_high = pr$conf.int[2])
  sp <- suppressWarnings(cor.test(dosed$dose_cells, dosed$change, method = "spearman"))
  out$spearman <- list(rho = num(sp$estimate), p = sp$p.value)
  dosed$high <- as.numeric(dosed$dose_cells >= DOSE_CUTOFF)
  fit <- lm(change ~ hba1c_baseline + high, data = dosed)               # baseline-adjusted dose group
  co <- summary(fit)$coefficients
  ci <- confint(fit, level = CONF)
  partial_r <- cor(resid(lm(change ~ hba1c_baseline, data = dosed)),     # partial r given baseline
                   resid(lm(dose_cells ~ hba1c_baseline, data = dosed)))
  out$adjusted <- list(estimate = co["high", 1], ci_low = ci["high", 1], ci_high = ci["high", 2],
                       p = co["high", 4], n = nrow(dosed),
                       baseline_slope = co["hba1c_baseline", 1], baseline_slope_p = co["hba1c_baseline", 4],
                       r_squared = summary(fit)$r.squared,
                       partial_r = partial_r,
                       # the partial correlation's t-test is that of dose_cells in lm(change ~ b + dose_cells)
                       partial_p = summary(lm(change ~ hba1c_baseline + dose_cells, data = dosed))$coefficients["dose_cells", 4])
  out
}

# ------------------------------------------------------------------ trust within one arm
trust_block <- function(s, has_sae, has_months) {
  sw <- shapiro.test(s$change)
  out <- list(normality = list(w = num(sw$statistic), p = sw$p.value, n = nrow(s),   # shapiro.test(change)
                               low_power = nrow(s) < SHAPIRO_SMALL_N))
  out["safety"] <- list(if (has_sae) {
    known <- s$serious_adverse_event[!is.na(s$serious_adverse_event)]
    k <- sum(known == "yes")
    b <- binom.test(k, length(known), conf.level = CONF)                # exact (Clopper-Pearson)
    list(n = length(known), events = k, proportion = num(b$estimate), ci_low = b$conf.int[1],
         ci_high = b$conf.int[2], not_recorded = sum(is.na(s$serious_adverse_event)))
  })                                                                      # NULL (JSON null) without the column
  out["durability"] <- list(if (has_months) {
    years <- s$followup_months / 12
    fit <- lm(s$change ~ years)                                          # lm(change ~ I(followup_months / 12))
    co <- summary(fit)$coefficients
    ci <- confint(fit, level = CONF)
    pr <- cor.test(s$followup_months, s$change)
    sp <- suppressWarnings(cor.test(s$followup_months, s$change, method = "spearman"))
    list(n = nrow(s), slope_per_year = co["years", 1], ci_low = ci["years", 1], ci_high = ci["years", 2],
         p = co["years", 4], se = co["years", 2], intercept = co["(Intercept)", 1], mean_change = mean(s$change),
         pearson = list(r = num(pr$estimate), p = pr$p.value), spearman = list(rho = num(sp$estimate), p = sp$p.value),
         loss_years = LOSS_YEARS, loss_slope = -mean(s$change) / LOSS_YEARS)
  })
  old <- cor.test(s$change, (s$hba1c_baseline + s$hba1c_followup) / 2, conf.level = CONF)  # Oldham
  out$rtm <- list(n = nrow(s), observed_rho = cor(s$hba1c_baseline, s$hba1c_followup),
                  oldham = list(r = num(old$estimate), p = old$p.value, ci_low = old$conf.int[1],
                                ci_high = old$conf.int[2], n = nrow(s)))
  out
}

per_arm <- function(path, reference) {
  d <- read.csv(path, colClasses = c(patient_id = "character", arm = "character"), strip.white = TRUE,
                na.strings = c("", "NA"))
  a <- d[d$hba1c_baseline >= MODERATE_MIN & !is.na(d$hba1c_followup), ]  # the analysed cohort
  a$change <- a$hba1c_followup - a$hba1c_baseline
  arms <- c(reference, sort(setdiff(unique(a$arm), reference)))
  has_dose <- "dose_cells" %in% names(d)
  has_sae <- "serious_adverse_event" %in% names(d)
  has_months <- "followup_months" %in% names(d)
  dose <- list(); trust <- list()
  for (g in arms) {
    s <- a[a$arm == g, ]
    dose[[g]] <- dose_block(s, has_dose)
    trust[[g]] <- trust_block(s, has_sae, has_months)
  }
  list(path = path, dose = dose, trust = trust)
}

out <- list(
  `_r` = paste(R.version.string, "; tests/r/arms_dose.R"),
  dose = per_arm("tests/fixtures/arms_dose.csv", "placebo"),
  two = per_arm("tests/fixtures/arms_two.csv", "placebo"))
writeLines(to_json(out), OUT)
cat("wrote", OUT, "\n")
