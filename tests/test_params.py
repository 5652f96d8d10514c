"""params.resolve_params: defaults, then a YAML file, then -p NAME=VALUE overrides, validated."""

from __future__ import annotations

import pytest

from mscreport.core.errors import InputError
from mscreport.inputs.params import DEFAULTS, PARAMETERS, describe_parameters, resolve_params


def problems(*args, **kwargs) -> list[str]:
    with pytest.raises(InputError) as info:
        resolve_params(*args, **kwargs)
    return [str(p) for p in info.value.problems]


def test_defaults_are_the_papers():
    assert resolve_params() == DEFAULTS
    assert DEFAULTS.items() >= {"hba1c_unit": "percent", "moderate_min": 6.2, "severe_above": 8.0, "dose_cutoff": 1e9,
                                "alpha": 0.05, "target_hba1c": 7.0, "aggregate_above": 2000, "dropout": 0.1}.items()
    # framing: the title and the study's description are chosen from the cohort
    assert DEFAULTS.items() >= {"report_title": "", "study_description": ""}.items()
    assert DEFAULTS["reference_arm"] == "auto"  # controlled studies: the comparator arm
    assert DEFAULTS.items() >= {"baseline_window_months": 3.0, "followup_at_months": "last", "followup_window_months": 3.0}.items()


def test_yaml_file(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("alpha: 0.01\nhba1c_unit: mmol_mol\naggregate_above: 50\n")
    p = resolve_params(f)
    assert p["alpha"] == 0.01 and p["hba1c_unit"] == "mmol_mol" and p["aggregate_above"] == 50
    assert isinstance(p["aggregate_above"], int)
    assert p["moderate_min"] == 6.2  # the rest stay at their defaults


def test_empty_yaml_file_means_defaults(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("# nothing\n")
    assert resolve_params(f) == DEFAULTS


def test_overrides_beat_the_file(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("alpha: 0.01\ndose_cutoff: 5e8\n")
    p = resolve_params(f, ["alpha=0.1", "dose_cutoff = 2e9"])
    assert p["alpha"] == 0.1 and p["dose_cutoff"] == 2e9


def test_override_types():
    p = resolve_params(overrides=["moderate_min=6", "aggregate_above=300.0", "hba1c_unit= mmol_mol "])
    assert p["moderate_min"] == 6.0 and isinstance(p["moderate_min"], float)
    assert p["aggregate_above"] == 300 and isinstance(p["aggregate_above"], int)
    assert p["hba1c_unit"] == "mmol_mol"


def test_unknown_name_lists_the_known_ones():
    (line,) = problems(overrides=["foo=1"])
    assert line.startswith("-p:-:foo: unknown parameter 'foo'")
    for spec in PARAMETERS:
        assert spec.name in line


def test_unknown_name_in_file_names_the_file(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("alpah: 0.01\n")
    (line,) = problems(f)
    assert line.startswith(f"{f}:-:alpah: unknown parameter")


@pytest.mark.parametrize("item,fragment", [
    ("alpha=abc", "-p:-:alpha: alpha='abc': expected float"),
    ("aggregate_above=2.5", "-p:-:aggregate_above: aggregate_above='2.5': expected int"),
    ("alpha=nan", "must be a finite number"),
    ("alpha=0", "must be > 0 and <= 0.5"),
    ("alpha=0.6", "must be > 0 and <= 0.5"),
    ("dose_cutoff=0", "must be > 0"),
    ("moderate_min=25", "must be >= 3 and <= 20"),
    ("hba1c_unit=mg_dl", "must be one of percent, mmol_mol"),
    ("alpha", "'alpha': expected NAME=VALUE"),
])
def test_bad_values(item, fragment):
    lines = problems(overrides=[item])
    assert any(fragment in line for line in lines), lines


@pytest.mark.parametrize("text,fragment", [
    ("hba1c_unit: 5\n", "expected str"),
    ("alpha: true\n", "expected float"),
    ("alpha: [0.1]\n", "expected float"),
])
def test_yaml_type_errors(tmp_path, text, fragment):
    f = tmp_path / "p.yaml"
    f.write_text(text)
    lines = problems(f)
    assert len(lines) == 1 and lines[0].startswith(f"{f}:-:") and fragment in lines[0]


def test_bad_yaml_files(tmp_path):
    missing = tmp_path / "nope.yaml"
    assert problems(missing) == [f"{missing}:-:-: parameter file not found"]
    broken = tmp_path / "broken.yaml"
    broken.write_text("alpha: [0.1\n")
    assert "cannot read parameter file" in problems(broken)[0]
    listed = tmp_path / "list.yaml"
    listed.write_text("- alpha\n- 0.1\n")
    assert "expected a mapping of NAME: VALUE" in problems(listed)[0]


def test_severe_above_below_moderate_min_is_rejected():
    (line,) = problems(overrides=["moderate_min=7", "severe_above=6.5"])
    assert line == "-p:-:severe_above: severe_above (6.5) must not be below moderate_min (7)"
    p = resolve_params(overrides=["moderate_min=7", "severe_above=7"])  # equal is allowed
    assert p["moderate_min"] == p["severe_above"] == 7.0


def test_every_problem_is_reported_at_once():
    lines = problems(overrides=["foo=1", "alpha=2", "aggregate_above=x"])
    assert [line.split(":")[2] for line in lines] == ["foo", "alpha", "aggregate_above"]


def test_describe_parameters_covers_every_parameter():
    table = describe_parameters()
    assert [row["name"] for row in table] == [p.name for p in PARAMETERS]
    assert all(row["meaning"] and row["unit"] for row in table)


def test_readme_parameter_table_is_generated_from_params():
    """README.md's parameter table is params.render_markdown() verbatim (regenerate it with
    ``python -c "from mscreport.inputs.params import render_markdown; print(render_markdown())"``)."""
    from mscreport.inputs.params import PARAMETERS, render_markdown
    from mscreport.core.paths import REPO_ROOT

    table = render_markdown()
    assert table in (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    rows = table.splitlines()[2:]
    assert [r.split("|")[1].strip() for r in rows] == [f"`{p.name}`" for p in PARAMETERS]
    # the defaults as a reader types them: 1e9 cells, not 1000000000.0
    assert "| `dose_cutoff` | float | `1e9` | cells |" in table and "| `severe_above` | float | `8` |" in table
