#!/usr/bin/env Rscript
# Reference values from base R for tests/test_stats_vs_r.py.
#
#   Rscript tests/r/reference.R        (from the repository root)
#
# writes tests/fixtures/r_reference.json. CI has no R: the fixture is committed and the
# Python tests only compare against it (rel 1e-9). Re-run this script, and commit the new
# fixture, whenever a data set below changes.
#
# Only base R is used (base, stats, utils::read.csv, datasets::sleep); the JSON is written by
# the small writer below with sprintf("%.17g"), i.e. at full double precision.
# Every block in the fixture carries "_r": the R call behind each of its values, and the
# same calls are written next to each value in this script.
#
# Data sets:
#   sleep                 datasets::sleep (Student's sleep data), baseline = group 2,
#                         follow-up = group 1, so change = group 1 - group 2 and
#                         t.test(followup, baseline, paired = TRUE) is R's documented
#                         t = -4.0621, df = 9, p = 0.002833 (tests/fixtures/sleep.csv).
#   reconstructed_cohort  data/reconstructed_cohort.csv (the bundled cohort)
#   teaching              tests/fixtures/cohort_teaching.csv
# The cohort rules are those of docs / interface.md with the default parameters below:
# baseline < moderate_min excluded; empty follow-up excluded; change = followup - baseline;
# moderate = moderate_min <= baseline <= severe_above, severe = baseline > severe_above;
# high dose = dose_cells >= dose_cutoff; an empty dose leaves the patient out of dose analyses.

if (!file.exists("data/reconstructed_cohort.csv") || !dir.exists("tests/fixtures"))
  stop("run from the repository root: Rscript tests/r/reference.R")

PARAMS <- list(moderate_min = 6.2, severe_above = 8.0, dose_cutoff = 1e9, alpha = 0.05,
               target_hba1c = 7.0)
ALPHA <- PARAMS$alpha
CONF <- 1 - ALPHA
OUT <- "tests/fixtures/r_reference.json"

# ------------------------------------------------------------------ JSON writer
# NULL / NA / NaN / +-Inf -> null; a length-1 atomic -> scalar; I(x) or length != 1 -> array;
# a named list -> object; an unnamed list -> array.
json_string <- function(s) {
  s <- gsub("\\", "\\\\", s, fixed = TRUE)
  s <- gsub("\"", "\\\"", s, fixed = TRUE)
  s <- gsub("\n", "\\n", s, fixed = TRUE)
  s <- gsub("\t", "\\t", s, fixed = TRUE)
  paste0("\"", s, "\"")
}
json_scalar <- function(v) {
  if (is.na(v)) return("null")
  if (is.logical(v)) return(if (v) "true" else "false")
  if (is.character(v)) return(json_string(v))
  if (is.integer(v)) return(sprintf("%d", v))
  if (is.numeric(v)) return(if (is.finite(v)) sprintf("%.17g", v) else "null")
  stop("cannot write a ", class(v)[1], " as JSON")
}
to_json <- function(x, indent = 0L) {
  pad <- strrep("  ", indent + 1L)
  end <- strrep("  ", indent)
  if (is.null(x)) return("null")
  if (is.factor(x)) x <- as.character(x)
  if (is.list(x)) {
    named <- !is.null(names(x))
    if (length(x) == 0L) return(if (named) "{}" else "[]")
    items <- vapply(x, to_json, "", indent = indent + 1L)
    if (named)
      return(paste0("{\n", paste0(pad, json_string(names(x)), ": ", items, collapse = ",\n"), "\n", end, "}"))
    return(paste0("[\n", paste0(pad, items, collapse = ",\n"), "\n", end, "]"))
  }
  if (inherits(x, "AsIs") || length(x) != 1L) {
    x <- unname(unclass(x))
    return(paste0("[", paste(vapply(seq_along(x), function(i) json_scalar(x[i]), ""), collapse = ", "), "]"))
  }
  json_scalar(unname(x))
}

# ------------------------------------------------------------------ helpers
num <- function(x) if (is.null(x)) NULL else unname(as.numeric(x))
# R's own errors become NULL (JSON null): "R cannot compute this"; warnings are expected
# (ties, zeros) and silenced.
attempt <- function(expr) tryCatch(suppressWarnings(expr), error = function(e) NULL)
r_error <- function(expr) tryCatch({ suppressWarnings(expr); NULL }, error = function(e) conditionMessage(e))
# Welch, Mann-Whitney, Spearman need the warnings only to know which path R took.
with_warnings <- function(expr) {
  w <- character(0)
  value <- withCallingHandlers(expr, warning = function(c) { w <<- c(w, conditionMessage(c)); invokeRestart("muffleWarning") })
  list(value = value, warnings = w)
}

# ------------------------------------------------------------------ paired analysis (PAIRED)
R_PAIRED <- list(
  n = "length(followup - baseline)",
  baseline_mean = "mean(baseline)",
  baseline_sd = "sd(baseline)",
  followup_mean = "mean(followup)",
  followup_sd = "sd(followup)",
  mean_change = "t.test(followup, baseline, paired = TRUE)$estimate",
  sd_change = "sd(followup - baseline)",
  ci_low = "t.test(followup, baseline, paired = TRUE, conf.level = 1 - alpha)$conf.int[1]",
  ci_high = "t.test(followup, baseline, paired = TRUE, conf.level = 1 - alpha)$conf.int[2]",
  t = "t.test(followup, baseline, paired = TRUE)$statistic",
  df = "t.test(followup, baseline, paired = TRUE)$parameter",
  p = "t.test(followup, baseline, paired = TRUE)$p.value",
  wilcoxon_p = "wilcox.test(followup, baseline, paired = TRUE)$p.value",
  cohens_dz = "mean(followup - baseline) / sd(followup - baseline)",
  se_change = "t.test(followup, baseline, paired = TRUE)$stderr",
  shapiro_w = "shapiro.test(followup - baseline)$statistic",
  shapiro_p = "shapiro.test(followup - baseline)$p.value",
  wilcoxon_v = "wilcox.test(followup, baseline, paired = TRUE)$statistic",
  wilcoxon_method = "wilcox.test(followup, baseline, paired = TRUE)$method",
  hl_estimate = "wilcox.test(followup - baseline, conf.int = TRUE, conf.level = 1 - alpha)$estimate",
  hl_ci_low = "wilcox.test(followup - baseline, conf.int = TRUE, conf.level = 1 - alpha)$conf.int[1]",
  hl_ci_high = "wilcox.test(followup - baseline, conf.int = TRUE, conf.level = 1 - alpha)$conf.int[2]",
  hl_method = "wilcox.test(followup - baseline, conf.int = TRUE, conf.level = 1 - alpha)$method",
  walsh_median = paste("d <- (followup - baseline)[followup - baseline != 0];",
                       "w <- outer(d, d, '+'); median(sort(w[!lower.tri(w)]) / 2)")
)

