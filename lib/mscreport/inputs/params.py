"""The report's parameters: one definition (name, type, default, unit, help, check).

The chapter notebooks repeat these defaults as literals in their tagged ``parameters`` cell
(papermill's convention); ``tests/test_notebooks_static.py`` checks that they agree.
Parameters are validated here, before any kernel starts.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from mscreport.core.errors import InputError, Problem
from mscreport.core.units import UNITS
from mscreport.inputs.date_formats import DATE_FORMATS, parse_date_format
from mscreport.core.paths import resolve_data_path
from mscreport.display.fmt import fmt_value
from mscreport.inputs.published_kind import not_a_file_reason
from mscreport.inputs.study import AUTO, CONDITIONS, check_inclusion_min
from mscreport.inputs.field_data import is_database_url
from mscreport.inputs.yamlfile import load_mapping


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of the report."""

    name: str
    type: type
    default: Any
    unit: str
    help: str
    check: Callable[[Any], str | None] = lambda v: None
    numbers_as_text: bool = False  # a str parameter that may be given as a YAML number (e.g. a month: 12)
    is_file: bool = False  # a file name: made absolute (relative to a parameter file's folder, else the current one)


def _between(lo: float, hi: float, *, lo_open: bool = False) -> Callable[[Any], str | None]:
    def check(v):
        if not math.isfinite(v):
            return "must be a finite number"
        if (v <= lo if lo_open else v < lo) or v > hi:
            return f"must be {'>' if lo_open else '>='} {lo:g} and <= {hi:g}"
        return None

    return check


def _one_of(choices: tuple[str, ...]) -> Callable[[Any], str | None]:
    return lambda v: None if v in choices else f"must be one of {', '.join(choices)}{did_you_mean(v, choices)}"


def _text(max_chars: int) -> Callable[[Any], str | None]:
    return lambda v: None if len(v) <= max_chars else f"at most {max_chars} characters, please ({len(v)} given)"


