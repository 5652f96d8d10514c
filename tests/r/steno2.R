#!/usr/bin/env Rscript
# Reference values for the mixed model on a public long HbA1c data set (tests/test_steno2.py):
# the Steno-2 example data of the R package Epi, converted by tests/r/steno2_data.R into
# tests/fixtures/long_steno2.csv (simulated by Epi's authors to mimic the trial; provenance,
# licence and citation in tests/fixtures/README.md).
#
#   Rscript tests/r/steno2.R              (from the repository root)
#
# writes tests/fixtures/r_steno2.json. Needs only base R and nlme (not Epi: it reads the
# committed CSV). CI has no R: the fixture is committed and the Python tests compare against it
# (rel 1e-4, as for tests/r/longitudinal.R). Re-run it, and commit the fixture, if the CSV changes.
#
# The model population is selected HERE, independently of mscreport, by interface.md's rules
# with the default parameters (model_rows() in tests/r/longitudinal_common.R), after two
# conversions also written from interface.md:
#   months = days between infusion_date and date / 30.4375;
#   HbA1c NGSP % = 0.0915 x IFCC mmol/mol + 2.15 (the file is in mmol/mol; every HbA1c quantity
#   of results.json, and so the model, is in NGSP %).
# Model: nlme::lme(hba1c ~ years, random = ~ years | patient_id, method = "REML"), on all
# patients and per arm (intensive, conventional); where its REML maximum is on the boundary
# (correlation -1, as for all patients and the conventional arm here), nlme's own optimiser
# cannot reach it, and the boundary is fitted by nlme as explained below.

suppressPackageStartupMessages(library(nlme))
CSV <- "tests/fixtures/long_steno2.csv"
if (!file.exists(CSV)) stop("run from the repository root: Rscript tests/r/steno2.R")

BASELINE_WINDOW <- 3
MODERATE_MIN <- 6.2
ALPHA <- 0.05
DAYS_PER_MONTH <- 30.4375
OUT <- "tests/fixtures/r_steno2.json"

source("tests/r/longitudinal_common.R")   # JSON writer, model_rows(), fit_block()

d <- read.csv(CSV, stringsAsFactors = FALSE, na.strings = "")
d$months <- as.numeric(as.Date(d$date) - as.Date(d$infusion_date)) / DAYS_PER_MONTH
d$hba1c_ifcc <- d$hba1c
d$hba1c <- 0.0915 * d$hba1c_ifcc + 2.15

# Where the patients go under the default rules (counted independently of model_rows()).
meas <- d[!is.na(d$hba1c), ]
ids <- unique(d$patient_id)
base_of <- function(pid) {
  w <- meas[meas$patient_id == pid & meas$months >= -BASELINE_WINDOW & meas$months <= 0, ]
  if (nrow(w) == 0) NA else w$hba1c[which.max(w$months)]
}
base <- vapply(ids, base_of, 0)
flow <- list(patients_read = length(ids), rows_read = nrow(d),
             empty_hba1c = sum(is.na(d$hba1c)),
             no_baseline_in_window = sum(is.na(base)),
             baseline_below_moderate_min = sum(!is.na(base) & base < MODERATE_MIN),
             model_patients = sum(!is.na(base) & base >= MODERATE_MIN))

# ------------------------------------------------------------------ the REML fit, boundary included
# The REML estimate maximises the restricted likelihood over every random-effects covariance,
# singular ones included. nlme parametrises the covariance by its log-Cholesky factor, which
# reaches only the interior: when the maximum lies on the boundary (intercept-slope correlation
# -1 or +1: every patient's line u_i (1 + rho t), a single random effect), lme() stops short with
# a convergence error or at a point below it. So each block is fitted twice, both by nlme:
#   interior  lme(hba1c ~ years, random = ~ years | patient_id)      (fit_block, as everywhere)
#   boundary  lme(hba1c ~ years, random = ~ z - 1 | patient_id), z = 1 + rho * years, with rho
#             maximising the REML log-likelihood (a grid, then optimize()); it has the same
#             marginal covariance as the two-effect model with corr = sign(rho), so the same
#             REML likelihood: sd_intercept = sd(u), sd_slope = sd(u) |rho|.
# and the reference is the one with the higher REML log-likelihood ("fit" says which).
CTL <- lmeControl(maxIter = 500, msMaxIter = 500, tolerance = 1e-10, msTol = 1e-12, niterEM = 100)

boundary_fit <- function(d, rho) {
  d$z <- 1 + rho * d$years
  lme(hba1c ~ years, random = ~ z - 1 | patient_id, data = d, method = "REML", control = CTL)
}

boundary_block <- function(d, what) {
  prof <- function(rho) as.numeric(logLik(boundary_fit(d, rho)))
  grid <- seq(-0.2, 0.2, by = 0.005)                  # per year; the profile's shape, then polish
  ll <- vapply(grid, prof, 0)
  k <- which.max(ll)
  rho <- optimize(prof, c(grid[max(k - 1, 1)], grid[min(k + 1, length(grid))]), maximum = TRUE,
                  tol = 1e-12)$maximum
  fit <- boundary_fit(d, rho)
  tt <- summary(fit)$tTable
  ci <- intervals(fit, level = 1 - ALPHA, which = "fixed")$fixed
  sd_u <- sqrt(getVarCov(fit)[1, 1])
  fe <- function(i) list(estimate = tt[i, "Value"], se = tt[i, "Std.Error"], df = tt[i, "DF"],
                         ci_low = ci[i, "lower"], ci_high = ci[i, "upper"], p = tt[i, "p-value"])
  list(`_r` = paste0(what, ": lme(hba1c ~ years, random = ~ z - 1 | patient_id, method = \"REML\"), ",
                     "z = 1 + rho * years, rho = optimize(REML logLik); summary()$tTable, ",
                     "intervals(which = \"fixed\"), getVarCov(), $sigma"),
       n_patients = length(unique(d$patient_id)), n_measurements = nrow(d),
       intercept = fe(1), slope_per_year = fe(2),
       sd_intercept = sd_u, sd_slope = sd_u * abs(rho), sd_residual = fit$sigma,
       corr_intercept_slope = sign(rho), rho = rho, reml_loglik = as.numeric(logLik(fit)))
}

best_block <- function(d, what) {
  interior <- tryCatch(fit_block(d, what), error = function(e) conditionMessage(e))
  boundary <- boundary_block(d, what)
  use_boundary <- is.character(interior) || boundary$reml_loglik > interior$reml_loglik
  out <- if (use_boundary) boundary else interior
  out$fit <- if (use_boundary) "boundary" else "interior"
  out$interior_lme <- if (is.character(interior)) list(error = gsub("\\s+", " ", interior)) else
    list(reml_loglik = interior$reml_loglik, sd_slope = interior$sd_slope,
         corr_intercept_slope = interior$corr_intercept_slope)
  out$boundary_reml_loglik <- boundary$reml_loglik
  out
}

rows <- model_rows(d)
res <- list(
  `_r_version` = R.version.string,
  `_nlme_version` = as.character(packageVersion("nlme")),
  `_data` = "tests/fixtures/long_steno2.csv (Epi::steno2 + Epi::st2clin, simulated; see tests/fixtures/README.md)",
  flow = flow,
  all = best_block(rows, CSV),
  by_arm = list(
    conventional = best_block(rows[rows$arm == "conventional", ], "arm conventional of long_steno2.csv"),
    intensive = best_block(rows[rows$arm == "intensive", ], "arm intensive of long_steno2.csv"))
)
writeLines(obj(res), OUT)
cat("wrote", OUT, "\n")