walsh_median <- function(d) {
  d <- d[d != 0]                        # wilcox.test drops zero differences first
  if (length(d) == 0L) return(NULL)
  w <- outer(d, d, "+")                 # as wilcox.test.default: sort(diffs[!lower.tri(diffs)]) / 2
  median(sort(w[!lower.tri(w)]) / 2)
}

paired <- function(baseline, followup, conf = CONF) {
  d <- followup - baseline
  n <- length(d)
  tt <- attempt(t.test(followup, baseline, paired = TRUE, conf.level = conf))
  wt <- attempt(wilcox.test(followup, baseline, paired = TRUE))
  wci <- attempt(wilcox.test(d, conf.int = TRUE, conf.level = conf))
  sw <- attempt(shapiro.test(d))
  list(
    n = n,                                                   # length(followup - baseline)
    baseline_mean = if (n >= 1) mean(baseline),              # mean(baseline)
    baseline_sd = if (n >= 2) sd(baseline),                  # sd(baseline)
    followup_mean = if (n >= 1) mean(followup),              # mean(followup)
    followup_sd = if (n >= 2) sd(followup),                  # sd(followup)
    mean_change = if (n >= 1) mean(d),                       # t.test(followup, baseline, paired = TRUE)$estimate
    sd_change = if (n >= 2) sd(d),                           # sd(followup - baseline)
    ci_low = num(tt$conf.int[1]),                            # t.test(..., paired = TRUE, conf.level = 1 - alpha)$conf.int[1]
    ci_high = num(tt$conf.int[2]),                           # t.test(..., paired = TRUE, conf.level = 1 - alpha)$conf.int[2]
    t = num(tt$statistic),                                   # t.test(followup, baseline, paired = TRUE)$statistic
    df = num(tt$parameter),                                  # t.test(followup, baseline, paired = TRUE)$parameter
    p = num(tt$p.value),                                     # t.test(followup, baseline, paired = TRUE)$p.value
    wilcoxon_p = num(wt$p.value),                            # wilcox.test(followup, baseline, paired = TRUE)$p.value
    cohens_dz = if (n >= 2 && sd(d) > 0) mean(d) / sd(d),    # mean(followup - baseline) / sd(followup - baseline)
    se_change = num(tt$stderr),                              # t.test(followup, baseline, paired = TRUE)$stderr
    shapiro_w = num(sw$statistic),                           # shapiro.test(followup - baseline)$statistic
    shapiro_p = num(sw$p.value),                             # shapiro.test(followup - baseline)$p.value
    wilcoxon_v = num(wt$statistic),                          # wilcox.test(followup, baseline, paired = TRUE)$statistic
    wilcoxon_method = wt$method,                             # wilcox.test(followup, baseline, paired = TRUE)$method
    hl_estimate = num(wci$estimate),                         # wilcox.test(d, conf.int = TRUE, conf.level = 1 - alpha)$estimate
    hl_ci_low = num(wci$conf.int[1]),                        # wilcox.test(d, conf.int = TRUE, ...)$conf.int[1]
    hl_ci_high = num(wci$conf.int[2]),                       # wilcox.test(d, conf.int = TRUE, ...)$conf.int[2]
    hl_method = wci$method,                                  # wilcox.test(d, conf.int = TRUE, ...)$method
    walsh_median = walsh_median(d)                           # median of the Walsh averages of the non-zero d
  )
}

# ------------------------------------------------------------------ two groups, correlation
R_WELCH <- list(t = "t.test(x, y)$statistic", df = "t.test(x, y)$parameter", p = "t.test(x, y)$p.value",
                diff = "diff(rev(t.test(x, y)$estimate))",
                ci_low = "t.test(x, y, conf.level = 1 - alpha)$conf.int[1]",
                ci_high = "t.test(x, y, conf.level = 1 - alpha)$conf.int[2]")
welch <- function(x, y, conf = CONF) {
  w <- attempt(t.test(x, y, conf.level = conf))             # Welch: var.equal = FALSE is the default
  if (is.null(w)) return(list(t = NULL, df = NULL, p = NULL, diff = NULL, ci_low = NULL, ci_high = NULL))
  list(t = num(w$statistic),                                # t.test(x, y)$statistic
       df = num(w$parameter),                               # t.test(x, y)$parameter
       p = num(w$p.value),                                  # t.test(x, y)$p.value
       diff = num(w$estimate[1] - w$estimate[2]),           # mean(x) - mean(y)
       ci_low = num(w$conf.int[1]),                         # t.test(x, y, conf.level = 1 - alpha)$conf.int[1]
       ci_high = num(w$conf.int[2]))                        # t.test(x, y, conf.level = 1 - alpha)$conf.int[2]
}

R_MW <- list(u = "wilcox.test(x, y)$statistic  (R's W for x)", p = "wilcox.test(x, y)$p.value",
             method = "wilcox.test(x, y)$method")
mann_whitney <- function(x, y) {
  m <- attempt(wilcox.test(x, y))
  list(u = num(m$statistic),                                # wilcox.test(x, y)$statistic  (W)
       p = num(m$p.value),                                  # wilcox.test(x, y)$p.value
       method = m$method)                                   # wilcox.test(x, y)$method
}

R_PEARSON <- list(n = "length(x)", r = "cor.test(x, y)$estimate", p = "cor.test(x, y)$p.value",
                  ci_low = "cor.test(x, y, conf.level = 1 - alpha)$conf.int[1]",
                  ci_high = "cor.test(x, y, conf.level = 1 - alpha)$conf.int[2]")
pearson <- function(x, y, conf = CONF) {
  ct <- attempt(cor.test(x, y, conf.level = conf))
  list(n = length(x),
       r = num(ct$estimate),                                # cor.test(x, y)$estimate
       p = num(ct$p.value),                                 # cor.test(x, y)$p.value
       ci_low = num(ct$conf.int[1]),                        # cor.test(x, y, conf.level = 1 - alpha)$conf.int[1]
       ci_high = num(ct$conf.int[2]))                       # cor.test(x, y, conf.level = 1 - alpha)$conf.int[2]
}

R_SPEARMAN <- list(n = "length(x)", rho = "cor.test(x, y, method = 'spearman')$estimate",
                   p = "cor.test(x, y, method = 'spearman')$p.value",
                   S = "cor.test(x, y, method = 'spearman')$statistic",
                   path = paste("'exact' unless cor.test warned 'Cannot compute exact p-value with ties' or n > 1290",
                                "(R 4.2 cor.test.default: exact <- TRUE; pspearman uses C_pRho if (n <= 1290 && exact),",
                                "else the t approximation; ?cor.test says n < 1290)"))
