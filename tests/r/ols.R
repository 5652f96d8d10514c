#!/usr/bin/env Rscript
# Reference values for the least-squares helper mscreport.methods.ols (tests/test_ols.py).
#
#   Rscript tests/r/ols.R        (from the repository root)
#
# writes tests/fixtures/r_ols.json. CI has no R: the fixture is committed and the Python
# tests only compare against it (rel 1e-9). Only base R (stats, utils::read.csv). The rows
# are the files' complete rows as they are (no cohort rules): the helper fits a design matrix.
#
#   full      tests/fixtures/arms_three.csv: lm(hba1c_followup ~ hba1c_baseline + arm), arm
#             treatment-coded with Placebo the base level; every coefficient with its SE, t,
#             p and confint at level 0.90; deviance, r.squared, df.residual, rank
#   aliased   tests/fixtures/arms_sparse.csv (arm a has no severe patient, severe = baseline
#             > 8): lm(f ~ b + arm * severe) has an NA coefficient; its rank, deviance and
#             df.residual, and anova(lm(f ~ b + arm + severe), that model)
#   weighted  tests/fixtures/arms_two.csv: the distinct (baseline, change) pairs with their
#             counts: lm(change ~ baseline, weights = count) and lm(change ~ baseline) on
#             every row (the same coefficients; R's weighted fit has df = pairs - 2)

if (!dir.exists("tests/fixtures")) stop("run from the repository root: Rscript tests/r/ols.R")
source("tests/r/reference_defs.R")  # to_json
OUT <- "tests/fixtures/r_ols.json"

read <- function(path) {
  d <- read.csv(path, colClasses = c(patient_id = "character", arm = "character"), strip.white = TRUE)
  d[complete.cases(d[, c("hba1c_baseline", "hba1c_followup")]), ]
}
table_of <- function(fit, level) {                                     # one entry per coefficient
  co <- summary(fit)$coefficients
  ci <- confint(fit, level = level)
  out <- list()
  for (term in rownames(co))
    out[[term]] <- list(estimate = co[term, "Estimate"],                 # summary(fit)$coefficients[term, 1]
                        se = co[term, "Std. Error"],                     # summary(fit)$coefficients[term, 2]
                        t = co[term, "t value"],                         # summary(fit)$coefficients[term, 3]
                        p = co[term, "Pr(>|t|)"],                        # summary(fit)$coefficients[term, 4]
                        ci_low = ci[term, 1], ci_high = ci[term, 2])     # confint(fit, level = level)[term, ]
  out
}

# ------------------------------------------------------------------ full rank
three <- read("tests/fixtures/arms_three.csv")
three$arm <- relevel(factor(three$arm), ref = "Placebo")
full <- lm(hba1c_followup ~ hba1c_baseline + arm, data = three)
full_block <- list(level = 0.90, terms = table_of(full, 0.90),
                   rss = deviance(full),                                 # deviance(lm)
                   r_squared = summary(full)$r.squared,                  # summary(lm)$r.squared
                   df_resid = df.residual(full),                         # df.residual(lm)
                   rank = full$rank)                                     # lm$rank

# ------------------------------------------------------------------ rank deficient, nested F
sparse <- read("tests/fixtures/arms_sparse.csv")
sparse$arm <- relevel(factor(sparse$arm), ref = "control")
sparse$severe <- as.numeric(sparse$hba1c_baseline > 8)
small <- lm(hba1c_followup ~ hba1c_baseline + arm + severe, data = sparse)
big <- lm(hba1c_followup ~ hba1c_baseline + arm * severe, data = sparse)
stopifnot(any(is.na(coef(big))))                                         # the aliased interaction
av <- anova(small, big)
aliased_block <- list(small = list(rank = small$rank, rss = deviance(small), df_resid = df.residual(small)),
                      big = list(rank = big$rank, rss = deviance(big), df_resid = df.residual(big),
                             aliased = names(coef(big))[is.na(coef(big))]),
                      anova = list(f = av$F[2],                          # anova(small, big)$F[2]
                                   df1 = av$Df[2],                       # anova(small, big)$Df[2]
                                   df2 = av$Res.Df[2],                   # anova(small, big)$Res.Df[2]
                                   p = av$`Pr(>F)`[2]))                  # anova(small, big)$"Pr(>F)"[2]

# ------------------------------------------------------------------ frequency weights
two <- read("tests/fixtures/arms_two.csv")
two$change <- two$hba1c_followup - two$hba1c_baseline
pairs <- aggregate(list(count = rep(1, nrow(two))),
                   by = list(baseline = two$hba1c_baseline, change = round(two$change, 10)), FUN = sum)
weighted <- lm(change ~ baseline, data = pairs, weights = count)
every <- lm(change ~ hba1c_baseline, data = two)
weighted_block <- list(baseline = pairs$baseline, change = pairs$change, count = pairs$count,
                       weighted = table_of(weighted, 0.95),              # lm(change ~ baseline, weights = count)
                       every_row = list(intercept = unname(coef(every)[1]),  # coef(lm(change ~ hba1c_baseline))
                                        slope = unname(coef(every)[2])))

out <- list(`_r` = paste(R.version.string, "; tests/r/ols.R"),
            full = full_block, aliased = aliased_block, weighted = weighted_block)
writeLines(to_json(out), OUT)
cat("wrote", OUT, "\n")
