"""Issue 25, done when: one trial's HbA1c written as a long CSV, an ADaM ADLB (.xpt), OMOP CSV
files, a DuckDB file and a PostgreSQL database gives the same analysed cohort and the same
results.json numbers apart from ``data``, ``params``, ``longitudinal.rows_read`` and labels;
the ADaM build agrees with R (tests/r/field_trial.R); pharmaverse's ``adlb_metabolic`` builds
with HbA1c in mmol/mol found by itself.

The PostgreSQL build starts a real server in a temporary folder (tests/pgserver.py): this test
FAILS when it cannot (``make test`` runs it; CI has PostgreSQL 15).
"""

from __future__ import annotations

import json
import math
import re
import sys

import duckdb
import pandas as pd
import pytest

from mscreport.cli import main
from mscreport.core.paths import REPO_ROOT

pytestmark = pytest.mark.slow
TRIAL = REPO_ROOT / "tests" / "fixtures" / "field_trial"
ADAM = REPO_ROOT / "tests" / "fixtures" / "adam"
R = json.loads((REPO_ROOT / "tests" / "fixtures" / "r_field_trial.json").read_text())
sys.path.insert(0, str(REPO_ROOT / "scripts"))
sys.path.insert(0, str(REPO_ROOT / "tests"))
import field_trial  # noqa: E402
import pgserver  # noqa: E402

SELECT = ["-p", "omop_cohort_ids=1,2"]  # cohort 3 (a screening cohort of one person) is not an arm


@pytest.fixture(scope="module")
def omop_folder(tmp_path_factory):
    return field_trial.write_omop(field_trial.make_trial(), tmp_path_factory.mktemp("omop") / "omop")


@pytest.fixture(scope="module")
def postgres(omop_folder):
    """A real server holding the trial's CDM in schema cdm; its URL. RuntimeError (a failure,
    not a skip) when no server starts."""
    with pgserver.postgres_server() as url:
        pgserver.load_omop_folder(url, omop_folder, schema="cdm")
        with_person = field_trial.write_omop(field_trial.make_trial(), omop_folder.parent / "with_person", person=True)
        pgserver.load_omop_folder(url, with_person, schema="cdmp")  # the same trial with its person table
        yield url


@pytest.fixture(scope="module")
def six_builds(tmp_path_factory, omop_folder, postgres):
    """The trial in every layout, each built: layout -> results.json."""
    root = tmp_path_factory.mktemp("six")
    db = root / "cdm.duckdb"
    with duckdb.connect(str(db)) as con:
        for table in ("measurement", "cohort", "cohort_definition"):
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{omop_folder / (table + '.csv')}')")
    secret = postgres.replace("postgres@", "postgres:s3cret@")  # trust authentication ignores it: never shown
    runs = {"long": [str(TRIAL / "trial_long.csv")], "adam": [str(TRIAL / "trial_adlb.xpt")],
            "omop_files": [str(omop_folder), *SELECT], "omop_duckdb": [str(db), *SELECT],
            "omop_database": [secret, *SELECT, "-p", "omop_schema=cdm"]}
    results = {}
    for layout, args in runs.items():
        out = root / layout
        assert main(["build", "--data", args[0], *args[1:], "--output", str(out), "--force", "-q"]) == 0, layout
        results[layout] = json.loads((out / "results.json").read_text())
    return results