spearman <- function(x, y) {
  r <- with_warnings(cor.test(x, y, method = "spearman"))
  ct <- r$value
  ties <- any(grepl("Cannot compute exact p-value with ties", r$warnings))
  list(n = length(x),
       rho = num(ct$estimate),                              # cor.test(x, y, method = "spearman")$estimate
       p = num(ct$p.value),                                 # cor.test(x, y, method = "spearman")$p.value
       S = num(ct$statistic),                               # cor.test(x, y, method = "spearman")$statistic
       path = if (ties || length(x) > 1290) "t approximation" else "exact")  # pspearman: n <= 1290 && exact
}

# ------------------------------------------------------------------ cohort files
read_cohort <- function(path) {
  d <- read.csv(path, colClasses = c(patient_id = "character"), strip.white = TRUE)
  stopifnot(is.numeric(d$hba1c_baseline), is.numeric(d$hba1c_followup))
  below <- d$hba1c_baseline < PARAMS$moderate_min                # excluded: baseline below moderate_min
  no_fu <- is.na(d$hba1c_followup) & !below                      # excluded: empty follow-up
  a <- d[!below & !no_fu, ]
  a$change <- a$hba1c_followup - a$hba1c_baseline                 # change = follow-up - baseline
  a$stratum <- ifelse(a$hba1c_baseline > PARAMS$severe_above, "severe", "moderate")
  if (!is.null(a$dose_cells))
    a$dose_group <- ifelse(is.na(a$dose_cells), NA, ifelse(a$dose_cells >= PARAMS$dose_cutoff, "high", "low"))
  if (!is.null(a$msc_source))
    stopifnot(all(a$msc_source %in% c("umbilical_cord", "bone_marrow", "adipose", "")))
  list(rows_read = nrow(d), frame = a,
       excluded_rows = sort(c(which(below), which(no_fu))))       # 1-based data rows
}

dose_block <- function(a) {
  fd <- a[!is.na(a$dose_cells), ]
  hi <- fd[fd$dose_cells >= PARAMS$dose_cutoff, ]
  lo <- fd[fd$dose_cells < PARAMS$dose_cutoff, ]
  list(cutoff_cells = PARAMS$dose_cutoff,
       n_with_dose = nrow(fd), n_without_dose = nrow(a) - nrow(fd),
       high = paired(hi$hba1c_baseline, hi$hba1c_followup),
       low = paired(lo$hba1c_baseline, lo$hba1c_followup),
       welch = welch(hi$change, lo$change),                 # t.test(change[high], change[low])
       mann_whitney = mann_whitney(hi$change, lo$change),   # wilcox.test(change[high], change[low])
       pearson = pearson(fd$dose_cells, fd$change),         # cor.test(dose_cells, change)
       spearman = spearman(fd$dose_cells, fd$change))       # cor.test(dose_cells, change, method = "spearman")
}

# The same tests inside smaller groups (exercise exact paths the whole cohort does not reach).
subgroup_block <- function(a) {
  fd <- a[!is.na(a$dose_cells), ]
  sets <- list(moderate = fd$stratum == "moderate", severe = fd$stratum == "severe",
               high = fd$dose_group == "high", low = fd$dose_group == "low",
               moderate_high = fd$stratum == "moderate" & fd$dose_group == "high",
               moderate_low = fd$stratum == "moderate" & fd$dose_group == "low",
               severe_high = fd$stratum == "severe" & fd$dose_group == "high",
               severe_low = fd$stratum == "severe" & fd$dose_group == "low")
  cor_tests <- lapply(sets, function(s) {
    g <- fd[s, ]
    list(pearson = pearson(g$dose_cells, g$change),         # cor.test(dose_cells, change) within the group
         spearman = spearman(g$dose_cells, g$change))       # cor.test(..., method = "spearman") within the group
  })
  two_group <- lapply(c(moderate = "moderate", severe = "severe"), function(s) {
    g <- fd[fd$stratum == s, ]
    x <- g$change[g$dose_group == "high"]
    y <- g$change[g$dose_group == "low"]
    list(welch = welch(x, y),                               # t.test(change[high], change[low]) within the stratum
         mann_whitney = mann_whitney(x, y))                 # wilcox.test(change[high], change[low]) within the stratum
  })
  list(correlation = cor_tests, high_vs_low = two_group)
}

R_ADJ <- list(
  n = "nrow(fd)  (fd: analysed patients with a dose)",
  high_vs_low = "coef(lm(change ~ hba1c_baseline + high, fd))['high']",
  high_vs_low_ci_low = "confint(lm(change ~ hba1c_baseline + high, fd), level = 1 - alpha)['high', 1]",
  high_vs_low_ci_high = "confint(lm(change ~ hba1c_baseline + high, fd), level = 1 - alpha)['high', 2]",
  high_vs_low_p = "summary(lm(change ~ hba1c_baseline + high, fd))$coefficients['high', 'Pr(>|t|)']",
  baseline_slope = "coef(lm(change ~ hba1c_baseline + high, fd))['hba1c_baseline']",
  baseline_slope_p = "summary(lm(change ~ hba1c_baseline + high, fd))$coefficients['hba1c_baseline', 'Pr(>|t|)']",
  r_squared = "summary(lm(change ~ hba1c_baseline + high, fd))$r.squared",
  partial_r = "cor(resid(lm(change ~ hba1c_baseline, fd)), resid(lm(dose_cells ~ hba1c_baseline, fd)))",
  partial_p = "2 * pt(-abs(partial_r * sqrt((n - 3) / (1 - partial_r^2))), n - 3)")
adjusted_block <- function(a) {
  fd <- a[!is.na(a$dose_cells), ]
  fd$high <- as.numeric(fd$dose_cells >= PARAMS$dose_cutoff)
  fit <- lm(change ~ hba1c_baseline + high, data = fd)
  cf <- summary(fit)$coefficients
  ci <- confint(fit, level = CONF)
  rc <- resid(lm(change ~ hba1c_baseline, data = fd))
  rd <- resid(lm(dose_cells ~ hba1c_baseline, data = fd))
  pr <- cor(rc, rd)
  dfree <- nrow(fd) - 3
  list(n = nrow(fd),
       high_vs_low = cf["high", "Estimate"],                          # coef(fit)["high"]
       high_vs_low_ci_low = ci["high", 1],                            # confint(fit, level = 1 - alpha)["high", 1]
       high_vs_low_ci_high = ci["high", 2],                           # confint(fit, level = 1 - alpha)["high", 2]
       high_vs_low_p = cf["high", "Pr(>|t|)"],                        # summary(fit)$coefficients["high", "Pr(>|t|)"]
       baseline_slope = cf["hba1c_baseline", "Estimate"],             # coef(fit)["hba1c_baseline"]
       baseline_slope_p = cf["hba1c_baseline", "Pr(>|t|)"],           # summary(fit)$coefficients[..., "Pr(>|t|)"]
       r_squared = summary(fit)$r.squared,                            # summary(fit)$r.squared
       partial_r = pr,                                                # cor(resid(change ~ baseline), resid(dose ~ baseline))
       partial_p = 2 * pt(-abs(pr * sqrt(dfree / (1 - pr^2))), dfree))  # t test of partial r, df n - 3
}

