#!/usr/bin/env Rscript
# Writes tests/fixtures/long_steno2.csv: the Steno-2 example data of the R package Epi
# (data sets steno2 and st2clin), in mscreport's long cohort layout (interface.md,
# "Repeated measurements: a long cohort file").
#
#   Rscript tests/r/steno2_data.R         (from the repository root)
#
# Needs the R package Epi (Debian: apt-get install r-cran-epi; this fixture was written with
# Epi 2.47). CI does not run this script: the CSV is committed. Provenance, licence (GPL-2 or
# later, as Epi) and citation: tests/fixtures/README.md.
#
# THE DATA ARE SIMULATED. Epi's documentation (?steno2): "These dataset are entirely
# simulated, but designed to give approximately the same results as the original" Steno-2
# trial (Gaede et al., intensified vs conventional multifactorial treatment of type 2 diabetes
# with microalbuminuria, Steno Diabetes Center, 1993-2001, followed up to 2015).
#
# Conversion, column by column (nothing else is changed, no row is dropped):
#   patient_id      "st2-" + steno2$id / st2clin$id, zero-padded to 3 digits
#   date            st2clin$doV (date of the clinical visit), ISO YYYY-MM-DD
#   infusion_date   steno2$doBase (date of entry to the study, the trial's time 0); the long
#                   layout's per-patient time-0 column (infusion or randomisation)
#   hba1c           st2clin$a1c, IFCC mmol/mol as in Epi (build with -p hba1c_unit=mmol_mol);
#                   its 4 missing values are written as empty cells
#   arm             steno2$allo: Int -> intensive, Conv -> conventional
#                   (build with -p reference_arm=conventional)
#   sex             steno2$sex: F -> female, M -> male
#   age_years       (doBase - doBth) / 365.25, rounded to 0.1 year
#   diabetes_duration_years  (doBase - doDM) / 365.25, rounded to 0.1 year
#   synthetic       yes (every row: simulated by Epi's authors)
# Rows are sorted by patient, then visit date.

suppressPackageStartupMessages(library(Epi))
if (!dir.exists("tests/fixtures")) stop("run from the repository root: Rscript tests/r/steno2_data.R")
OUT <- "tests/fixtures/long_steno2.csv"

data(steno2, package = "Epi", envir = environment())
data(st2clin, package = "Epi", envir = environment())

pat <- data.frame(
  id = steno2$id,
  infusion_date = format(steno2$doBase, "%Y-%m-%d"),
  arm = c(Int = "intensive", Conv = "conventional")[as.character(steno2$allo)],
  sex = c(F = "female", M = "male")[as.character(steno2$sex)],
  age_years = round(as.numeric(steno2$doBase - steno2$doBth) / 365.25, 1),
  diabetes_duration_years = round(as.numeric(steno2$doBase - steno2$doDM) / 365.25, 1),
  stringsAsFactors = FALSE)
vis <- data.frame(id = st2clin$id, date = format(st2clin$doV, "%Y-%m-%d"), hba1c = st2clin$a1c,
                  stringsAsFactors = FALSE)
stopifnot(all(vis$id %in% pat$id), !anyDuplicated(pat$id))

d <- merge(vis, pat, by = "id", sort = FALSE)
d <- d[order(d$id, d$date), ]
out <- data.frame(patient_id = sprintf("st2-%03d", d$id), date = d$date,
                  infusion_date = d$infusion_date, hba1c = d$hba1c, arm = d$arm, sex = d$sex,
                  age_years = d$age_years, diabetes_duration_years = d$diabetes_duration_years,
                  synthetic = "yes", stringsAsFactors = FALSE)
stopifnot(nrow(out) == nrow(st2clin))
write.csv(out, OUT, row.names = FALSE, quote = FALSE, na = "")
cat("wrote", OUT, ":", nrow(out), "measurements of", length(unique(out$patient_id)),
    "patients (Epi", as.character(packageVersion("Epi")), ")\n")