def did_you_mean(word: str, known) -> str:
    """``"; did you mean 'alpha'?"`` for the closest known word, or "" when none is close."""
    close = difflib.get_close_matches(str(word), list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _last_or_months(v: str) -> str | None:
    """'last' or a number of months after time 0."""
    if v == "last":
        return None
    try:
        months = float(v)
    except ValueError:
        return "must be 'last' or a number of months (e.g. 12)"
    return None if math.isfinite(months) and 0 < months <= 600 else "must be 'last' or a number of months > 0 and <= 600"


def _published_file(v: str) -> str | None:
    """Empty, none, or an existing file (already made absolute by ``resolve_params``)."""
    if v in ("", "none") or Path(v).is_file():
        return None
    return f"{not_a_file_reason(v)} (give a YAML file of published figures, none, or leave it empty)"


def _paramcd(v: str) -> str | None:
    """auto, or a PARAMCD (letters, digits and _, at most 8 characters in SAS transport v5)."""
    return None if v == "auto" or re.match(r"^[A-Za-z0-9_]{1,32}$", v) else "must be auto or a PARAMCD such as HBA1C"


def _adsl_file(v: str) -> str | None:
    return None if v in ("", "none") or Path(v).is_file() else "file not found (give the ADSL file, or leave it empty)"


def _identifier(v: str) -> str | None:
    return None if v == "" or re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", v) else "letters, digits and _ only (a schema name)"


def _whole_numbers(v: str) -> str | None:
    parts = [p.strip() for p in v.split(",")]
    return None if parts and all(re.match(r"^[0-9]+$", p) for p in parts) else "whole numbers separated by commas (e.g. 1,2)"


PARAMETERS: tuple[ParamSpec, ...] = (
    ParamSpec("hba1c_unit", str, "percent", "-",
              "unit of the HbA1c columns in the cohort file: percent (NGSP) or mmol_mol (IFCC)",
              _one_of(UNITS)),
    ParamSpec("moderate_min", float, 6.2, "NGSP %",
              "lowest baseline HbA1c of the moderate stratum; a lower baseline that is analysed (see inclusion_min) "
              "is in the stratum below",
              _between(3.0, 20.0)),
    ParamSpec("severe_above", float, 8.0, "NGSP %",
              "baseline HbA1c above this is severe; moderate_min <= HbA1c <= severe_above is moderate "
              "(8.0 itself is moderate)",
              _between(3.0, 20.0)),
    ParamSpec("dose_cutoff", float, 1e9, "cells",
              "high-dose group: dose_cells >= dose_cutoff; low dose otherwise",
              _between(0.0, 1e13, lo_open=True)),
    ParamSpec("alpha", float, 0.05, "-",
              "two-sided significance level; confidence intervals are at 1 - alpha",
              _between(0.0, 0.5, lo_open=True)),
    ParamSpec("target_hba1c", float, 7.0, "NGSP %",
              "glycaemic target for the proportion of patients below it (ADA: 7 %)",
              _between(3.0, 20.0)),
    ParamSpec("aggregate_above", int, 2000, "patients",
              "figures that draw one mark per patient switch to aggregated forms above this n",
              _between(10, 10**9)),
    ParamSpec("dropout", float, 0.1, "-",
              "share of randomised patients expected to be lost before the primary HbA1c; the trial's "
              "sample size is inflated by 1 / (1 - dropout)",
              _between(0.0, 0.9)),
    ParamSpec("report_title", str, "", "-",
              "title of the report; empty: the paper's for the bundled cohort, a neutral one for yours",
              _text(200)),
    ParamSpec("study_description", str, "", "-",
              "a sentence or paragraph on the study the cohort comes from, shown under the title; "
              "empty: the paper for the bundled cohort, the cohort file for yours",
              _text(2000)),
    ParamSpec("reference_arm", str, "auto", "-",
              "comparator arm of a controlled study (column arm); auto = the one arm named control, placebo, "
              "usual_care, standard_care, sham or sham_control",
              lambda v: None if v.strip() else "must name an arm, or be auto"),
    ParamSpec("baseline_window_months", float, 3.0, "months",
              "long files: the baseline is the last HbA1c at a time in [-window, 0]; none there excludes the patient",
              _between(0.0, 120.0)),
    ParamSpec("followup_at_months", str, "last", "months",
              "long files: 'last' = the last HbA1c after time 0 (the paper's follow-up); a number M = the HbA1c "
              "closest to month M within followup_window_months",
              _last_or_months, numbers_as_text=True),
    ParamSpec("followup_window_months", float, 3.0, "months",
              "long files: how far from followup_at_months the follow-up HbA1c may be",
              _between(0.0, 120.0)),
    ParamSpec("published_path", str, "", "-",
              "YAML file of published figures that chapter 6 compares with, laid out as data/published_results.yaml; "
              "empty: the paper's for the reconstructed cohort, none for yours; none: no comparison",
              _published_file, is_file=True),
    ParamSpec("published_arm", str, "all", "-",
              "the arm (column arm) whose patients the published figures of chapter 6 describe, e.g. MSC: the "
              "comparison uses that arm alone; all = every analysed patient",
              lambda v: None if v.strip() else "must name an arm, or be all"),
    ParamSpec("disclosure", str, "standard", "-",
              "disclosure control of the pages: standard (no number from fewer than 3 patients, order statistics from "
              "5) or strict (for output leaving a secure data environment, OpenSAFELY-style output checking: counts of "
              "7 or fewer hidden, others rounded to 5, no minimum or maximum, no individual points or trajectories)",
              _one_of(("standard", "strict"))),
    ParamSpec("condition", str, AUTO, "-",
              "what the patients have: type_2_diabetes, type_1_diabetes, prediabetes or unspecified; auto = "
              "type_2_diabetes for the reconstruction of the paper, unspecified otherwise",
              _one_of((AUTO, *CONDITIONS))),
    ParamSpec("intervention", str, AUTO, "-",
              "what was given, in words; auto = a single intravenous MSC infusion for the reconstruction of the paper, "
              "MSC for a file with dose_cells or msc_source, the treatment otherwise",
              lambda v: (None if v.strip() else "must describe the treatment, or be auto") or _text(200)(v)),
    ParamSpec("inclusion_min", str, AUTO, "NGSP %",
              "patients whose baseline HbA1c is below this are excluded (below the inclusion threshold); none = "
              "nobody is excluded for a low baseline; auto = 6.2 (the paper's criterion) for the reconstruction "
              "of the paper, none otherwise",
              check_inclusion_min, numbers_as_text=True),
    ParamSpec("mcid", float, 0.5, "% points",
              "smallest between-arm difference in HbA1c that matters clinically; a controlled study's ANCOVA "
              "interval is judged against it",
              _between(0.0, 5.0, lo_open=True)),
    ParamSpec("visits", str, AUTO, "months",
              "nominal visits of a controlled study's long file for its mixed model for repeated measures, e.g. "
              "6,12,24; auto = the distinct post-baseline times when there are at most 12",
              lambda v: _problem_of(parse_visits, v), numbers_as_text=True),
    ParamSpec("visit_window", str, AUTO, "months",
              "a measurement within this of a nominal visit counts for it; auto = half the smallest gap between "
              "visits",
              lambda v: None if v.strip().lower() == AUTO else _between(0.0, 1200.0, lo_open=True)(_number(v)),
              numbers_as_text=True),
    # the field's own files (adam.py, omop.py); ignored for the project's own wide and long files
    ParamSpec("paramcd", str, "auto", "-",
              "ADaM: the PARAMCD of the HbA1c rows; auto = the one of HBA1C, HBA1CHGB, A1C, HGBA1C in the file",
              _paramcd),
    ParamSpec("arm_variable", str, "TRT01P", "-",
              "ADaM: the arm variable: TRT01P (planned, intention to treat), TRT01A, TRTP, TRTA or ARM",
              _one_of(("TRT01P", "TRT01A", "TRTP", "TRTA", "ARM"))),
    ParamSpec("adsl_path", str, "", "-",
              "ADaM: an ADSL file (--adsl) giving the arm variable, SEX, AGE and TRTSDT by USUBJID; empty: none",
              _adsl_file, is_file=True),
    ParamSpec("omop_schema", str, "", "-",
              "OMOP database: the schema of measurement and cohort; empty: main (DuckDB), public (PostgreSQL)",
              _identifier),
    ParamSpec("omop_concepts", str, "3004410,3005673", "-",
              "OMOP: measurement_concept_id values of HbA1c (default LOINC 4548-4 and 17856-6)",
              _whole_numbers, numbers_as_text=True),
    ParamSpec("omop_cohort_ids", str, "all", "-",
              "OMOP: cohort_definition_id values selected (e.g. 1,2; each an arm); all = every cohort",
              lambda v: None if v == "all" else _whole_numbers(v), numbers_as_text=True),
    ParamSpec("omop_unit", str, "none", "-",
              "OMOP: unit of HbA1c rows whose unit_concept_id is 0 or empty: percent or mmol_mol; none: such rows "
              "are excluded",
              _one_of(("none", "percent", "mmol_mol"))),
)

def parse_visits(value) -> list[float] | None:
    """Parameter ``visits`` (months) as a sorted list: "6,12,24", a list of numbers, or empty /
    ``auto`` / None for none. A bad value raises ValueError (the parameter check reports it)."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "auto", "none")):
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    visits = sorted(float(v) for v in items)
    if not visits or any(not math.isfinite(v) or v <= 0 for v in visits):
        raise ValueError(f"visits must be positive months, got {value!r}")
    return visits


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return math.nan


def _problem_of(parse, value) -> str | None:
    """A parser's ValueError as a parameter check's message (None when it parses)."""
    try:
        parse(value)
    except ValueError:
        return "expected auto or positive months separated by commas, e.g. 6,12,24"
    return None


PARAMS_BY_NAME = {p.name: p for p in PARAMETERS}
DEFAULTS = {p.name: p.default for p in PARAMETERS}
# Not a parameter of the analysis, but accepted in a parameter file (papermill's name): the
# cohort file, as --data gives it (a relative path is relative to the parameter file's folder).
DATA_PATH_KEY = "data_path"
DATE_FORMAT_KEY = "date_format"  # how the cohort file writes dates (requested_date_format): also not an analysis parameter
_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d*,\d+(?:[eE][+-]?\d+)?\s*$")


def parse_value(spec: ParamSpec, value: Any) -> Any:
    """Convert a value (from YAML or a ``-p NAME=VALUE`` string) to the parameter's type."""
    if spec.type is str:
        if spec.numbers_as_text and isinstance(value, (int, float)) and not isinstance(value, bool):  # YAML `followup_at_months: 12`
            return f"{value:g}"
        if not isinstance(value, str):
            raise ValueError(f"expected text, got {value!r}")
        return value.strip()
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    if isinstance(value, str) and "," in value:
        if spec.type is int or not _DECIMAL_COMMA.match(value):
            raise ValueError(f"expected a number without separators, got {value!r}")
        value = value.replace(",", ".")  # a decimal comma, as cohort files accept (8,5 = 8.5)
    if spec.type is int:
        number = float(value)
        if not number.is_integer():
            raise ValueError(f"expected a whole number, got {value!r}")
        return int(number)
    return float(value)


def _collect(params_file, overrides, values=None) -> tuple[dict[str, tuple[Any, str]], list[Problem]]:
    """name -> (value, where it came from): the file first, then typed ``values``, then the ``-p`` overrides."""
    raw: dict[str, tuple[Any, str]] = {}
    problems: list[Problem] = []
    if params_file is not None:
        try:
            for name, value in load_mapping(params_file).items():
                raw[str(name)] = (value, str(params_file))
        except InputError as exc:
            problems.extend(exc.problems)
    for name, value in (values or {}).items():  # already typed (a notebook's parameters)
        raw[name] = (value, "parameters")
    for item in overrides:
        if "=" not in item:
            problems.append(Problem("-p", None, None, f"{item!r}: expected NAME=VALUE"))
            continue
        name, value = item.split("=", 1)
        raw[name.strip()] = (value.strip(), "-p")
    return raw, problems


@dataclass(frozen=True)
class Request:
    """What a build was asked for, read once (the parameter file is opened once): the typed,
    validated parameters, and the cohort file that ``data_path`` names in the parameter file or
    a ``-p`` (None when neither does; ``--data`` wins over it), and how that file writes its
    dates (``date_format``: ISO unless said, see ``requested_date_format``)."""

    params: dict[str, Any]
    data_path: str | None
    date_format: str = "ISO"


def read_request(params_file: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> Request:
    """``resolve_params`` and ``requested_data_path`` from one reading of the parameter file."""
    raw, problems = _collect(params_file, overrides)
    data_path = _data_path(raw)
    date_format = _date_format(raw)
    return Request(_resolve(raw, problems), data_path, date_format)


def requested_data_path(params_file: str | Path | None = None,
                        overrides: list[str] | tuple[str, ...] = ()) -> str | None:
    """The cohort file named by ``data_path`` in a parameter file or a ``-p``, if any.

    A relative path in a file is relative to that file's folder; from ``-p``, to the current one.
    """
    return _data_path(_collect(params_file, overrides)[0])


def _data_path(raw: dict[str, tuple[Any, str]]) -> str | None:
    if DATA_PATH_KEY not in raw:
        return None
    value, where = raw[DATA_PATH_KEY]
    if not isinstance(value, str) or not value.strip():
        raise InputError([Problem(where, None, DATA_PATH_KEY, f"{DATA_PATH_KEY}={value!r}: expected a file name")])
    if is_database_url(value.strip()):  # a database URL (OMOP): not a path
        return value.strip()
    path = Path(value.strip()).expanduser()
    if where != "-p" and not path.is_absolute():
        path = Path(where).parent / path
    return str(path)


def requested_date_format(params_file: str | Path | None = None,
                          overrides: list[str] | tuple[str, ...] = ()) -> str:
    """How the cohort file writes its dates, from ``date_format`` in a parameter file or a
    ``-p``: ``ISO`` (the default), ``DMY``, ``MDY`` or ``YMD`` (any case; ``date_formats``).
    Like ``data_path``, it says how the file is read, not how it is analysed: it is not one of
    ``PARAMETERS`` (the chapters never see it; the build's cache key and results.json's
    ``data.reading`` record it)."""
    return _date_format(_collect(params_file, overrides)[0])


def _date_format(raw: dict[str, tuple[Any, str]]) -> str:
    if DATE_FORMAT_KEY not in raw:
        return "ISO"
    value, where = raw[DATE_FORMAT_KEY]
    chosen = parse_date_format(value)
    if chosen is None:
        raise InputError([Problem(where, None, DATE_FORMAT_KEY, f"{DATE_FORMAT_KEY}={value!r}: must be one of "
                                                                f"{', '.join(DATE_FORMATS)} (DMY: 31/12/2020, "
                                                                "MDY: 12/31/2020, YMD: 2020/12/31)")])
    return chosen


def resolve_params(params_file: str | Path | None = None,
                   overrides: list[str] | tuple[str, ...] = (), values: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then a YAML file, then typed ``values`` (a notebook's parameters), then
    ``NAME=VALUE`` overrides; validated.

    Raises InputError listing every problem (an unknown name comes with the closest known one).
    ``data_path`` (papermill's name for the cohort file) is accepted and left to
    ``requested_data_path``.
    """
    return _resolve(*_collect(params_file, overrides, values))


def _resolve(raw: dict[str, tuple[Any, str]], problems: list[Problem]) -> dict[str, Any]:
    raw = {k: v for k, v in raw.items() if k not in (DATA_PATH_KEY, DATE_FORMAT_KEY)}  # how the file is read: requested_*
    resolved = dict(DEFAULTS)
    for name, (value, where) in raw.items():
        spec = PARAMS_BY_NAME.get(name)
        if spec is None:
            hint = (did_you_mean(name, [*PARAMS_BY_NAME, DATA_PATH_KEY, DATE_FORMAT_KEY])
                    or f"; known parameters: {', '.join(PARAMS_BY_NAME)}")
            problems.append(Problem(where, None, name, f"unknown parameter {name!r}{hint}"))
            continue
        try:
            parsed = parse_value(spec, value)
        except (TypeError, ValueError):
            problems.append(Problem(where, None, name, f"{name}={value!r}: expected {spec.type.__name__}"))
            continue
        if spec.is_file:
            parsed = absolute_file(parsed, where)
        message = spec.check(parsed)
        if message:
            problems.append(Problem(where, None, name, f"{name}={value!r}: {message}"))
            continue
        resolved[name] = parsed
    if not problems and resolved["severe_above"] < resolved["moderate_min"]:
        problems.append(Problem("-p", None, "severe_above",
                                f"severe_above ({resolved['severe_above']:g}) must not be below "
                                f"moderate_min ({resolved['moderate_min']:g})"))
    if problems:
        raise InputError(problems)
    return resolved


def absolute_file(value: str, where: str) -> str:
    """A file parameter as an absolute path (the chapters' kernels run in their own folder):
    relative to the parameter file's folder when it came from one, else as ``resolve_data_path``
    finds it (the current folder, then the repository). Empty and ``none`` stay as they are."""
    if value.lower() in ("", "none"):
        return value.lower()
    path = Path(value).expanduser()
    if where not in ("-p", "parameters") and not path.is_absolute():
        path = Path(where).parent / path
    return str(resolve_data_path(path).absolute())


def shown_value(name: str, value: Any) -> str:
    """A parameter's value as the pages show it: a file parameter by its file name only (the
    pages never show the builder's folders; results.json keeps the full path)."""
    spec = PARAMS_BY_NAME.get(name)
    if spec is not None and spec.is_file and value not in ("", "none"):
        return Path(str(value)).name
    return fmt_value(value)


def describe_parameters() -> list[dict[str, Any]]:
    """The parameter table (name, type, default, unit, meaning) for README and reports."""
    return [{"name": p.name, "type": p.type.__name__, "default": p.default,
             "unit": p.unit, "meaning": p.help} for p in PARAMETERS]


def params_yaml() -> str:
    """A ready-to-edit parameter file: every parameter at its default, with its meaning and
    unit as comments (``mscreport params --format yaml``; read back by ``--params``)."""
    import yaml

    lines = ["# mscreport parameters: edit, then `mscreport build --params THIS_FILE.yaml`.",
             "# Thresholds are in NGSP %, whatever the input unit. -p NAME=VALUE overrides a value here.",
             "#",
             f"# {DATA_PATH_KEY}: my_cohort.csv  # cohort file (papermill's name), relative to this file's folder;"
             " --data overrides it",
             f"# {DATE_FORMAT_KEY}: DMY  # how the cohort file writes dates: ISO (YYYY-MM-DD, the default), DMY, MDY"
             " or YMD", ""]
    for p in PARAMETERS:
        unit = "" if p.unit == "-" else f" [{p.unit}]"
        lines.append(f"# {p.help}{unit}")
        lines.append(yaml.safe_dump({p.name: p.default}, default_flow_style=False, allow_unicode=True, width=1000).strip())
    return "\n".join(lines) + "\n"


def render_markdown() -> str:
    """The parameter table of README.md (name, type, default, unit, meaning), generated from
    ``PARAMETERS``; ``tests/test_params.py`` checks that the README holds exactly this text."""
    lines = ["| parameter | type | default | unit | meaning |", "|---|---|---|---|---|"]
    for p in PARAMETERS:
        default = fmt_value(p.default) if p.default != "" else '""'  # an empty text shown as such
        lines.append(f"| `{p.name}` | {p.type.__name__} | `{default}` | {p.unit} | {p.help} |")
    return "\n".join(lines)
