"""docs/results.schema.json, the JSON Schema of results.json, applied to a build's output.

``tests/conftest.py`` applies it to every results.json that a test writes under pytest's
temporary folders; a test that builds elsewhere calls ``assert_valid_results`` itself.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from mscreport.core.paths import REPO_ROOT

SCHEMA_PATH = REPO_ROOT / "docs" / "results.schema.json"


@cache
def _validator():
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def schema_errors(results: dict) -> list[str]:
    """Every way ``results`` breaks the schema, as 'path.to.key: message' lines."""
    return [f"{'.'.join(str(k) for k in e.absolute_path) or '(top)'}: {e.message}"
            for e in sorted(_validator().iter_errors(results), key=lambda e: list(map(str, e.absolute_path)))]


def assert_valid_results(path: str | Path) -> None:
    """Fail with every schema error of the results.json at ``path``."""
    text = Path(path).read_text(encoding="utf-8")
    errors = schema_errors(json.loads(text))
    assert not errors, f"{path} does not follow docs/results.schema.json:\n" + "\n".join(errors[:20])
