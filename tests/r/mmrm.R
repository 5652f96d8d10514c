#!/usr/bin/env Rscript
# Reference values for the MMRM of a controlled study with visits (interface.md, "Additions (third
# release)", "Repeated measurements of a controlled study", and the Clarifications' "MMRM";
# tests/test_mmrm.py, lib/mscreport/mmrm.py).
#
#   Rscript tests/r/mmrm.R        (from the repository root)
#
# writes tests/fixtures/r_mmrm.json. CI has no R: the fixture is committed and the Python tests
# only compare against it (1e-4). Base R and nlme.
#
# The model (R, nlme):
#   gls(hba1c ~ baseline + arm * visit, correlation = corSymm(form = ~ visit_index | patient_id),
#       weights = varIdent(form = ~ 1 | visit), method = "REML")
# on the rows at time > 0 (assigned to a visit) of patients with a baseline; visit a factor of the
# nominal visits, visit_index its position (1, 2, ...); arm releveled to the reference. Difference
# at a visit = arm coefficient + arm:visit term; SE = sqrt(c' vcov c); CI with qt(1 - alpha/2, N - p);
# p from t with N - p df (N rows, p coefficients).
#
# Data sets:
#   visits_three  tests/fixtures/long_visits.csv (constructed: 300 patients, placebo / low_dose /
#                 high_dose, nominal visits at 3, 6, 9, 12 months, monotone dropout and missed
#                 visits unequal between the arms, 15 % of baselines at month -1, 3 without one;
#                 and 3 rows at month 18, 2 placebo patients and 1 high_dose: that visit is dropped)
#   visits_two    the same file, placebo and high_dose only
#   steno2        tests/fixtures/long_steno2.csv (Epi's simulated Steno-2 data; mmol/mol, converted
#                 to NGSP % as every HbA1c the report analyses: % = 0.0915 mmol/mol + 2.15), times from
#                 date - infusion_date in days / 30.4375; more than 12 distinct times, so parameter
#                 visits = 24, 48, 96, 156, 252 months with visit_window 12 (half the smallest gap)
#   steno2_wide   the same with visits = 48, 156 and visit_window 60: rows compete for a visit (the
#                 nearest kept, the others dropped and counted) and rows fall outside every window
# Baseline (every data set): the last measurement at a time in [-3, 0] months
# (baseline_window_months = 3); a patient without one is left out. Visit assignment (Clarifications):
# a row at time > 0 goes to the nearest visit within the window (equidistant: the earlier visit);
# per patient and visit the nearest row is kept (ties: the earlier); other rows are dropped and
# counted. A visit where an arm has fewer than 2 patients is dropped.

suppressPackageStartupMessages(library(nlme))
if (!dir.exists("tests/fixtures")) stop("run from the repository root: Rscript tests/r/mmrm.R")
OUT <- "tests/fixtures/r_mmrm.json"
source("tests/r/reference_defs.R")   # to_json, num
ALPHA <- 0.05
BASELINE_WINDOW <- 3

model_rows <- function(d, visits = NULL, window = NULL) {
  # d: patient_id, arm, months, hba1c
  d <- d[!is.na(d$hba1c), ]
  d <- d[order(d$patient_id, d$months), ]
  pre <- d[d$months >= -BASELINE_WINDOW & d$months <= 0, ]
  base <- tapply(pre$hba1c, pre$patient_id, function(v) v[length(v)])    # last in [-3, 0]
  post <- d[d$months > 0 & d$patient_id %in% names(base), ]
  post$baseline <- as.numeric(base[post$patient_id])
  dropped <- 0
  if (is.null(visits)) {
    post$visit_time <- post$months
  } else {
    near <- sapply(post$months, function(t) { g <- abs(t - visits); j <- which(g == min(g))[1]; if (g[j] <= window) visits[j] else NA })
    post$visit_time <- near
    post$gap <- abs(post$months - near)
    keep <- !is.na(near)
    for (key in unique(paste(post$patient_id, post$visit_time)[keep])) {
      idx <- which(keep & paste(post$patient_id, post$visit_time) == key)
      best <- idx[order(post$gap[idx], post$months[idx])][1]                 # nearest, ties the earlier
      keep[setdiff(idx, best)] <- FALSE
    }
    dropped <- sum(!keep)
    post <- post[keep, ]
  }
  list(rows = post, dropped = dropped, n_baseline = length(base))
}