def test_database_problems_name_the_table(postgres, capsys):
    assert main(["validate", postgres, "-p", "omop_schema=nope"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].endswith("/nope.measurement\":-:-: table measurement not found in schema nope: an OMOP source needs "
                           "measurement and cohort (-p omop_schema=NAME names the schema)")
    assert main(["validate", postgres, "-p", "omop_schema=cdm", "-p", "omop_cohort_ids=1,7"]) == 2
    assert "omop_cohort_ids: no cohort 7 in the cohort table (it has 1, 2, 3)" in capsys.readouterr().err


IGNORED = {"data", "params", "provenance"}


def numbers(tree, path=""):
    """Every leaf of a results tree as path -> value (``longitudinal.rows_read`` left out)."""
    if isinstance(tree, dict):
        out = {}
        for k, v in tree.items():
            if path == "" and k in IGNORED or f"{path}.{k}" == ".longitudinal.rows_read":
                continue
            out.update(numbers(v, f"{path}.{k}"))
        return out
    if isinstance(tree, list):
        out = {}
        for i, v in enumerate(tree):
            out.update(numbers(v, f"{path}[{i}]"))
        return out
    return {path: tree}


VISIT_LABEL_NUMBERS = re.compile(r"\.mmrm\.visits\[\d+\]\.(avisitn|label_time|label)$")


def analysis_numbers(results: dict) -> dict:
    """``numbers`` without the visit labels' own numbers: ADaM names its visits by AVISITN, the
    other layouts by the time in the file's unit (the analysis behind them is the same)."""
    return {k: v for k, v in numbers(results).items() if not VISIT_LABEL_NUMBERS.search(k)}


def test_six_layouts_give_the_same_results(six_builds):
    reference = analysis_numbers(six_builds["long"])
    assert len(reference) > 500
    assert "avisitn" in six_builds["adam"]["longitudinal"]["mmrm"]["visits"][0]
    assert "label_time" in six_builds["long"]["longitudinal"]["mmrm"]["visits"][0]
    for layout, results in six_builds.items():
        got = analysis_numbers(results)
        assert got.keys() == reference.keys(), layout
        differ = [k for k in reference if not same(reference[k], got[k])]
        assert not differ, f"{layout}: {differ[:10]}"


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-9, abs=1e-12)
    return a == b


def test_same_analysed_cohort_and_data_blocks(six_builds):
    for layout, r in six_builds.items():
        d = r["data"]
        assert d["format"] == layout
        assert d["rows_read"] == d["rows_analysed"] == 40 and d["excluded"] == []
        assert r["longitudinal"]["n_measurements"] == R["n_measurements"]
    sha = {six_builds[k]["data"]["sha256"] for k in ("omop_files", "omop_duckdb", "omop_database")}
    assert len(sha) == 1  # the canonical CSV of the extracted rows, whatever holds them
    db = six_builds["omop_database"]
    assert db["data"]["path"].startswith("postgresql://postgres@127.0.0.1:")
    assert "s3cret" not in json.dumps(db)  # not in data.path, provenance, params


def test_adam_build_agrees_with_r(six_builds):
    r = six_builds["adam"]
    o, ref = r["overall"], R["overall"]
    assert o["n"] == ref["n"]
    for key in ("mean_change", "sd_change", "ci_low", "ci_high", "t", "df", "p"):
        assert o[key] == pytest.approx(ref[key], rel=1e-9)  # R: t.test(f, b, paired = TRUE)
    c = r["arms"]["comparisons"][0]
    assert (c["arm"], c["reference"]) == ("msc", "placebo")
    for key in ("estimate", "se", "ci_low", "ci_high", "t", "df", "p"):
        assert c["ancova"][key] == pytest.approx(R["ancova"][key], rel=1e-9)  # R: lm(f ~ b + arm)
    for key in ("diff", "ci_low", "ci_high", "t", "df", "p"):
        assert c["welch_change"][key] == pytest.approx(R["welch_change"][key], rel=1e-9)  # R: t.test(change[msc], change[placebo])
    m, ref = r["longitudinal"]["mixed_model"], R["mixed_model"]
    assert (m["n_patients"], m["n_measurements"]) == (ref["n_patients"], ref["n_measurements"])
    for term in ("intercept", "slope_per_year"):
        for key in ("estimate", "se", "ci_low", "ci_high"):
            # R: nlme::lme(hba1c ~ years, random = ~ years | patient_id, method = "REML") (optimisers differ: 1e-4)
            assert m[term][key] == pytest.approx(ref[term][key], rel=1e-4)
    assert m["sd_residual"] == pytest.approx(ref["sd_residual"], rel=1e-4)


