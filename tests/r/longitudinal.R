#!/usr/bin/env Rscript
# Reference values for the longitudinal mixed model (tests/test_longitudinal.py).
#
#   Rscript tests/r/longitudinal.R        (from the repository root)
#
# writes tests/fixtures/r_longitudinal.json. CI has no R: the fixture is committed and the
# Python tests compare against it (rel 1e-4: the optimisers of nlme and statsmodels differ).
# Re-run this script, and commit the new fixture, whenever a data set below changes.
#
# Uses base R and nlme (recommended package, ships with R). The model population is selected
# HERE, independently of mscreport, by the rules of interface.md with the default parameters:
#   baseline = the last measurement with months in [-3, 0] (baseline_window_months = 3);
#   a patient enters when that baseline exists and is >= moderate_min (6.2 %);
#   model rows = the baseline measurement + every measurement with months > 0;
#   years = months / 12; rows with an empty hba1c are not measurements.
# Model: nlme::lme(hba1c ~ years, random = ~ years | patient_id, method = "REML").
#
# Data sets:
#   constructed   tests/fixtures/long_constructed.csv (arms A and control; irregular visits,
#                 missing visits, a patient without follow-up, one below moderate_min, one
#                 without a baseline in the window, a screening value outside the window)
#   synthetic     data/reconstructed_cohort_long.csv (mscreport synth --long)

suppressPackageStartupMessages(library(nlme))
if (!file.exists("data/reconstructed_cohort_long.csv") || !dir.exists("tests/fixtures"))
  stop("run from the repository root: Rscript tests/r/longitudinal.R")

BASELINE_WINDOW <- 3
MODERATE_MIN <- 6.2
ALPHA <- 0.05
OUT <- "tests/fixtures/r_longitudinal.json"

# ------------------------------------------------------------------ JSON writer
num <- function(v) if (is.null(v) || is.na(v)) "null" else sprintf("%.17g", v)
str_ <- function(s) paste0("\"", gsub("\"", "\\\\\"", s), "\"")
obj <- function(x) {
  parts <- vapply(names(x), function(k) {
    v <- x[[k]]
    val <- if (is.list(v)) obj(v) else if (is.character(v)) str_(v) else if (is.logical(v))
      (if (v) "true" else "false") else num(v)
    paste0(str_(k), ": ", val)
  }, "")
  paste0("{", paste(parts, collapse = ", "), "}")
}

# ------------------------------------------------------------------ model population
model_rows <- function(d) {
  d <- d[!is.na(d$hba1c), ]
  keep <- list()
  for (pid in unique(d$patient_id)) {
    p <- d[d$patient_id == pid, ]
    win <- p[p$months >= -BASELINE_WINDOW & p$months <= 0, ]
    if (nrow(win) == 0) next
    base <- win[which.max(win$months), ]
    if (base$hba1c < MODERATE_MIN) next
    keep[[length(keep) + 1]] <- rbind(base, p[p$months > 0, ])
  }
  out <- do.call(rbind, keep)
  out$years <- out$months / 12
  out
}

fit_block <- function(d, what) {
  fit <- lme(hba1c ~ years, random = ~ years | patient_id, data = d, method = "REML",
             control = lmeControl(maxIter = 500, msMaxIter = 500, tolerance = 1e-10,
                                  msTol = 1e-12, niterEM = 100))
  tt <- summary(fit)$tTable                       # Value, Std.Error, DF, t-value, p-value
  ci <- intervals(fit, level = 1 - ALPHA, which = "fixed")$fixed   # lower, est., upper
  re <- getVarCov(fit)                            # random-effects covariance (VarCorr() prints rounded text)
  sds <- c(sqrt(diag(re)), fit$sigma)             # sd_intercept, sd_slope, sd_residual
  fe <- function(i) list(estimate = tt[i, "Value"], se = tt[i, "Std.Error"], df = tt[i, "DF"],
                         ci_low = ci[i, "lower"], ci_high = ci[i, "upper"], p = tt[i, "p-value"])
  list(`_r` = paste0(what, ": lme(hba1c ~ years, random = ~ years | patient_id, method = \"REML\"); ",
                     "summary()$tTable, intervals(which = \"fixed\"), getVarCov(), $sigma"),
       n_patients = length(unique(d$patient_id)), n_measurements = nrow(d),
       intercept = fe(1), slope_per_year = fe(2),
       sd_intercept = sds[1], sd_slope = sds[2], sd_residual = sds[3],
       corr_intercept_slope = re[1, 2] / sqrt(re[1, 1] * re[2, 2]),
       reml_loglik = as.numeric(logLik(fit)))
}

read_long <- function(path) {
  d <- read.csv(path, stringsAsFactors = FALSE, na.strings = "")
  d$patient_id <- as.character(d$patient_id)
  d
}

constructed <- read_long("tests/fixtures/long_constructed.csv")
synthetic <- read_long("data/reconstructed_cohort_long.csv")
rows_c <- model_rows(constructed)
rows_s <- model_rows(synthetic)

res <- list(
  `_r_version` = R.version.string,
  `_nlme_version` = as.character(packageVersion("nlme")),
  constructed = fit_block(rows_c, "tests/fixtures/long_constructed.csv"),
  constructed_by_arm = list(
    A = fit_block(rows_c[rows_c$arm == "A", ], "arm A of long_constructed.csv"),
    control = fit_block(rows_c[rows_c$arm == "control", ], "arm control of long_constructed.csv")),
  synthetic = fit_block(rows_s, "data/reconstructed_cohort_long.csv")
)
writeLines(obj(res), OUT)
cat("wrote", OUT, "\n")