R_SOURCES <- list(
  groups = "per msc_source (sorted): length(change), mean(change), sd(change)",
  anova_f = "oneway.test(change ~ msc_source, var.equal = TRUE)$statistic  (sources with >= 2 patients)",
  anova_df1 = "oneway.test(change ~ msc_source, var.equal = TRUE)$parameter[1]",
  anova_df2 = "oneway.test(change ~ msc_source, var.equal = TRUE)$parameter[2]",
  anova_p = "oneway.test(change ~ msc_source, var.equal = TRUE)$p.value",
  kruskal_h = "kruskal.test(change ~ msc_source)$statistic",
  kruskal_p = "kruskal.test(change ~ msc_source)$p.value")
sources_block <- function(a) {
  fs <- a[!is.na(a$msc_source) & a$msc_source != "", ]
  src <- sort(unique(fs$msc_source))
  groups <- lapply(src, function(s) { x <- fs$change[fs$msc_source == s]
    list(source = s, n = length(x), mean_change = mean(x), sd_change = if (length(x) >= 2) sd(x)) })
  usable <- src[vapply(src, function(s) sum(fs$msc_source == s) >= 2, TRUE)]  # as dose.compare_sources
  fu <- fs[fs$msc_source %in% usable, ]
  ow <- oneway.test(change ~ msc_source, data = fu, var.equal = TRUE)
  kw <- kruskal.test(change ~ msc_source, data = fu)
  list(groups = groups,
       anova_f = num(ow$statistic),                         # oneway.test(change ~ msc_source, var.equal = TRUE)$statistic
       anova_df1 = num(ow$parameter[1]),                    # ...$parameter["num df"]
       anova_df2 = num(ow$parameter[2]),                    # ...$parameter["denom df"]
       anova_p = num(ow$p.value),                           # ...$p.value
       kruskal_h = num(kw$statistic),                       # kruskal.test(change ~ msc_source)$statistic
       kruskal_p = num(kw$p.value))                         # kruskal.test(change ~ msc_source)$p.value
}

R_MCNEMAR <- list(
  n = "length(before)",
  below_before = "sum(before)", below_after = "sum(after)",
  became_below = "table(before, after)['FALSE', 'TRUE']", became_above = "table(before, after)['TRUE', 'FALSE']",
  statistic = "mcnemar.test(table(factor(before, c(FALSE, TRUE)), factor(after, c(FALSE, TRUE))))$statistic  (correct = TRUE)",
  p = "mcnemar.test(table(factor(before, c(FALSE, TRUE)), factor(after, c(FALSE, TRUE))))$p.value")
mcnemar <- function(before, after) {
  tab <- table(factor(before, levels = c(FALSE, TRUE)), factor(after, levels = c(FALSE, TRUE)))
  mc <- attempt(mcnemar.test(tab))                          # correct = TRUE is the default
  list(before = I(before), after = I(after), n = length(before),
       below_before = sum(before), below_after = sum(after),
       became_below = tab["FALSE", "TRUE"], became_above = tab["TRUE", "FALSE"],
       statistic = num(mc$statistic),                       # mcnemar.test(table(before, after))$statistic
       p = num(mc$p.value))                                 # mcnemar.test(table(before, after))$p.value
}

holm <- function(p) {
  adj <- p.adjust(p, method = "holm")                       # p.adjust(p, method = "holm"); NA stays NA
  list(p = as.list(p), adjusted = as.list(adj))
}


# ------------------------------------------------------------------ every number the report shows
# (interface.md "Every number the report shows"; the Python side is lib/mscreport/report/results.py)
R_COMPLETE <- list(
  normality = "shapiro.test(change)$statistic, $p.value  (overall, per stratum)",
  target_ci = "prop.test(below_after, n, correct = FALSE, conf.level = 1 - alpha)$conf.int  (Wilson)",
  safety_ci = "binom.test(events, n, conf.level = 1 - alpha)$conf.int  (Clopper-Pearson)",
  durability = "lm(change ~ I(followup_months / 12)): coef, confint(level = 1 - alpha), summary()$coefficients[, 'Pr(>|t|)']",
  holm_family = "p.adjust(p, 'holm') over the six subgroup tests (strata, dose groups, Welch, Pearson)",
  rtm = "cor(baseline, followup); sd(b) * (1 - rho) * dnorm(z) / pnorm(z, lower.tail = FALSE), z = (severe_above - mean(b)) / sd(b)",
  sample_size = "power.t.test(delta = delta, sd = sd, sig.level = alpha, power = power, tol = 1e-12)$n",
  threshold = "t.test(followup[b > cut], baseline[b > cut], paired = TRUE)$p.value and the moderate side",
  windows = "t.test(change[window])  (months (0, 12], (12, 36], (36, Inf))",
  attrition = "t.test(c(change, rep(0, m)))  (m infused patients without follow-up counted as unchanged)",
  table1 = "mean, sd, median, quantile(type = 7), min, max per group")

prop_ci <- function(k, n, conf = CONF) {
  if (n == 0) return(list(n = n, k = k, proportion = NULL, ci_low = NULL, ci_high = NULL))
  pt_ <- suppressWarnings(prop.test(k, n, correct = FALSE, conf.level = conf))
  list(n = n, k = k, proportion = k / n,
       ci_low = num(pt_$conf.int[1]),                      # prop.test(k, n, correct = FALSE)$conf.int[1]
       ci_high = num(pt_$conf.int[2]))                     # prop.test(k, n, correct = FALSE)$conf.int[2]
}
binom_ci <- function(k, n, conf = CONF) {
  if (n == 0) return(list(n = n, k = k, proportion = NULL, ci_low = NULL, ci_high = NULL))
  bt <- binom.test(k, n, conf.level = conf)
  list(n = n, k = k, proportion = k / n,
       ci_low = num(bt$conf.int[1]),                       # binom.test(k, n)$conf.int[1]
       ci_high = num(bt$conf.int[2]))                      # binom.test(k, n)$conf.int[2]
}
slope_fit <- function(x, y, conf = CONF) {
  fit <- lm(y ~ x)
  cf <- summary(fit)$coefficients
  ci <- confint(fit, level = conf)
  list(n = length(x),
       intercept = cf["(Intercept)", "Estimate"],          # coef(lm(y ~ x))[1]
       slope = cf["x", "Estimate"],                        # coef(lm(y ~ x))[2]
       se = cf["x", "Std. Error"],                         # summary(lm(y ~ x))$coefficients['x', 'Std. Error']
       ci_low = ci["x", 1], ci_high = ci["x", 2],          # confint(lm(y ~ x), level = 1 - alpha)['x', ]
       t = cf["x", "t value"], p = cf["x", "Pr(>|t|)"])    # summary(lm(y ~ x))$coefficients['x', ]
}
power_n <- function(delta, sd, power, alpha = ALPHA)
  power.t.test(delta = delta, sd = sd, sig.level = alpha, power = power, tol = 1e-12)$n  # two.sample, two.sided

