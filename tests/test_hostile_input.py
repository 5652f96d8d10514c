"""Hostile or mistaken inputs fail fast with one line (issue 14.8, 14.9): the YAML parameter
file (alias bomb, size, duplicate keys, not a regular file), file names that would forge the
one-line error format, and the build's one read of the cohort file."""

from __future__ import annotations

import os
import threading
import time

import pytest

from mscreport.cli import main
from mscreport.core.errors import InputError, Problem
from mscreport.inputs.params import resolve_params
from mscreport.inputs.snapshot import copy_and_hash

BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)) + "alpha: *i\n"


def _problems(*args, **kw) -> list[str]:
    with pytest.raises(InputError) as info:
        resolve_params(*args, **kw)
    return [str(p) for p in info.value.problems]


def test_yaml_alias_bomb_is_refused_at_once(tmp_path):
    """Issue 14.8: nested aliases ran for most of a minute and ended in a MemoryError."""
    f = tmp_path / "bomb.yaml"
    f.write_text(BILLION_LAUGHS)
    t0 = time.perf_counter()
    msgs = _problems(f)
    assert time.perf_counter() - t0 < 1
    assert len(msgs) == 1 and "aliases" in msgs[0] and msgs[0].startswith(f"{f}:")


def test_yaml_alias_bomb_on_the_command_line_is_one_line_exit_2(tmp_path, capsys):
    f = tmp_path / "bomb.yaml"
    f.write_text(BILLION_LAUGHS)
    assert main(["validate", "data/reconstructed_cohort.csv", "--params", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "MemoryError" not in err


def test_yaml_size_limit(tmp_path):
    f = tmp_path / "big.yaml"
    f.write_text("# " + "x" * 100_000 + "\nalpha: 0.01\n")
    (msg,) = _problems(f)
    assert "larger than 64 KiB" in msg


def test_yaml_duplicate_key_is_an_error_with_its_line(tmp_path):
    """Issue 14.9: duplicate YAML keys silently took the last value."""
    f = tmp_path / "p.yaml"
    f.write_text("alpha: 0.01\nsevere_above: 9\nalpha: 0.2\n")
    (msg,) = _problems(f)
    assert msg.startswith(f"{f}:3:-:") and "'alpha' is given twice" in msg


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
def test_parameter_file_must_be_a_regular_file(tmp_path, kind):
    if kind == "fifo":
        f = tmp_path / "p.yaml"
        os.mkfifo(f)
    elif kind == "folder":
        f = tmp_path
    else:
        f = "/dev/zero"
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("msgs", _problems(f)), daemon=True)
    t.start()
    t.join(5)
    assert not t.is_alive(), "hung"
    (msg,) = result["msgs"]
    assert "regular file" in msg or "folder" in msg or "directory" in msg.lower()


def test_a_clean_yaml_file_still_works(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("alpha: 0.01\nsevere_above: 9\n")
    p = resolve_params(f)
    assert p["alpha"] == 0.01 and p["severe_above"] == 9.0


def test_typed_values_are_validated_without_a_string_round_trip():
    p = resolve_params(values={"alpha": 0.01, "aggregate_above": 50, "hba1c_unit": "mmol_mol"})
    assert p["alpha"] == 0.01 and p["aggregate_above"] == 50 and isinstance(p["aggregate_above"], int)
    assert any("alpha" in m for m in _problems(values={"alpha": 2.0}))


# ------------------------------------------------------------------ one-line error format
@pytest.mark.parametrize("name", ["evil\nfake.csv:1:id: forged", "a.csv:3:hba1c_baseline: forged", "tab\there"])
def test_file_names_cannot_forge_the_error_format(name):
    """Issue 14.9: a file name with a newline or a FILE:ROW:COL: pattern forged message lines."""
    line = str(Problem(name, 2, "hba1c_followup", "not a number"))
    assert "\n" not in line and "\t" not in line
    assert line.endswith(':2:hba1c_followup: not a number')
    assert line.startswith('"') and line.count(":2:hba1c_followup:") == 1


def test_plain_names_are_unchanged():
    assert str(Problem("data/x.csv", None, None, "m")) == "data/x.csv:-:-: m"


def test_message_with_newline_stays_one_line():
    assert "\n" not in str(Problem("x.csv", 1, "c", "first\nsecond"))


def test_validate_with_a_forged_file_name_prints_one_line_per_problem(tmp_path, capsys):
    bad = tmp_path / "x.csv:1:patient_id: all fine\nreally.csv"
    bad.write_text("patient_id,hba1c_baseline,hba1c_followup\nA,7.5,zz\n")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith('"') and ":1:hba1c_followup:" in err[0]


# ------------------------------------------------------------------ the build's one read
def test_copy_and_hash_reads_once_and_refuses_non_regular_files(tmp_path):
    import hashlib

    src = tmp_path / "c.csv"
    src.write_bytes(b"patient_id,hba1c_baseline,hba1c_followup\nA,7,6\n")
    dest = tmp_path / "d"
    dest.mkdir()
    copy, sha = copy_and_hash(src, "c.csv", dest)
    assert copy.read_bytes() == src.read_bytes() and sha == hashlib.sha256(src.read_bytes()).hexdigest()
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    for path in (fifo, "/dev/zero", tmp_path):
        with pytest.raises(InputError) as info:
            copy_and_hash(path, str(path), dest)
        assert "regular file" in str(info.value) or "folder" in str(info.value)


def test_an_os_error_without_a_path_gets_one(tmp_path, monkeypatch, capsys):
    """Issue 14.9: "-:-:-: No space left on device" named no path."""
    from pathlib import Path

    from mscreport.pipeline import outdir

    def full_disk(self, *a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full_disk)
    with pytest.raises(OSError) as info:
        outdir.write_text(tmp_path / "results.json", "{}")
    assert info.value.filename == str(tmp_path / "results.json")


# ------------------------------------------------------------------ issue 24.12: depth and integer limits
DEEP_BRACKETS = "alpha: " + "[" * 20_000 + "]" * 20_000 + "\n"  # 40 KB, under the 64 KiB limit
DEEP_MAPPINGS = "alpha: " + "{a: " * 5_000 + "1" + "}" * 5_000 + "\n"
HUGE_INTEGER = "alpha: 0.05\naggregate_above: " + "1" * 5_000 + "\n"


@pytest.mark.parametrize("text, fragment", [(DEEP_BRACKETS, "nested more than 32 levels"),
                                            (DEEP_MAPPINGS, "nested more than 32 levels"),
                                            (HUGE_INTEGER, "a number of 5000 digits")])
def test_parameter_file_depth_and_integer_limits_are_one_line_exit_2(tmp_path, capsys, text, fragment):
    """Issue 24.12: nested brackets under 64 KiB ended in a RecursionError and a 5000-digit
    integer in Python's "Exceeds the limit (4300 digits)" ValueError, both as tracebacks."""
    f = tmp_path / "p.yaml"
    f.write_text(text)
    assert len(text.encode()) < 64 * 1024
    assert main(["validate", "data/reconstructed_cohort.csv", "--params", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err[-500:]
    assert fragment in err and err.startswith(f"{f}:")


@pytest.mark.parametrize("text", [DEEP_BRACKETS.replace("alpha", "hba1c_baseline"),
                                  "hba1c_baseline: " + "9" * 5_000 + "\n"])
def test_column_map_depth_and_integer_limits_are_one_line_exit_2(tmp_path, capsys, text):
    f = tmp_path / "map.yaml"
    f.write_text(text)
    assert main(["validate", "data/reconstructed_cohort.csv", "--columns", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "recursion" not in err, err[-500:]


@pytest.mark.parametrize("text", [DEEP_BRACKETS.replace("alpha", "figures"), "figures: []\nn: " + "7" * 5_000])
def test_published_figures_depth_and_integer_limits_are_one_line(tmp_path, text):
    from mscreport.analysis.published import load_published

    f = tmp_path / "figures.yaml"
    f.write_text(text)
    with pytest.raises(InputError) as info:
        load_published(f)
    (problem,) = info.value.problems
    assert "nested more than" in str(problem) or "digits" in str(problem)


def test_a_normal_parameter_file_with_lists_is_still_read(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("alpha: 0.01\naggregate_above: " + "1" * 100 + "\n")  # 100 digits: read, then refused as a value
    msgs = _problems(f)
    assert msgs and all("digits" not in m for m in msgs)
