"""Command-line conventions (issue 12.4): --version, python -m mscreport, -v/-q, did you
mean, decimal commas in -p values, papermill-style YAML for --params, a ready-to-edit
parameter file from `mscreport params --format yaml`."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import pytest
import yaml

from mscreport.cli import main
from mscreport.core.errors import InputError
from mscreport.inputs.params import DEFAULTS, PARAMETERS, params_yaml, requested_data_path, resolve_params
from mscreport.core.paths import DEFAULT_COHORT, REPO_ROOT

VERSION = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["version"]


def _problems(*args) -> list[str]:
    with pytest.raises(InputError) as info:
        resolve_params(*args)
    return [str(p) for p in info.value.problems]


def test_version_matches_pyproject(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"mscreport {VERSION}"


def test_python_dash_m_mscreport_runs_the_same_command_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "mscreport", "--version"], capture_output=True, text=True,
                          cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip() == f"mscreport {VERSION}"
    proc = subprocess.run([sys.executable, "-m", "mscreport", "validate", "nope.csv"], capture_output=True,
                          text=True, cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith("nope.csv:") and "Traceback" not in proc.stderr


@pytest.mark.parametrize("given, suggested", [("alfa", "alpha"), ("severe_abov", "severe_above"),
                                              ("dose_cutof", "dose_cutoff"), ("data_pth", "data_path")])
def test_misspelt_parameter_gets_did_you_mean(given, suggested):
    (message,) = _problems(None, [f"{given}=1"])
    assert message.startswith(f"-p:-:{given}: unknown parameter") and f"did you mean '{suggested}'?" in message


def test_far_off_parameter_lists_the_known_ones():
    (message,) = _problems(None, ["zzzz=1"])
    assert "did you mean" not in message and "known parameters:" in message and "alpha" in message


def test_misspelt_choice_gets_did_you_mean():
    (message,) = _problems(None, ["hba1c_unit=mmol"])
    assert "must be one of percent, mmol_mol; did you mean 'mmol_mol'?" in message


@pytest.mark.parametrize("given, expected", [("8,5", 8.5), (" 8,25 ", 8.25), ("8.5", 8.5)])
def test_decimal_comma_in_p_values(given, expected):
    assert resolve_params(None, [f"severe_above={given}"])["severe_above"] == expected
    assert resolve_params(None, [f"dose_cutoff=1,5e9"])["dose_cutoff"] == 1.5e9


@pytest.mark.parametrize("item", ["severe_above=8,5,1", "aggregate_above=2,000", "alpha=0,05,"])
def test_ambiguous_commas_are_refused(item):
    (message,) = _problems(None, [item])
    assert "expected" in message


def test_papermill_style_yaml_with_data_path(tmp_path):
    folder = tmp_path / "study"
    folder.mkdir()
    f = folder / "params.yaml"
    f.write_text("data_path: cohort.csv\nalpha: 0.01\nsevere_above: 8.5\n")
    params = resolve_params(f)
    assert params["alpha"] == 0.01 and params["severe_above"] == 8.5 and "data_path" not in params
    assert requested_data_path(f) == str(folder / "cohort.csv")  # relative to the parameter file
    assert requested_data_path(f, ["data_path=other.csv"]) == "other.csv"  # -p is relative to the caller
    assert requested_data_path(None) is None


def test_yaml_unknown_key_gets_did_you_mean(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("alpah: 0.01\n")
    (message,) = _problems(f)
    assert message.startswith(f"{f}:-:alpah: unknown parameter") and "did you mean 'alpha'?" in message


def test_build_takes_the_cohort_from_data_path_and_data_wins(tmp_path, monkeypatch, capsys):
    """`build --params` with data_path hands that file to the build; --data overrides it."""
    seen = {}
    monkeypatch.setattr("mscreport.cli.build", lambda **kw: seen.update(kw) or 0)
    f = tmp_path / "p.yaml"
    f.write_text(f"data_path: {DEFAULT_COHORT}\n")
    assert main(["build", "--params", str(f)]) == 0
    assert seen["data"] == str(DEFAULT_COHORT)
    assert main(["build", "--params", str(f), "--data", "mine.csv"]) == 0
    assert seen["data"] == "mine.csv"


def test_params_format_yaml_is_a_ready_to_edit_file(capsys, tmp_path):
    assert main(["params", "--format", "yaml"]) == 0
    text = capsys.readouterr().out
    assert text == params_yaml()
    for p in PARAMETERS:
        assert f"\n{p.name}: " in text and p.help in text
    f = tmp_path / "p.yaml"
    f.write_text(text)
    assert resolve_params(f) == DEFAULTS  # read back unchanged
    f.write_text(text.replace("\nalpha: 0.05\n", "\nalpha: 0.01\n").replace("# data_path:", "data_path:"))
    assert resolve_params(f)["alpha"] == 0.01 and requested_data_path(f) == str(tmp_path / "my_cohort.csv")


def test_params_format_json(capsys):
    assert main(["params", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in listed] == [p.name for p in PARAMETERS]


@pytest.mark.parametrize("argv", [["-q", "validate", str(DEFAULT_COHORT)], ["validate", str(DEFAULT_COHORT), "-q"]])
def test_quiet_says_nothing_on_success(argv, capsys):
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_quiet_still_reports_problems(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("patient_id,hba1c_baseline,hba1c_followup\np1,abc,7\n")
    assert main(["-q", "validate", str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and f"{bad}:" in captured.err


def test_verbose_shows_the_resolved_parameters(capsys):
    assert main(["validate", "-v", str(DEFAULT_COHORT), "-p", "alpha=0,01"]) == 0
    out = capsys.readouterr().out
    assert "parameter alpha = 0.01" in out and "OK" in out
    assert main(["validate", str(DEFAULT_COHORT)]) == 0
    assert "parameter alpha" not in capsys.readouterr().out


def test_quiet_and_verbose_together_are_refused(capsys):
    assert main(["-q", "-v", "params"]) == 2


def test_build_reads_the_parameter_file_once_and_hands_the_typed_values_on(tmp_path, monkeypatch):
    """One path for a parameter (issue 22): the command line reads the YAML once (data_path and
    the parameters together, -v included) and the build gets the typed values, not the file."""
    from mscreport.inputs import params as params_module

    reads, seen = [], {}
    real = params_module.load_mapping
    monkeypatch.setattr(params_module, "load_mapping", lambda path: reads.append(path) or real(path))
    monkeypatch.setattr("mscreport.cli.build", lambda **kw: seen.update(kw) or 0)
    f = tmp_path / "p.yaml"
    f.write_text(f"data_path: {DEFAULT_COHORT}\nsevere_above: 8,5\n")
    assert main(["build", "-v", "--params", str(f)]) == 0
    assert len(reads) == 1
    assert seen["request"].params["severe_above"] == 8.5 and seen["data"] == str(DEFAULT_COHORT)
    assert "params_file" not in seen and "overrides" not in seen
