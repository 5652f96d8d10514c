"""Controlled studies (interface.md, "Controlled studies: the `arm` column"): the ``arms``
block against R (tests/r/arms.R -> tests/fixtures/r_arms.json, rel 1e-9), the reference-arm
rule, and no, one, two and three arms."""

from __future__ import annotations

import json
import math
import re

import pandas as pd
import pytest

from mscreport.display.arm_tables import comparisons_frame, key_findings_table
from mscreport.analysis.arm_compare import analyse_arms, arms_block
from mscreport.core.groups import choose_reference
from mscreport.cli import main
from mscreport.inputs.cohort import load_cohort
from mscreport.core.errors import InputError
from mscreport.inputs.params import DEFAULTS
from mscreport.core.paths import DEFAULT_COHORT, REPO_ROOT
from mscreport.report.blocks import compute_results

FIX = REPO_ROOT / "tests" / "fixtures"
R_ARMS = json.loads((FIX / "r_arms.json").read_text())
DATASETS = {"two": FIX / "arms_two.csv", "three": FIX / "arms_three.csv", "sparse": FIX / "arms_sparse.csv"}
REL, ABS = 1e-9, 1e-12  # ABS only for values R gives as exactly 0 (a mean change of 0.0 in floating point)


def assert_close(ours, r, where=""):
    """Every key of R's block is in ours, numbers equal to 1e-9 relative, strings and nulls equal."""
    if isinstance(r, dict):
        for k, v in r.items():
            if k in ("method", "path"):
                continue
            assert k in ours, f"{where}.{k} missing"
            assert_close(ours[k], v, f"{where}.{k}")
    elif isinstance(r, list):
        assert len(ours) == len(r), where
        for i, (a, b) in enumerate(zip(ours, r)):
            assert_close(a, b, f"{where}[{i}]")
    elif isinstance(r, (int, float)) and not isinstance(r, bool):
        assert ours is not None and math.isclose(ours, r, rel_tol=REL, abs_tol=ABS), (where, ours, r)
    else:
        assert ours == r, (where, ours, r)


def _cohort(path, **params):
    """tests/r/arms.R applies the paper's inclusion rule (baseline < 6.2 excluded): given here
    explicitly, since a user's trial excludes nobody for a low baseline by default (tests/test_study.py)."""
    return load_cohort(path, {**DEFAULTS, "inclusion_min": "6.2", **params})


@pytest.mark.parametrize("name", DATASETS)
def test_arms_block_agrees_with_r(name):
    block = arms_block(_cohort(DATASETS[name]))  # results.json's arms: interaction_severity from trial.py
    assert_close(block, R_ARMS[name]["arms"], name)
    flow = {f.pop("arm"): f for f in block["flow"]}
    for arm, r in R_ARMS[name]["flow"].items():  # R: table(arm) of the rows read, excluded and analysed
        got = flow[arm]
        assert got["n_excluded"] == sum(got["excluded"].values()) == r["excluded"]  # the contract: {reason: n}
        assert {k: got[k] for k in r if k != "excluded"} == {k: v for k, v in r.items() if k != "excluded"}
    assert set(flow) == set(R_ARMS[name]["flow"])
    assert list(block["groups"]) == [R_ARMS[name]["arms"]["reference"]] + sorted(
        a for a in R_ARMS[name]["arms"]["groups"] if a != R_ARMS[name]["arms"]["reference"])


def test_the_interface_keys_are_exactly_there():
    block = arms_block(_cohort(DATASETS["two"]))
    assert {"reference", "groups", "comparisons", "interaction_severity"} <= set(block)
    c = block["comparisons"][0]
    assert {"arm", "reference", "n_arm", "n_reference", "ancova", "welch_change", "mann_whitney"} <= set(c)
    assert set(c["ancova"]) == {"estimate", "se", "ci_low", "ci_high", "t", "df", "p"}
    assert set(c["welch_change"]) == {"diff", "ci_low", "ci_high", "t", "df", "p"}
    assert set(c["mann_whitney"]) == {"u", "p"}
    assert set(block["interaction_severity"]) == {"f", "df1", "df2", "p"}
    assert set(block["groups"]["msc"]["strata"]) == {"moderate", "severe"}