# The paper's overall figures (printed; data/published_results.yaml): n = 61, 7.49 % -> 6.7 %, p < 0.0001.
PAPER <- list(n = 61, baseline_mean = 7.49, followup_mean = 6.7, overall_p = 1e-4,
              moderate_reduction = 0.58, moderate_p = 2e-7, severe_reduction = 1.55, severe_p = 0.0122)

complete_block <- function(a, sae = NULL, n_no_followup = 0) {
  d <- a$change
  groups <- list(overall = rep(TRUE, nrow(a)), moderate = a$stratum == "moderate", severe = a$stratum == "severe")
  normality <- lapply(groups, function(s) { sw <- attempt(shapiro.test(d[s]))
    list(w = num(sw$statistic), p = num(sw$p.value)) })   # shapiro.test(change)
  hl <- lapply(groups, function(s) { wt <- attempt(wilcox.test(d[s], conf.int = TRUE, conf.level = CONF))
    list(median_change = median(d[s]),                      # median(change)
         zeros = sum(d[s] == 0),                            # zero changes (dropped by wilcox.test)
         ci_low = num(wt$conf.int[1]), ci_high = num(wt$conf.int[2]), method = wt$method) })
  tgt <- PARAMS$target_hba1c
  before <- a$hba1c_baseline < tgt
  after <- a$hba1c_followup < tgt
  target <- list(
    n = nrow(a), below_before = sum(before), below_after = sum(after),
    after = prop_ci(sum(after), nrow(a)),                   # prop.test(below_after, n, correct = FALSE)
    among_above = prop_ci(sum(after & !before), sum(!before)),  # those at or above the target at baseline
    below_7_before = sum(a$hba1c_baseline < 7),             # sum(baseline < 7)
    below_6_5_before = sum(a$hba1c_baseline < 6.5))         # sum(baseline < 6.5)
  safety <- if (!is.null(sae)) binom_ci(sum(sae, na.rm = TRUE), sum(!is.na(sae)))  # binom.test(events, n)
  fm <- a[!is.na(a$followup_months), ]
  years <- fm$followup_months / 12
  durability <- c(slope_fit(years, fm$change),             # lm(change ~ I(followup_months / 12))
                  list(pearson = pearson(fm$followup_months, fm$change),
                       spearman = spearman(fm$followup_months, fm$change)))
  dose <- dose_block(a)
  sev <- a[a$stratum == "severe", ]
  mod <- a[a$stratum == "moderate", ]
  fam <- c("moderate paired t" = t.test(mod$hba1c_followup, mod$hba1c_baseline, paired = TRUE)$p.value,
           "severe paired t" = t.test(sev$hba1c_followup, sev$hba1c_baseline, paired = TRUE)$p.value,
           "high-dose paired t" = dose$high$p, "low-dose paired t" = dose$low$p,
           "high vs low (Welch)" = dose$welch$p, "dose-change (Pearson)" = dose$pearson$p)
  holm_family <- list(tests = I(names(fam)), p = I(unname(fam)),
                      p_holm = I(p.adjust(unname(fam), "holm")))  # p.adjust(p, "holm")
  b <- a$hba1c_baseline
  rho_obs <- cor(b, a$hba1c_followup)                      # cor(baseline, followup)
  z <- (PARAMS$severe_above - mean(b)) / sd(b)
  rtm_rows <- lapply(c(0.5, 0.6, 0.7, 0.8, 0.9, rho_obs), function(rho)
    list(rho = rho,
         expected_fall_model = sd(b) * (1 - rho) * dnorm(z) / pnorm(z, lower.tail = FALSE),
         expected_fall_means = (1 - rho) * (mean(sev$hba1c_baseline) - mean(b)),
         observed_fall = -mean(sev$change)))
  rtm <- list(observed_rho = rho_obs, rows = rtm_rows)
  # sample size: SDs = the cohort's, the largest the paper's overall p allows, 1 %
  paper_delta <- PAPER$baseline_mean - PAPER$followup_mean
  sd_paper <- paper_delta * sqrt(PAPER$n) / qt(1 - PAPER$overall_p / 2, PAPER$n - 1)
  sds <- c(cohort = sd(d), paper_bound = sd_paper, typical = 1.0)
  deltas <- c(full = abs(mean(d)), half = abs(mean(d)) / 2)
  ss <- list()
  for (dn in names(deltas)) for (sn in names(sds)) for (pw in c(0.8, 0.9))
    ss[[length(ss) + 1]] <- list(delta = deltas[[dn]], sd = sds[[sn]], power = pw,
                                 n = power_n(deltas[[dn]], sds[[sn]], pw))  # power.t.test(...)$n
  thr <- lapply(c(7.0, 7.5, 8.0, 8.5, 9.0, 10.0), function(cut) {
    s <- b > cut
    tp <- function(k) { r <- attempt(t.test(a$hba1c_followup[k], b[k], paired = TRUE)); num(r$p.value) }
    list(severe_above = cut, n_moderate = sum(!s), n_severe = sum(s),
         mean_change_moderate = if (any(!s)) mean(d[!s]), p_moderate = tp(!s),
         mean_change_severe = if (any(s)) mean(d[s]), p_severe = tp(s)) })
  win <- list()
  if (nrow(fm)) {
    cuts <- list(c(0, 12), c(12, 36), c(36, Inf))
    for (w in cuts) {
      k <- fm$followup_months > w[1] & fm$followup_months <= w[2]
      tt <- attempt(t.test(fm$change[k], conf.level = CONF))
      win[[length(win) + 1]] <- list(from = w[1], to = if (is.finite(w[2])) w[2], n = sum(k),
                                     mean_change = if (any(k)) mean(fm$change[k]),
                                     sd_change = if (sum(k) > 1) sd(fm$change[k]),
                                     ci_low = num(tt$conf.int[1]), ci_high = num(tt$conf.int[2]), p = num(tt$p.value))
    }
  }
  bcf <- c(d, rep(0, n_no_followup))                       # baseline carried forward: change 0
  tb <- t.test(bcf, conf.level = CONF)
  attrition <- list(n_completers = length(d), n_no_followup = n_no_followup, n_infused = length(bcf),
                    bcf_mean_change = mean(bcf), bcf_ci_low = tb$conf.int[1], bcf_ci_high = tb$conf.int[2],
                    bcf_p = tb$p.value)
  t1 <- lapply(groups, function(s) {
    g <- a[s, ]
    one <- function(v) { v <- v[!is.na(v)]
      list(n = length(v), mean = if (length(v)) mean(v), sd = if (length(v) > 1) sd(v),
           median = if (length(v)) median(v),
           q1 = if (length(v)) unname(quantile(v, 0.25)), q3 = if (length(v)) unname(quantile(v, 0.75)),
           min = if (length(v)) min(v), max = if (length(v)) max(v)) }
    list(n = nrow(g), hba1c_baseline = one(g$hba1c_baseline), dose_cells = one(g$dose_cells),
         followup_months = one(g$followup_months)) })
  list(normality = normality, hodges_lehmann = hl, target = target, safety = safety,
       durability = durability, holm = holm_family, rtm = rtm,
       sample_size = list(sds = as.list(sds), deltas = as.list(deltas), rows = ss),
       threshold_sensitivity = thr, windows = win, attrition = attrition, table1 = t1)
}

