"""Formatting numbers and drawing figures for pages: results stay numeric until here."""