mmrm_block <- function(post, reference, note = "") {
  arms <- c(reference, sort(setdiff(unique(post$arm), reference)))
  times <- sort(unique(post$visit_time))
  dropped_visits <- c()
  for (t in times) {                                            # a visit where any arm has < 2 patients
    n <- sapply(arms, function(a) length(unique(post$patient_id[post$arm == a & post$visit_time == t])))
    if (any(n < 2)) dropped_visits <- c(dropped_visits, t)
  }
  post <- post[!(post$visit_time %in% dropped_visits), ]
  times <- sort(unique(post$visit_time))
  post$visit <- factor(post$visit_time, levels = times)
  post$visit_index <- as.integer(post$visit)
  post$arm <- factor(post$arm, levels = arms)                  # reference first (releveled)
  post <- post[order(post$patient_id, post$visit_index), ]
  fit <- gls(hba1c ~ baseline + arm * visit, data = post,
             correlation = corSymm(form = ~ visit_index | patient_id),
             weights = varIdent(form = ~ 1 | visit), method = "REML")
  b <- coef(fit)
  V <- vcov(fit)
  N <- nrow(post)
  p <- length(b)
  df <- N - p
  q <- qt(1 - ALPHA / 2, df)
  comparisons <- list()
  for (a in arms[-1]) for (t in times) {
    cvec <- setNames(rep(0, p), names(b))
    cvec[paste0("arm", a)] <- 1
    if (t != times[1]) cvec[paste0("arm", a, ":visit", t)] <- 1
    est <- sum(cvec * b)
    se <- sqrt(as.numeric(t(cvec) %*% V %*% cvec))
    comparisons[[length(comparisons) + 1]] <- list(
      arm = a, reference = reference, visit = t,
      difference = est,                                        # coef: arm + arm:visit
      se = se,                                                 # sqrt(c' vcov(fit) c)
      ci_low = est - q * se, ci_high = est + q * se,           # qt(1 - alpha/2, N - p)
      df = df, p = 2 * pt(-abs(est / se), df))                 # t with N - p df
  }
  # the estimated covariance of the visits: sigma^2 * varIdent ratios^2 and corSymm correlations
  sds <- fit$sigma * c(1, coef(fit$modelStruct$varStruct, unconstrained = FALSE))[
    match(levels(post$visit), c(levels(post$visit)[1], names(coef(fit$modelStruct$varStruct, unconstrained = FALSE))))]
  R <- corMatrix(fit$modelStruct$corStruct)
  R <- R[[which.max(sapply(R, nrow))]]
  n_visit <- lapply(times, function(t) {
    n <- lapply(arms, function(a) length(unique(post$patient_id[post$arm == a & post$visit_time == t])))
    names(n) <- arms
    list(visit = t, n = n)
  })
  list(n_patients = length(unique(post$patient_id)), n_rows = N, n_coefficients = p,
       visits = n_visit, dropped_visits = as.list(dropped_visits),
       comparisons = comparisons,
       coefficients = as.list(b),                              # coef(fit)
       logLik = as.numeric(logLik(fit)),                       # REML log-likelihood
       sigma = fit$sigma,
       visit_sd = as.list(setNames(sds, levels(post$visit))),  # SD at each visit
       correlation = lapply(seq_len(nrow(R)), function(i) as.numeric(R[i, ])),
       max_abs_correlation = max(abs(R[upper.tri(R)])),
       min_variance_ratio = min(sds^2) / max(sds^2))
}

visits_file <- read.csv("tests/fixtures/long_visits.csv", colClasses = c(patient_id = "character", arm = "character"))
three <- model_rows(visits_file)
two <- model_rows(visits_file[visits_file$arm %in% c("placebo", "high_dose"), ])

st <- read.csv("tests/fixtures/long_steno2.csv", colClasses = c(patient_id = "character", arm = "character"))
st$months <- as.numeric(as.Date(st$date) - as.Date(st$infusion_date)) / 30.4375
st$hba1c <- 0.0915 * st$hba1c + 2.15                            # IFCC mmol/mol -> NGSP %
STENO_VISITS <- c(24, 48, 96, 156, 252)
STENO_WINDOW <- 12
steno <- model_rows(st[, c("patient_id", "arm", "months", "hba1c")], STENO_VISITS, STENO_WINDOW)
wide <- model_rows(st[, c("patient_id", "arm", "months", "hba1c")], c(48, 156), 60)

doc <- list(
  r_version = R.version.string, nlme_version = as.character(packageVersion("nlme")), alpha = ALPHA,
  visits_three = c(list(rows_dropped = three$dropped, n_with_baseline = three$n_baseline),
                   mmrm_block(three$rows, "placebo")),
  visits_two = c(list(rows_dropped = two$dropped, n_with_baseline = two$n_baseline),
                 mmrm_block(two$rows, "placebo")),
  steno2 = c(list(visits_param = STENO_VISITS, visit_window = STENO_WINDOW, rows_dropped = steno$dropped,
                  n_with_baseline = steno$n_baseline),
             mmrm_block(steno$rows, "conventional")),
  steno2_wide = c(list(visits_param = c(48, 156), visit_window = 60, rows_dropped = wide$dropped,
                       n_with_baseline = wide$n_baseline),
                  mmrm_block(wide$rows, "conventional")))
writeLines(to_json(doc), OUT)
cat("wrote", OUT, "\n")
