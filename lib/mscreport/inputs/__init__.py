"""From a file to the analysed cohort: parameters, readers, column maps, validation, long files, the snapshot."""