def test_no_arm_column_gives_null():
    cohort = _cohort(DEFAULT_COHORT)
    assert analyse_arms(cohort) is None
    assert compute_results(cohort)["arms"] is None


def _write(tmp_path, arms: list[str], name="cohort.csv"):
    base = [7.1, 8.4, 9.0, 6.9, 7.7, 10.2, 8.8, 7.3, 9.5, 6.5, 8.1, 7.9]
    rows = [{"patient_id": f"P{i}", "arm": arms[i % len(arms)], "hba1c_baseline": b,
             "hba1c_followup": round(b - 0.3 - 0.1 * (i % 4), 1)} for i, b in enumerate(base)]
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_one_arm_only_is_a_note_and_no_comparison(tmp_path):
    result = analyse_arms(_cohort(_write(tmp_path, ["msc"])))
    assert result.reference is None and result.comparisons == ()
    assert "One arm only" in result.note and list(result.groups) == ["msc"]
    assert result.groups["msc"]["overall"].n == 12
    assert compute_results(_cohort(_write(tmp_path, ["msc"])))["arms"]["comparisons"] == []


def test_three_arms_give_two_comparisons_against_the_reference(tmp_path):
    result = analyse_arms(_cohort(_write(tmp_path, ["usual care", "a", "b"])))
    assert result.reference == "usual care"  # spaces count as underscores
    assert [(c.arm, c.reference) for c in result.comparisons] == [("a", "usual care"), ("b", "usual care")]
    # one ANCOVA for all arms: df = n - 4 (intercept, baseline, two arm terms)
    assert {c.ancova.df for c in result.comparisons} == {12 - 4}


@pytest.mark.parametrize("arms, why", [(["placebo", "Control", "msc"], "several arms could be the comparator"),
                                       (["drug_a", "drug_b"], "none of the arms is named")])
def test_ambiguous_reference_stops_with_exit_2_listing_the_arms(tmp_path, capsys, arms, why):
    path = _write(tmp_path, arms)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{path}:-:arm: reference_arm=auto cannot choose")
    assert why in lines[0] and "-p reference_arm=NAME" in lines[0]
    for a in arms:
        assert repr(a) in lines[0]


