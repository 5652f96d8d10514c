"""docs/results.schema.json describes results.json (the contract's keys, null for absent
sections, room for new keys), and what the library computes follows it. Every build the
tests make is checked against it by tests/conftest.py."""

from __future__ import annotations

import copy
import json
import re
import tomllib

import pandas as pd
import pytest
import yaml
from results_schema import SCHEMA_PATH, assert_valid_results, schema_errors

from mscreport.inputs.cohort import load_cohort
from mscreport.inputs.params import DEFAULTS
from mscreport.core.paths import DEFAULT_COHORT, REPO_ROOT
from mscreport.report.results import dumps
from mscreport.report.blocks import compute_results
from mscreport.methods.stats import PAIRED_KEYS

SCHEMA = json.loads(SCHEMA_PATH.read_text())

# interface.md, typed out: the keys the schema must name (the contract)
CONTRACT = {
    "data": {"path", "sha256", "rows_read", "rows_analysed", "excluded"},
    "dose": {"cutoff_cells", "high", "low", "welch", "mann_whitney", "pearson", "spearman"},
    "arms": {"reference", "groups", "comparisons", "interaction_severity"},
    "longitudinal": {"n_patients", "n_measurements", "rows_read", "by_time", "mixed_model", "mixed_model_by_arm"},
    "target": {"target_hba1c", "n", "below_before", "below_after", "proportion_after", "ci_low", "ci_high", "mcnemar"},
    "safety": {"n", "events", "proportion", "ci_low", "ci_high"},
    "durability": {"n", "slope_per_year", "ci_low", "ci_high", "p"},
    "source": {"anova", "kruskal"},
    "adjusted_dose": {"estimate", "ci_low", "ci_high", "p"},
    "rtm": {"observed_rho"},
}
TOP = {"data", "params", "overall", "strata", "dose", "published_comparison", "arms", "longitudinal", "normality",
       "hodges_lehmann", "target", "safety", "durability", "source", "adjusted_dose", "holm", "rtm", "sample_size",
       "threshold_sensitivity", "table1"}


@pytest.fixture(scope="module")
def bundled_results():
    return json.loads(dumps(compute_results(load_cohort(DEFAULT_COHORT, DEFAULTS))))


def test_schema_is_valid_draft_2020_12():
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"].endswith("2020-12/schema")


def test_schema_names_every_key_of_the_contract():
    props = SCHEMA["properties"]
    assert TOP <= set(props)
    assert set(SCHEMA["required"]) == {"data", "params", "overall", "strata", "dose", "published_comparison"}
    for section, keys in CONTRACT.items():
        assert keys <= set(props[section]["properties"]), section
    assert set(SCHEMA["$defs"]["paired"]["required"]) == set(PAIRED_KEYS)
    for section in TOP - {"data", "params"}:  # a section whose input is absent is null
        assert "null" in _resolve(props[section]).get("type", []), section
    assert '"additionalProperties": false' not in json.dumps(SCHEMA)  # new keys are welcome everywhere


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        node = SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_library_results_follow_the_schema(bundled_results):
    assert schema_errors(bundled_results) == []


def test_results_without_study_columns_follow_the_schema(tmp_path):
    frame = pd.read_csv(DEFAULT_COHORT)[["patient_id", "hba1c_baseline", "hba1c_followup"]]
    path = tmp_path / "plain.csv"
    frame.to_csv(path, index=False)
    results = json.loads(dumps(compute_results(load_cohort(path, DEFAULTS))))
    (tmp_path / "results.json").write_text(json.dumps(results))
    assert_valid_results(tmp_path / "results.json")


@pytest.mark.parametrize("change, complaint", [
    (lambda r: r["overall"].__setitem__("p", "0.001"), "overall.p"),             # a number as a string
    (lambda r: r["overall"].pop("cohens_dz"), "overall"),                       # a PAIRED key missing
    (lambda r: r["strata"]["severe"].__setitem__("n", 12.5), "strata.severe.n"),  # a count that is not whole
    (lambda r: r["data"]["excluded"].append({"row": 0, "reason": "x"}), "data.excluded.0.row"),
    (lambda r: r.pop("dose"), "(top)"),
    (lambda r: r.__setitem__("safety", {"n": 3}), "safety"),                   # present but incomplete
])
def test_schema_catches_broken_results(bundled_results, change, complaint):
    broken = copy.deepcopy(bundled_results)
    change(broken)
    errors = schema_errors(broken)
    assert errors and any(e.startswith(complaint) for e in errors), errors


def test_schema_allows_nulls_and_new_keys(bundled_results):
    r = copy.deepcopy(bundled_results)
    r["overall"]["t"] = None
    r["strata"]["severe"] = None
    r.update({"arms": None, "longitudinal": None, "safety": None, "published_comparison": None})
    r["a_new_section"] = {"anything": [1, "two"]}
    r["overall"]["a_new_statistic"] = 1.5
    assert schema_errors(r) == []


def test_schema_checks_present_second_release_sections(bundled_results):
    r = copy.deepcopy(bundled_results)
    r["safety"] = {"n": 61, "events": 0, "proportion": 0.0, "ci_low": 0.0, "ci_high": 0.0587}
    r["holm"] = [{"test": "overall", "p": 1e-6, "p_holm": 4e-6}]
    r["longitudinal"] = {"n_patients": 3, "n_measurements": 9, "rows_read": 9, "by_time": [],
                         "mixed_model": None, "mixed_model_by_arm": None}
    assert schema_errors(r) == []
    r["holm"][0]["p_holm"] = "4e-6"
    assert schema_errors(r)


def test_jsonschema_is_pinned_everywhere():
    pins = (REPO_ROOT / "requirements" / "constraints.txt").read_text()
    version = re.search(r"^jsonschema==(\S+)$", pins, re.M).group(1)
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert any(d.startswith("jsonschema") for d in project["optional-dependencies"]["test"])
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    assert f"jsonschema=={version}" in env["dependencies"]


def test_readme_links_the_schema_and_not_a_file_outside_the_repository():
    readme = (REPO_ROOT / "README.md").read_text()
    assert "docs/results.schema.json" in readme and "docs/results.md" in readme
    assert "../shared" not in readme and "interface.md" not in readme
    doc = (REPO_ROOT / "docs" / "results.md").read_text()
    assert "results.schema.json" in doc
    for key in TOP:
        assert f"`{key}`" in doc, f"docs/results.md does not describe {key}"