# The reconstruction's severe stratum size: every n_severe for which the paper's stratum
# reductions give its 6.7 % at follow-up, and the SD and 95 % CI each implies (p = 0.0122).
severe_range <- lapply(2:30, function(ns) {
  nm <- PAPER$n - ns
  fu <- PAPER$baseline_mean - (nm * PAPER$moderate_reduction + ns * PAPER$severe_reduction) / PAPER$n
  tq <- qt(1 - PAPER$severe_p / 2, ns - 1)                   # t(ns - 1) with two-sided p = 0.0122
  sdv <- PAPER$severe_reduction * sqrt(ns) / tq
  half <- qt(1 - ALPHA / 2, ns - 1) * sdv / sqrt(ns)
  list(n_severe = ns, followup_mean = fu, prints_as_6_7 = round(fu, 1) == 6.7,
       sd_change = sdv, ci_low = -PAPER$severe_reduction - half, ci_high = -PAPER$severe_reduction + half)
})
moderate_sd_bound <- PAPER$moderate_reduction * sqrt(48) / qt(1 - PAPER$moderate_p / 2, 47)  # p < 2e-7, n = 48

# Single-function grids for the new tests.
proportion_grid <- list()
for (kn in list(c(0, 61), c(1, 27), c(40, 61), c(61, 61), c(3, 10), c(0, 1), c(5, 5)))
  proportion_grid[[sprintf("k%d_n%d", kn[1], kn[2])]] <- list(
    k = kn[1], n = kn[2], wilson = prop_ci(kn[1], kn[2]), clopper_pearson = binom_ci(kn[1], kn[2]),
    wilson_90 = prop_ci(kn[1], kn[2], 0.90), clopper_pearson_90 = binom_ci(kn[1], kn[2], 0.90))
power_grid <- list()
for (row in list(c(0.5, 1, 0.8), c(0.79, 1.036, 0.9), c(0.2, 1.5, 0.8), c(1.55, 1.9, 0.8), c(0.3, 0.66, 0.9)))
  power_grid[[length(power_grid) + 1]] <- list(delta = row[1], sd = row[2], power = row[3],
                                               n = power_n(row[1], row[2], row[3]))  # power.t.test(...)$n
oneway_grid <- list()
add_oneway <- function(name, groups) {
  y <- unlist(groups); g <- factor(rep(seq_along(groups), lengths(groups)))
  ow <- oneway.test(y ~ g, var.equal = TRUE)
  oneway_grid[[name]] <<- list(groups = lapply(groups, I), f = num(ow$statistic),  # oneway.test(var.equal = TRUE)
                               df1 = num(ow$parameter[1]), df2 = num(ow$parameter[2]), p = num(ow$p.value))
}
add_oneway("three", list(c(-1.2, -0.4, 0.3), c(0.5, -0.9, 1.1, 0.7), c(2.1, 1.6, -0.1)))
add_oneway("two", list(c(-0.5, -0.7, -0.2, -1.0), c(0.1, -0.3, 0.2)))

cohort_dataset <- function(path) {
  co <- read_cohort(path)
  a <- co$frame
  overall <- paired(a$hba1c_baseline, a$hba1c_followup)
  strata <- lapply(c(moderate = "moderate", severe = "severe"), function(s) {
    g <- a[a$stratum == s, ]
    paired(g$hba1c_baseline, g$hba1c_followup)
  })
  dose <- dose_block(a)
  raw <- c(overall = overall$p, moderate = strata$moderate$p, severe = strata$severe$p,
           welch = dose$welch$p, mann_whitney = dose$mann_whitney$p,
           pearson = dose$pearson$p, spearman = dose$spearman$p)
  list(path = path, rows_read = co$rows_read, rows_analysed = nrow(a),
       excluded_rows = I(co$excluded_rows),
       overall = overall, strata = strata, dose = dose,
       subgroups = subgroup_block(a),
       adjusted_dose = adjusted_block(a),
       sources = sources_block(a),
       # target: baseline < target_hba1c and followup < target_hba1c
       mcnemar = mcnemar(a$hba1c_baseline < PARAMS$target_hba1c, a$hba1c_followup < PARAMS$target_hba1c),
       holm = holm(raw),
       complete = complete_block(a,
         sae = if (!is.null(a$serious_adverse_event))   # yes/no; an empty cell is missing
           ifelse(a$serious_adverse_event == "", NA, tolower(a$serious_adverse_event) %in% c("yes", "true", "1")),
         n_no_followup = sum(is.na(read.csv(path)$hba1c_followup) & read.csv(path)$hba1c_baseline >= PARAMS$moderate_min)))
}

# ------------------------------------------------------------------ the data sets
sleep_csv <- read.csv("tests/fixtures/sleep.csv")
stopifnot(identical(sleep_csv$hba1c_followup, datasets::sleep$extra[datasets::sleep$group == 1]),
          identical(sleep_csv$hba1c_baseline, datasets::sleep$extra[datasets::sleep$group == 2]))
sleep_g1 <- datasets::sleep$extra[datasets::sleep$group == 1]
sleep_g2 <- datasets::sleep$extra[datasets::sleep$group == 2]

datasets_out <- list(
  sleep = list(source = "datasets::sleep; baseline = extra[group == 2], followup = extra[group == 1]",
               baseline = I(sleep_g2), followup = I(sleep_g1),
               paired = paired(sleep_g2, sleep_g1),
               # the new calls on the sleep data too: change = group 1 - group 2
               lm_change_on_baseline = slope_fit(sleep_g2, sleep_g1 - sleep_g2),   # lm(change ~ baseline)
               negative_changes_wilson = prop_ci(sum(sleep_g1 - sleep_g2 < 0), 10),   # prop.test(k, 10, correct = FALSE)
               negative_changes_exact = binom_ci(sum(sleep_g1 - sleep_g2 < 0), 10),   # binom.test(k, 10)
               power_n = power_n(abs(mean(sleep_g1 - sleep_g2)), sd(sleep_g1 - sleep_g2), 0.8),  # power.t.test(...)$n
               oneway_by_half = (function() { y <- sleep_g1 - sleep_g2; g <- factor(rep(1:2, each = 5))
                 ow <- oneway.test(y ~ g, var.equal = TRUE)                       # oneway.test(var.equal = TRUE)
                 list(f = num(ow$statistic), df1 = num(ow$parameter[1]), df2 = num(ow$parameter[2]), p = num(ow$p.value)) })()),
  reconstructed_cohort = cohort_dataset("data/reconstructed_cohort.csv"),
  teaching = cohort_dataset("tests/fixtures/cohort_teaching.csv"))