def test_pharmaverse_metabolic_builds(tmp_path, capsys):
    out = tmp_path / "met"
    assert main(["build", "--data", str(ADAM / "adlb_metabolic.xpt"), "--output", str(out), "-q"]) == 0
    r = json.loads((out / "results.json").read_text())
    assert r["data"]["format"] == "adam" and r["data"]["rows_read"] == 5
    assert r["longitudinal"]["rows_read"] == 31  # README of the data: HBA1CHGB has 31 rows
    # HbA1c in mmol/mol found by itself (HBA1CHGB): every HbA1c number of results.json in NGSP %
    assert 4.0 < r["longitudinal"]["by_time"][0]["mean"] < 9.0


def expected_sex_and_age(trial) -> dict:
    """patient_id -> (sex, age at randomisation in completed years), worked out with datetime
    from the person rows written (a missing month or day of birth read as January / the 1st)."""
    import datetime as dt

    persons = field_trial.trial_persons(trial)
    start = trial.groupby("patient_id", sort=False)["randomised"].first()
    out = {}
    for r in persons.itertuples(index=False):
        month = 1 if r.month_of_birth is pd.NA else int(r.month_of_birth)
        day = 1 if r.day_of_birth is pd.NA else int(r.day_of_birth)
        born, zero = dt.date(int(r.year_of_birth), month, day), start[str(r.person_id)]
        age = zero.year - born.year - ((zero.month, zero.day) < (born.month, born.day))
        out[str(r.person_id)] = ({8507: "male", 8532: "female"}[int(r.gender_concept_id)], age)
    return out


def test_person_table_gives_sex_and_age_in_three_omop_layouts(tmp_path, postgres):
    from mscreport.inputs.cohort import load_cohort
    from mscreport.inputs.params import resolve_params

    trial = field_trial.make_trial()
    folder = field_trial.write_omop(trial, tmp_path / "omop", person=True)
    db = field_trial.write_duckdb(folder, tmp_path / "cdm.duckdb")
    expected = expected_sex_and_age(trial)
    persons = field_trial.trial_persons(trial)
    assert persons["month_of_birth"].isna().any() and persons["day_of_birth"].isna().sum() > persons["month_of_birth"].isna().sum()
    assert {v[0] for v in expected.values()} == {"male", "female"}
    p = resolve_params(overrides=["omop_cohort_ids=1,2"])
    cohorts = {"omop_files": load_cohort(folder, p), "omop_duckdb": load_cohort(db, p),
               "omop_database": load_cohort(postgres, {**p, "omop_schema": "cdmp"})}
    for layout, cohort in cohorts.items():
        f = cohort.frame
        got = {str(i): (s, float(a)) for i, s, a in zip(f["patient_id"], f["sex"], f["age_years"])}
        assert got == {k: (s, float(a)) for k, (s, a) in expected.items()}, layout
        assert cohort.data_block()["format"] == layout
    shas = {c.sha256 for c in cohorts.values()}
    assert len(shas) == 1  # the person rows are hashed too: the same in every layout ...
    plain = field_trial.write_omop(trial, tmp_path / "plain")
    assert load_cohort(plain, p).sha256 not in shas  # ... and not the hash of the HbA1c rows alone


def test_person_table_is_described_in_chapter_one(tmp_path):
    folder = field_trial.write_omop(field_trial.make_trial(), tmp_path / "omop", person=True)
    out = tmp_path / "out"
    assert main(["build", "--data", str(folder), *SELECT, "--output", str(out), "--force", "-q"]) == 0
    text = (out / "results.json").read_text()
    assert '"age_years"' in text and '"sex"' in text and '"female"' in text
