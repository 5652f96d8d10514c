"""The JSON Schema of results.json (``docs/results.schema.json``, shipped in the package as
``mscreport._docs``), for a user who checks a build's output with ``jsonschema``."""

from __future__ import annotations

import json

from mscreport.core.paths import RESULTS_SCHEMA


def results_schema() -> dict:
    """The JSON Schema (draft 2020-12 style dict) that every results.json follows; a new dict
    on each call. Read from the installed package, so it needs no repository checkout."""
    return json.loads(RESULTS_SCHEMA.read_text(encoding="utf-8"))