# The teaching cohort again at alpha = 0.10 (every interval at 90 %).
teach <- read_cohort("tests/fixtures/cohort_teaching.csv")$frame
teach_dose <- teach[!is.na(teach$dose_cells), ]
sev <- teach[teach$stratum == "severe", ]
alpha_010 <- list(
  alpha = 0.10,
  overall = paired(teach$hba1c_baseline, teach$hba1c_followup, conf = 0.90),
  severe = paired(sev$hba1c_baseline, sev$hba1c_followup, conf = 0.90),
  welch = welch(teach_dose$change[teach_dose$dose_group == "high"],
                teach_dose$change[teach_dose$dose_group == "low"], conf = 0.90),
  pearson = pearson(teach_dose$dose_cells, teach_dose$change, conf = 0.90))

# ------------------------------------------------------------------ grids for single functions
set.seed(20240501)  # sample() with R >= 3.6 "Rejection" sampling; the vectors are stored anyway

# Spearman: every n = 3..40 without ties (exact enumeration n <= 9, AS 89 n = 10..1289),
# a strong positive and a strong negative relation per n (both tails), rho = +-1, the
# t approximation with ties and at n = 1290.
spearman_grid <- list()
add_spearman <- function(name, x, y) {
  spearman_grid[[name]] <<- c(list(x = I(x), y = I(y)), spearman(x, y))
}
for (n in 3:40) {
  x <- as.numeric(seq_len(n))
  add_spearman(sprintf("random_n%d", n), x, as.numeric(sample(n)))
  add_spearman(sprintf("positive_n%d", n), x, as.numeric(rank(x + rnorm(n, sd = n / 5))))
  add_spearman(sprintf("negative_n%d", n), x, round(-x + rnorm(n, sd = n / 6), 3) + 20)
}
add_spearman("identity_n10", as.numeric(1:10), as.numeric(1:10) / 3)
add_spearman("reversed_n12", as.numeric(1:12), as.numeric(12:1) * 0.1)
add_spearman("identity_n7", as.numeric(1:7), as.numeric(1:7))
add_spearman("reversed_n5", as.numeric(1:5), as.numeric(5:1))
add_spearman("ties_n15", as.numeric(1:15), c(1, 2, 2, 3, 5, 4, 7, 7, 9, 8, 11, 10, 10, 14, 13))
add_spearman("ties_n8", c(1, 1, 2, 3, 4, 5, 6, 7), c(3, 1, 2, 5, 4, 8, 6, 7))
add_spearman("n1289_no_ties", as.numeric(1:1289), as.numeric(rank(1:1289 + rnorm(1289, sd = 2500))))
add_spearman("n1290_no_ties", as.numeric(1:1290), as.numeric(rank(1:1290 + rnorm(1290, sd = 2500))))
add_spearman("n1291_no_ties", as.numeric(1:1291), as.numeric(rank(1:1291 + rnorm(1291, sd = 2500))))

# Signed-rank test and Hodges-Lehmann (wilcox.test(d, conf.int = TRUE)) around R's exact/normal
# switch: n < 50 without ties or zeros is exact.
signrank_grid <- list()
add_signrank <- function(name, d, conf = CONF) {
  wt <- attempt(wilcox.test(d, conf.int = TRUE, conf.level = conf))
  signrank_grid[[name]] <<- list(
    d = I(d), alpha = 1 - conf,
    v = num(wt$statistic),                                   # wilcox.test(d, conf.int = TRUE)$statistic
    p = num(wt$p.value),                                     # wilcox.test(d, conf.int = TRUE)$p.value
    method = wt$method,                                      # wilcox.test(d, conf.int = TRUE)$method
    hl_estimate = num(wt$estimate),                          # wilcox.test(d, conf.int = TRUE)$estimate
    hl_ci_low = num(wt$conf.int[1]),                         # wilcox.test(d, conf.int = TRUE, conf.level)$conf.int[1]
    hl_ci_high = num(wt$conf.int[2]),                        # ...$conf.int[2]
    walsh_median = walsh_median(d))                          # median of the Walsh averages of d[d != 0]
}
add_signrank("exact_n10", c(-0.3, 1.1, 2.4, -0.8, 1.9, 0.5, 3.1, -1.4, 2.2, 0.9))
add_signrank("exact_n10_alpha10", c(-0.3, 1.1, 2.4, -0.8, 1.9, 0.5, 3.1, -1.4, 2.2, 0.9), conf = 0.90)
add_signrank("exact_n5", c(0.4, -0.2, 1.3, 0.9, 2.1))
add_signrank("exact_n1", c(0.7))
add_signrank("exact_n3_all_negative", c(-0.3, -1.2, -0.5))
add_signrank("exact_n20", round(seq(0.05, 2, length.out = 20) * sample(c(-1, 1, 1), 20, replace = TRUE), 3))
add_signrank("exact_n49", (1:49) / 10 * sample(c(-1, 1, 1), 49, replace = TRUE) + 0.01)
add_signrank("normal_n50", (1:50) / 10 * sample(c(-1, 1, 1), 50, replace = TRUE) + 0.01)
add_signrank("normal_ties_n12", c(-0.5, -0.5, -0.2, 0.3, -1.0, -1.0, -1.0, -0.8, 0.4, -0.2, -1.5, -0.7))
add_signrank("normal_zero_n12", c(-0.5, 0, -0.2, 0.3, -1.1, -1.0, -0.9, -0.8, 0.4, -0.25, -1.5, -0.7))
add_signrank("normal_n120", round(rnorm(120, mean = -0.3, sd = 1), 4))

