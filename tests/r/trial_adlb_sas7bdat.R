# The constructed trial's ADLB as a SAS7BDAT file (issue 25: ".sas7bdat ADaM: tested").
#
#   Rscript tests/r/trial_adlb_sas7bdat.R        (from the repository root; needs haven)
#
# pyreadstat cannot write .sas7bdat, and no public ADaM test set (pharmaverseadam ships .rda)
# comes as one, so haven::write_sas (ReadStat's SAS7BDAT writer, a separate implementation from
# the reader mscreport uses) writes the committed SAS transport file of the same trial
# (tests/fixtures/field_trial/trial_adlb.xpt, read by haven::read_xpt) as
# tests/fixtures/field_trial/trial_adlb.sas7bdat, committed. (The readstat command-line tool
# 1.1.8 wrote a file with a row count of -1, which ReadStat's own reader refuses.)
suppressPackageStartupMessages(library(haven))
lb <- read_xpt("tests/fixtures/field_trial/trial_adlb.xpt")
write_sas(lb, "tests/fixtures/field_trial/trial_adlb.sas7bdat")
back <- read_sas("tests/fixtures/field_trial/trial_adlb.sas7bdat")
stopifnot(nrow(back) == nrow(lb), identical(names(back), names(lb)),
          isTRUE(all.equal(as.data.frame(back), as.data.frame(lb), check.attributes = FALSE)))
cat("wrote tests/fixtures/field_trial/trial_adlb.sas7bdat:", nrow(back), "rows,", ncol(back), "columns\n")