def test_build_refuses_an_ambiguous_reference_before_any_chapter_runs(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", "--data", str(_write(tmp_path, ["drug_a", "drug_b"])), "--output", str(out)]) == 2
    assert "reference_arm=auto cannot choose" in capsys.readouterr().err
    assert not out.exists()


def test_an_explicit_reference_is_used_and_a_wrong_one_refused(tmp_path, capsys):
    path = _write(tmp_path, ["drug_a", "drug_b"])
    assert analyse_arms(_cohort(path, reference_arm="drug_b")).reference == "drug_b"
    assert analyse_arms(_cohort(path, reference_arm="DRUG_A")).reference == "drug_a"
    with pytest.raises(InputError, match=r"reference_arm='placebo' is not an arm of this file \(the arms are: "
                                         r"'drug_a', 'drug_b'\)"):
        _cohort(path, reference_arm="placebo")
    assert main(["validate", str(path), "-p", "reference_arm=drug_a"]) == 0


def test_choose_reference_rule():
    assert choose_reference(["msc"]) is None
    assert choose_reference(["MSC", "Sham-Control"]) == "Sham-Control"
    assert choose_reference(["msc", "standard_care"]) == "standard_care"
    with pytest.raises(InputError):
        choose_reference(["sham", "placebo"])


def test_key_findings_table_leads_with_the_ancova_effect():
    results = {"arms": analyse_arms(_cohort(DATASETS["three"])).interface(), "params": dict(DEFAULTS)}
    frame = comparisons_frame(results["arms"])
    assert list(frame["comparison"]) == ["high_dose vs Placebo", "low_dose vs Placebo"]
    assert list(frame.columns[2:5]) == ["ANCOVA: difference in follow-up at equal baseline", "ANCOVA 95% CI (% points)",
                                        "ANCOVA p"]
    html = key_findings_table(results)
    assert html.startswith("<table") and "Table 1. Between-arm effect" in html
    assert key_findings_table({"arms": None}) == ""


def test_a_comparison_with_a_tiny_arm_is_suppressed(tmp_path):
    path = tmp_path / "tiny.csv"
    rows = [("P1", "placebo", 7.5, 7.0), ("P2", "placebo", 8.5, 8.1), ("P3", "msc", 9.0, 8.0),
            ("P4", "msc", 7.2, 6.9), ("P5", "msc", 8.0, 7.1), ("P6", "msc", 6.8, 6.6)]
    pd.DataFrame(rows, columns=["patient_id", "arm", "hba1c_baseline", "hba1c_followup"]).to_csv(path, index=False)
    frame = comparisons_frame(analyse_arms(_cohort(path)).interface())
    assert frame.iloc[0]["ANCOVA: difference in follow-up at equal baseline"].startswith("suppressed")
    assert not re.search(r"\d\.\d", " ".join(frame.iloc[0].astype(str)))


@pytest.mark.slow
def test_two_arm_build_end_to_end(tmp_path):
    """A two-arm file builds; results.json's arms agree with R; the index leads with the
    between-arm table; pooled results are labelled in the pages."""
    out = tmp_path / "reports"
    # tests/r/arms.R applies the paper's inclusion rule: given here (tests/test_study.py builds without it)
    assert main(["build", "--data", str(DATASETS["two"]), "--output", str(out), "--force", "-p", "inclusion_min=6.2"]) == 0
    r = json.loads((out / "results.json").read_text())
    assert_close(r["arms"], R_ARMS["two"]["arms"], "results.json arms")
    index = (out / "index.html").read_text()
    findings = index.split('<h2 id="findings">Key findings</h2>', 1)[1]
    assert findings.lstrip().startswith("<table") and "Table 1. Between-arm effect" in findings.split("</table>")[0]
    assert "msc vs placebo" in findings.split("</table>")[0]
    assert "all patients (all arms pooled)" in findings
    change = (out / "03_change.html").read_text()
    assert "all arms pooled" in change and "Between-arm effect" in change
    assert "Participant flow per arm" in (out / "01_cohort.html").read_text()
    assert "Paired analysis per arm and severity stratum" in (out / "02_severity.html").read_text()
    teaching = (out / "teaching" / "03_change.html").read_text()
    assert "Why the within-arm change is not the treatment effect" in teaching
    assert "Why the within-arm change is not the treatment effect" not in change


def test_an_arm_name_cannot_inject_html_or_markdown_into_prose():
    import mistune

    from mscreport.display.fmt import md_name

    name = "<script>x</script> *bold* `code` [link](http://e) $1 & _u_"
    page = mistune.html(f"arm **{md_name(name)}** here")
    assert "<script>" not in page and "<em>" not in page and "<code>" not in page and "<a " not in page
    assert "&lt;script&gt;x&lt;/script&gt; *bold* `code` [link](http://e) $1 &amp; _u_" in page


def test_an_arm_whose_rows_are_all_excluded_still_counts_in_the_flow(tmp_path):
    path = _write(tmp_path, ["placebo", "msc"])
    path.write_text(path.read_text() + "X1,gone,5.5,5.4\nX2,gone,7.0,\n")
    cohort = _cohort(path)
    flow = {f["arm"]: f for f in analyse_arms(cohort).interface()["flow"]}
    assert flow["gone"] == {"arm": "gone", "rows_read": 2, "analysed": 0, "moderate": 0, "severe": 0, "n_excluded": 2,
                            "excluded_percent": 100.0, "excluded": {reason: 1 for reason in {e.reason for e in cohort.excluded if e.arm == "gone"}}}
    assert sum(flow["gone"]["excluded"].values()) == 2
    assert sum(f["rows_read"] for f in flow.values()) == cohort.rows_read
    assert sum(f["n_excluded"] for f in flow.values()) == len(cohort.excluded)


@pytest.mark.parametrize("name", DATASETS)
def test_arms_results_follow_the_results_schema(name):
    from results_schema import schema_errors

    from mscreport.core.jsondata import jsonable

    results = jsonable(compute_results(_cohort(DATASETS[name])))
    assert results["arms"]["reference"] and schema_errors(results) == []