# Rank-sum test (Mann-Whitney) and Welch around R's exact/normal switch (both n < 50, no ties).
ranksum_grid <- list()
add_ranksum <- function(name, x, y) {
  ranksum_grid[[name]] <<- c(list(x = I(x), y = I(y)),
                             mann_whitney(x, y),             # wilcox.test(x, y)
                             list(welch = welch(x, y)))      # t.test(x, y)
}
add_ranksum("exact_5_7", c(-1.2, -0.4, -2.3, 0.6, -0.9), c(-0.1, 0.3, -0.7, 0.8, -0.2, 1.4, 0.05))
add_ranksum("exact_1_3", c(0.5), c(0.1, 0.9, 0.3))
add_ranksum("exact_12_10", round(rnorm(12, -0.5), 4), round(rnorm(10, 0), 4))
add_ranksum("exact_49_10", round(rnorm(49, -0.2), 5), round(rnorm(10, 0.3), 5))
add_ranksum("normal_50_10", round(rnorm(50, -0.2), 5), round(rnorm(10, 0.3), 5))
add_ranksum("normal_ties_8_9", c(-0.5, -0.5, -1.0, 0.2, -0.3, -1.0, 0.0, -0.8), c(0.1, -0.5, 0.3, 0.0, -0.2, 0.4, 0.2, -0.1, 0.6))
add_ranksum("separated_6_6", c(1, 2, 3, 4, 5, 6) / 10, c(7, 8, 9, 10, 11, 12) / 10)

# Shapiro-Wilk (AS R94): n = 3 (exact), 4..11 and >= 12 (two approximations), up to 5000,
# and a range below 1e-10 (shapiro.test rescales it).
shapiro_grid <- list()
add_shapiro <- function(name, x) {
  sw <- shapiro.test(x)
  shapiro_grid[[name]] <<- list(x = I(x),
                                w = num(sw$statistic),       # shapiro.test(x)$statistic
                                p = num(sw$p.value))         # shapiro.test(x)$p.value
}
for (n in c(3, 4, 5, 6, 7, 9, 11, 12, 13, 20, 35, 50, 120)) {
  add_shapiro(sprintf("normal_n%d", n), round(rnorm(n, -0.6, 0.8), 2))
  add_shapiro(sprintf("skewed_n%d", n), round(rexp(n) - 1, 2))
}
add_shapiro("n3_pattern", c(-0.5, -0.4, 0.9))
add_shapiro("n5000", round(rnorm(5000), 3))
add_shapiro("tiny_range", c(0, 3e-11, 5e-11, 9e-11, 2e-11))
add_shapiro("one_outlier_n10", c(rep(-0.5, 9), 2))

# Kruskal-Wallis: kruskal.test counts ties with table(x) (values to 15 significant digits) but
# ranks the exact values, so 0.1 + 0.2 and 0.3, or the changes 7.7 - 8.2 and 7.8 - 8.3, are
# ranked apart yet corrected as ties.
kruskal_grid <- list()
add_kruskal <- function(name, groups) {
  x <- unlist(groups)
  g <- factor(rep(seq_along(groups), lengths(groups)))
  kw <- kruskal.test(x, g)
  kruskal_grid[[name]] <<- list(groups = lapply(groups, I),
                                h = num(kw$statistic),       # kruskal.test(x, g)$statistic
                                df = num(kw$parameter),      # kruskal.test(x, g)$parameter
                                p = num(kw$p.value))         # kruskal.test(x, g)$p.value
}
add_kruskal("no_ties", list(c(-1.2, -0.4, 0.3), c(0.5, -0.9, 1.1, 0.7), c(2.1, 1.6, -0.1)))
add_kruskal("exact_ties", list(c(-0.5, -0.5, 0.3), c(0.3, -0.9, 1.1, 0.7), c(2.1, -0.5, -0.1)))
add_kruskal("decimal_ties", list(c(7.7 - 8.2, 6.5 - 7.0, 0.1 + 0.2), c(0.3, -0.9, 7.8 - 8.3), c(2.1, 1.6, -0.1, 0.3)))

# McNemar: continuity correction only when the discordant counts differ (as mcnemar.test).
mcnemar_grid <- list(
  unequal = mcnemar(c(rep(TRUE, 6), rep(FALSE, 9), rep(TRUE, 2), rep(FALSE, 3)),
                    c(rep(TRUE, 6), rep(TRUE, 9), rep(FALSE, 2), rep(FALSE, 3))),
  equal_discordant = mcnemar(c(rep(TRUE, 3), rep(FALSE, 2), rep(TRUE, 2), rep(FALSE, 4)),
                             c(rep(TRUE, 3), rep(TRUE, 2), rep(FALSE, 2), rep(FALSE, 4))),
  one_discordant = mcnemar(c(TRUE, FALSE, FALSE, TRUE), c(TRUE, TRUE, FALSE, TRUE)),
  no_discordant = mcnemar(c(TRUE, FALSE, FALSE, TRUE), c(TRUE, FALSE, FALSE, TRUE)))

holm_grid <- list(
  with_na_and_ties = holm(c(a = 0.01, b = 0.04, c = NA, d = 0.03, e = 0.01, f = 0.5)),
  single = holm(c(only = 0.2)),
  capped = holm(c(x = 0.3, y = 0.6, z = 0.02)))

# Degenerate input: R stops (or returns NA) where the Python returns None.
degenerate <- list(
  paired_n0 = r_error(t.test(numeric(0), numeric(0), paired = TRUE)),
  paired_n1 = r_error(t.test(7.5, 8.1, paired = TRUE)),
  paired_sd0 = r_error(t.test(c(6.5, 7.5, 8.5), c(7, 8, 9), paired = TRUE)),
  shapiro_n2 = r_error(shapiro.test(c(-0.5, 0.1))),
  welch_n1 = r_error(t.test(c(0.5), c(0.1, 0.2, 0.4))),
  pearson_n2 = r_error(cor.test(c(1, 2), c(3, 5))),
  mann_whitney_empty = r_error(wilcox.test(numeric(0), c(0.1, 0.2))),
  spearman_constant = if (is.na(suppressWarnings(cor(c(1, 1, 1, 1), c(1, 2, 3, 4), method = "spearman"))))
    "cor() is NA: the standard deviation is zero")

# ------------------------------------------------------------------ write
out <- list(
  generated_by = "Rscript tests/r/reference.R",
  r_version = R.version.string,
  params = PARAMS,
  r_calls = list(paired = R_PAIRED, welch = R_WELCH, mann_whitney = R_MW, pearson = R_PEARSON,
                 spearman = R_SPEARMAN, adjusted_dose = R_ADJ, sources = R_SOURCES, mcnemar = R_MCNEMAR,
                 holm = "p.adjust(p, method = 'holm')", complete = R_COMPLETE),
  datasets = datasets_out,
  alpha_010_teaching = alpha_010,
  spearman_grid = spearman_grid,
  signrank_grid = signrank_grid,
  ranksum_grid = ranksum_grid,
  shapiro_grid = shapiro_grid,
  kruskal_grid = kruskal_grid,
  mcnemar_grid = mcnemar_grid,
  holm_grid = holm_grid,
  proportion_grid = proportion_grid,
  power_grid = power_grid,
  oneway_grid = oneway_grid,
  reconstruction = list(severe_range = severe_range, moderate_sd_bound = moderate_sd_bound, paper = PAPER),
  degenerate_r_errors = degenerate)
writeLines(to_json(out), OUT)
cat("wrote", OUT, "with", R.version.string, "\n")
