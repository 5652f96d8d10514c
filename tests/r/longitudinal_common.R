# Shared by tests/r/longitudinal.R and tests/r/steno2.R (source()d; run from the repository
# root): the JSON writer, the model population by interface.md's rules, and the nlme fit.
# The caller defines BASELINE_WINDOW, MODERATE_MIN and ALPHA before calling these functions.

suppressPackageStartupMessages(library(nlme))

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
