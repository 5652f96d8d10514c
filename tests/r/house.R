#!/usr/bin/env Rscript
# Reference values from base R for tests/test_house_vs_r.py (issue 15.4): the threshold
# sensitivity table, Table 1, chapter 5 (Oldham, regression to the mean, durability) and the
# Holm family the report actually adjusts.
#
#   Rscript tests/r/house.R        (from the repository root)
#
# writes tests/fixtures/r_house.json. CI has no R: the fixture is committed and the Python
# tests only compare against it. The JSON writer and the cohort rules (read_cohort, PARAMS)
# are taken from tests/r/reference.R (its definitions only, not its computations), so both
# fixtures read the cohorts the same way.

if (!file.exists("tests/r/reference.R")) stop("run from the repository root: Rscript tests/r/house.R")
local({
  wanted <- c("PARAMS", "json_string", "json_scalar", "to_json", "num", "attempt", "read_cohort")
  for (e in parse("tests/r/reference.R"))
    if (is.call(e) && identical(e[[1]], as.name("<-")) && as.character(e[[2]])[1] %in% wanted) eval(e, globalenv())
})
ALPHA <- PARAMS$alpha
OUT <- "tests/fixtures/r_house.json"
GRID <- c(7.0, 7.5, 8.0, 8.5, 9.0, 10.0)   # strata.SENSITIVITY_GRID (severe_above 8 is in it)
RHOS <- c(0.5, 0.6, 0.7, 0.8, 0.9)         # trust.rtm_table's rhos

t_p <- function(b, f) if (length(b) >= 2 && sd(f - b) > 0) num(t.test(f, b, paired = TRUE)$p.value) else NULL

# strata.threshold_sensitivity: for each cut-off c, severe = baseline > c
sensitivity <- function(a) lapply(GRID, function(cut) {
  sev <- a$hba1c_baseline > cut
  list(severe_above = cut, n_moderate = sum(!sev), n_severe = sum(sev),
       mean_change_moderate = if (any(!sev)) mean(a$change[!sev]) else NULL,   # mean(change[baseline <= c])
       p_moderate = t_p(a$hba1c_baseline[!sev], a$hba1c_followup[!sev]),       # t.test(f, b, paired = TRUE)$p.value
       mean_change_severe = if (any(sev)) mean(a$change[sev]) else NULL,
       p_severe = t_p(a$hba1c_baseline[sev], a$hba1c_followup[sev]))
})

# describe.describe_cohort: numeric summaries per group; quantile() type 7 (R's default)
numeric_summary <- function(v) {
  v <- v[!is.na(v)]
  list(n = length(v), mean = mean(v), sd = if (length(v) > 1) sd(v) else NULL, median = median(v),
       q1 = num(quantile(v, 0.25)), q3 = num(quantile(v, 0.75)), min = min(v), max = max(v))
}
table_one <- function(a) {
  groups <- list(overall = a, moderate = a[a$stratum == "moderate", ], severe = a[a$stratum == "severe", ])
  lapply(groups, function(g) {
    out <- list(patients = nrow(g),
                hba1c_baseline = list(mean = mean(g$hba1c_baseline), sd = sd(g$hba1c_baseline)))
    for (col in c("dose_cells", "followup_months", "age_years", "bmi", "diabetes_duration_years"))
      if (!is.null(g[[col]])) out[[col]] <- numeric_summary(g[[col]])
    for (col in c("msc_source", "sex"))
      if (!is.null(g[[col]])) out[[col]] <- as.list(table(g[[col]][g[[col]] != ""]))   # table(x): counts per level
    out
  })
}

# trust: Oldham, Barnett's expected RTM, durability, sample size, the Holm family
trust_block <- function(a) {
  m <- (a$hba1c_baseline + a$hba1c_followup) / 2
  old <- cor.test(m, a$change, conf.level = 1 - ALPHA)                 # cor.test((b + f) / 2, change)
  mu <- mean(a$hba1c_baseline); s <- sd(a$hba1c_baseline)
  z <- (PARAMS$severe_above - mu) / s
  sev <- a[a$stratum == "severe", ]
  rtm <- lapply(RHOS, function(rho) list(
    rho = rho,
    expected_fall_model = s * (1 - rho) * dnorm(z) / pnorm(z, lower.tail = FALSE),  # Barnett et al. 2005
    expected_fall_means = (1 - rho) * (mean(sev$hba1c_baseline) - mu),
    observed_fall = -mean(sev$change)))
  fu <- a[!is.na(a$followup_months), ]
  fit <- lm(change ~ I(followup_months / 12), data = fu)                 # lm(change ~ I(followup_months / 12))
  dur <- list(n = nrow(fu), slope_per_year = num(coef(fit)[2]),
              pearson_r = num(cor.test(fu$followup_months, fu$change)$estimate),
              pearson_p = num(cor.test(fu$followup_months, fu$change)$p.value),
              spearman_rho = num(suppressWarnings(cor.test(fu$followup_months, fu$change, method = "spearman"))$estimate))
  effects <- list(moderate = a[a$stratum == "moderate", ])
  fd <- a[!is.na(a$dose_cells), ]
  hi <- fd[fd$dose_cells >= PARAMS$dose_cutoff, ]; lo <- fd[fd$dose_cells < PARAMS$dose_cutoff, ]
  # the family trust.subgroup_family names, in its order
  p <- c("moderate paired t" = t.test(effects$moderate$hba1c_followup, effects$moderate$hba1c_baseline, paired = TRUE)$p.value,
         "severe paired t" = t.test(sev$hba1c_followup, sev$hba1c_baseline, paired = TRUE)$p.value,
         "high-dose paired t" = t.test(hi$hba1c_followup, hi$hba1c_baseline, paired = TRUE)$p.value,
         "low-dose paired t" = t.test(lo$hba1c_followup, lo$hba1c_baseline, paired = TRUE)$p.value,
         "high vs low (Welch)" = t.test(hi$change, lo$change)$p.value,
         "dose-change (Pearson)" = cor.test(fd$dose_cells, fd$change)$p.value)
  list(oldham = list(r = num(old$estimate), p = num(old$p.value), ci_low = old$conf.int[1], ci_high = old$conf.int[2]),
       rtm = rtm, durability = dur,
       holm = list(tests = I(names(p)), p = as.list(p), adjusted = as.list(p.adjust(p, method = "holm"))))  # p.adjust(p, "holm")
}

datasets <- list(reconstructed_cohort = "data/reconstructed_cohort.csv", teaching = "tests/fixtures/cohort_teaching.csv")
out <- list(r_version = R.version.string, params = PARAMS, grid = I(GRID), rhos = I(RHOS),
            datasets = lapply(datasets, function(path) {
              a <- read_cohort(path)$frame
              list(path = path, threshold_sensitivity = sensitivity(a), table1 = table_one(a), trust = trust_block(a))
            }))
writeLines(to_json(out), OUT)
cat("wrote", OUT, "\n")
