# The JSON writer and paired() of tests/r/reference.R, for the topic scripts (tests/r/arms.R,
# tests/r/arms_dose.R): only those definitions of reference.R are evaluated, reference.R itself
# is not run. sprintf("%.17g") keeps full double precision; paired() is t.test(followup,
# baseline, paired = TRUE), wilcox.test(followup, baseline, paired = TRUE), ... with the R call
# behind each PAIRED value written next to it in reference.R.
#
#   source("tests/r/reference_defs.R")     (from the repository root)

SHARED <- c("json_string", "json_scalar", "to_json", "num", "attempt", "walsh_median", "paired")
for (e in parse("tests/r/reference.R"))
  if (is.call(e) && identical(e[[1]], as.name("<-")) && as.character(e[[2]])[1] %in% SHARED)
    eval(e)
stopifnot(all(vapply(SHARED, exists, TRUE)))
PAIRED_KEYS <- c("n", "baseline_mean", "baseline_sd", "followup_mean", "followup_sd", "mean_change", "sd_change",
                 "ci_low", "ci_high", "t", "df", "p", "wilcoxon_p", "cohens_dz")   # interface.md PAIRED
