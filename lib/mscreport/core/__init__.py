"""Vocabulary and rules: errors, paths, units, the data dictionary, the group rules, disclosure. Imports nothing of the package above it."""
