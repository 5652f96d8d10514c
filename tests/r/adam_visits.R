#!/usr/bin/env Rscript
# Reference values for the MMRM of an ADaM file at its nominal visits (interface.md, Clarifications,
# "MMRM": "Visits: ADaM: the post-baseline AVISITN values (rows with an empty DTYPE)", labels from
# AVISIT); tests/test_trial_pages.py, lib/mscreport/analysis/mmrm.py (adam_visit_rows).
#
#   Rscript tests/r/adam_visits.R        (from the repository root)
#
# writes tests/fixtures/r_adam_visits.json. Base R and nlme.
#
# Data: tests/fixtures/adam/adlb_visits.csv, a CONSTRUCTED ADaM ADLB (30 invented patients, Placebo
# and Drug, baseline record ABLFL = "Y", visits Week 12 and Week 24 at study days jittered by up to
# 6 days, so that the distinct times are many more than 12 and only AVISITN gives the visits; some
# missed visits; unscheduled records without AVISITN, left out and counted; derived LOV records,
# DTYPE = "LOV", left out by the reader).
# Rows: collected records (empty DTYPE) of PARAMCD HBA1C; time = days since the start of treatment
# (ADY - 1 for ADY >= 1, ADY before); baseline = the ABLFL = "Y" value; the model's rows: time > 0
# with an AVISITN; visit = factor(AVISITN), visit_index its position.
# The model: gls(hba1c ~ baseline + arm * visit, correlation = corSymm(form = ~ visit_index | patient_id),
#                weights = varIdent(form = ~ 1 | visit), method = "REML"), arm releveled to Placebo;
# difference at a visit = arm coefficient + arm:visit term, SE = sqrt(c' vcov c),
# CI with qt(0.975, N - p), p from t with N - p df.

suppressPackageStartupMessages(library(nlme))
if (!dir.exists("tests/fixtures")) stop("run from the repository root: Rscript tests/r/adam_visits.R")
source("tests/r/reference_defs.R")   # to_json, num
OUT <- "tests/fixtures/r_adam_visits.json"

d <- read.csv("tests/fixtures/adam/adlb_visits.csv", stringsAsFactors = FALSE, na.strings = "")
d <- d[is.na(d$DTYPE) & d$PARAMCD == "HBA1C", ]
d$days <- ifelse(d$ADY >= 1, d$ADY - 1, d$ADY)
base <- d[!is.na(d$ABLFL) & d$ABLFL == "Y", ]
post <- d[d$days > 0 & (is.na(d$ABLFL) | d$ABLFL != "Y") & d$USUBJID %in% base$USUBJID, ]
dropped <- sum(is.na(post$AVISITN))
post <- post[!is.na(post$AVISITN), ]
post$baseline <- base$AVAL[match(post$USUBJID, base$USUBJID)]
post$hba1c <- post$AVAL
post$patient_id <- post$USUBJID
post$arm <- relevel(factor(post$TRT01P), ref = "Placebo")
levels_v <- sort(unique(post$AVISITN))
post$visit <- factor(post$AVISITN, levels = levels_v)
post$visit_index <- as.integer(post$visit)
post <- post[order(post$patient_id, post$visit_index), ]
fit <- gls(hba1c ~ baseline + arm * visit, data = post,
           correlation = corSymm(form = ~ visit_index | patient_id),
           weights = varIdent(form = ~ 1 | visit), method = "REML")
b <- coef(fit); V <- vcov(fit); N <- nrow(post); p <- length(b); df <- N - p
comparisons <- list()
for (j in seq_along(levels_v)) {
  cvec <- setNames(rep(0, p), names(b))
  cvec["armDrug"] <- 1
  if (j > 1) cvec[paste0("armDrug:visit", levels_v[j])] <- 1
  est <- sum(cvec * b); se <- sqrt(drop(t(cvec) %*% V %*% cvec)); q <- qt(0.975, df)
  comparisons[[j]] <- list(avisitn = levels_v[j],
                           label = unique(post$AVISIT[post$AVISITN == levels_v[j]])[1],
                           months = median((post$days / 30.4375)[post$AVISITN == levels_v[j]]),
                           n_placebo = length(unique(post$patient_id[post$AVISITN == levels_v[j] & post$arm == "Placebo"])),
                           n_drug = length(unique(post$patient_id[post$AVISITN == levels_v[j] & post$arm == "Drug"])),
                           difference = est, se = se, ci_low = est - q * se, ci_high = est + q * se, df = df,
                           p = 2 * pt(-abs(est / se), df))
}
out <- list(r_version = R.version.string, nlme_version = as.character(packageVersion("nlme")),
            n_rows = N, n_patients = length(unique(post$patient_id)), dropped_without_avisitn = dropped,
            distinct_times = length(unique(post$days)), comparisons = comparisons)
writeLines(to_json(out), OUT)
cat("wrote", OUT, "\n")
