"""The ``mscreport`` command line: build, validate, synth, params, workbooks, preview (see interface.md).

Exit codes: 0 success; 2 bad input or a bad parameter (one readable line per problem on
stderr, never a Python traceback; also an output folder that cannot be written or holds
files mscreport did not write); 3 a chapter failed while the build ran it (its executed
notebook and traceback are kept in ``DIR/failed/``); 4 a worker process died; 5 out of
memory; 6 out of file descriptors (``stopped``: one line each); 130 interrupted. Heavy libraries are imported only when needed, so that an
up-to-date rebuild answers in well under a second.

Also ``python -m mscreport``.
Conventions: ``--version``; ``-q`` (only problems, on stderr; the exit code tells the rest)
and ``-v`` (also the resolved parameters and where chapters, data and output are), before or
after the command; ``-p NAME=VALUE`` accepts decimal commas (``-p severe_above=8,5``) and
suggests the closest name for a misspelt one; ``--params`` reads papermill-style YAML
(``data_path`` names the cohort file).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from mscreport.core.version import __version__
from mscreport.core.errors import InputError, Problem, safe_field
from mscreport.core.paths import DEFAULT_COHORT, NOTEBOOKS_DIR, REPORTS_DIR
from mscreport.core.stopped import BuildStopped, is_out_of_files, is_out_of_memory, out_of_files, out_of_memory
from mscreport.inputs.class_cohort import CLASS_COHORT, CLASS_FILE, CONTROL_ARM, class_overrides
from mscreport.inputs.column_map import resolve_column_map
from mscreport.inputs.field_data import shown_source
from mscreport.inputs.params import describe_parameters, params_yaml, read_request
from mscreport.pipeline.build import build, make_plan
from mscreport.pipeline.preview import DEFAULT_PORT as DEFAULT_PREVIEW_PORT, preview
from mscreport.pipeline.workbooks import KERNEL_NAME, write_workbooks

EXIT_OK, EXIT_INPUT, EXIT_INTERRUPTED = 0, 2, 130
QUIET, NORMAL, VERBOSE = -1, 0, 1


def _add_params(p: argparse.ArgumentParser) -> None:
    p.add_argument("--params", metavar="FILE.yaml",
                   help="YAML file of NAME: VALUE parameters (papermill style; `data_path` names the cohort "
                        "file); `mscreport params --format yaml` prints one to edit")
    p.add_argument("-p", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                   help="set one parameter (repeatable; decimal commas accepted); `mscreport params` lists them")


def _verbosity_options(default) -> argparse.ArgumentParser:
    """-v / -q, accepted before the command and after it."""
    p = argparse.ArgumentParser(add_help=False)
    group = p.add_mutually_exclusive_group()
    group.add_argument("-v", "--verbose", dest="verbosity", action="store_const", const=VERBOSE, default=default,
                       help="say more: the resolved parameters, and where chapters, data and output are")
    group.add_argument("-q", "--quiet", dest="verbosity", action="store_const", const=QUIET, default=default,
                       help="say only what is wrong (on stderr); the exit code tells the rest")
    return p


def _add_columns(p: argparse.ArgumentParser) -> None:
    p.add_argument("--columns", metavar="MAP.yaml", help="YAML file of COLUMN: \"your header\" lines mapping your "
                                                         "headers to the data dictionary's columns (and a values: "
                                                         "section mapping cells, as --values does)")
    p.add_argument("-c", dest="column_items", action="append", default=[], metavar="COLUMN=HEADER",
                   help="map one of your headers to a dictionary column, e.g. -c hba1c_baseline=\"HbA1c (%%)\" "
                        "(repeatable)")
    p.add_argument("--values", dest="value_items", action="append", default=[], metavar="COLUMN=FROM:TO",
                   help="read the cells FROM of a column as TO (case and surrounding spaces ignored; an empty TO "
                        "makes them missing), e.g. --values msc_source=UC-MSC:umbilical_cord (repeatable)")


# what a user with a spreadsheet export needs, reachable from `build --help` and `validate --help` alone
EXPORT_HELP = """\
reading a spreadsheet export (CSV, XLSX or Parquet):
  headers         matched as written, ignoring case, spaces and hyphens (Patient ID ->
                  patient_id), then by their words: "Follow-up date" -> followup_date,
                  "HbA1c baseline (%)" -> hba1c_baseline (a unit in brackets is ignored);
                  other headers: -c COLUMN="your header" or --columns MAP.yaml; every unused
                  column gets a note naming the closest dictionary column
  missing values  empty, NA, N/A, n/a, . and - are read as missing, in every column
  values          --values COLUMN=FROM:TO, e.g. --values msc_source=UC-MSC:umbilical_cord
                  (sources: umbilical_cord, bone_marrow, adipose; sex: female, male, other)
  dates           YYYY-MM-DD by default; -p date_format=DMY (31/12/2020), MDY (12/31/2020) or
                  YMD (2020/12/31): an ambiguous date is never guessed
  HbA1c in mmol/mol  -p hba1c_unit=mmol_mol
  example         mscreport validate export.csv -p date_format=DMY \\
                    --values msc_source=UC-MSC:umbilical_cord
The columns and their allowed values: data/README.md (the data card); every parameter:
`mscreport params`. Exit codes: 0 success; 2 bad input or a bad parameter (one
FILE:ROW:COLUMN: message per problem); 3 a chapter failed (build); 130 interrupted."""


def _add_adsl(p: argparse.ArgumentParser) -> None:
    p.add_argument("--adsl", metavar="FILE", help="ADaM: an ADSL giving TRT01P (or arm_variable), SEX, AGE and TRTSDT "
                                                  "by USUBJID (the same as -p adsl_path=FILE)")


def _with_adsl(args) -> list[str]:
    """The -p overrides, with --adsl FILE as adsl_path=FILE."""
    adsl = getattr(args, "adsl", None)
    return [*args.overrides, f"adsl_path={adsl}"] if adsl else list(args.overrides)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mscreport", parents=[_verbosity_options(NORMAL)],
        description="HbA1c before and after treatment: a literate, reproducible report.",
        epilog="Exit codes: 0 success; 2 bad input or a bad parameter (one FILE:ROW:COLUMN: message per "
               "problem); 3 a chapter failed; 4 a worker process died; 5 out of memory; 6 out of file "
               "descriptors; 130 interrupted. See the README for the rest.")
    parser.add_argument("--version", action="version", version=f"mscreport {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    common = _verbosity_options(argparse.SUPPRESS)  # after the command; keeps the value given before it
    b = sub.add_parser("build", parents=[common], help="run every chapter and write HTML reports and results.json",
                       epilog=EXPORT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    b.add_argument("--data", metavar="FILE",
                   help="cohort file (CSV, XLSX, Parquet; one row per patient or per measurement), a CDISC ADaM "
                        "ADLB (.xpt, .sas7bdat, .csv, .parquet), an OMOP CDM folder (measurement.csv, cohort.csv), "
                        "an OMOP DuckDB file or a postgresql://USER@HOST/DB URL (password from PGPASSWORD or "
                        "~/.pgpass); default: the bundled reconstructed cohort")
    _add_params(b)
    _add_columns(b)
    _add_adsl(b)
    b.add_argument("--output", metavar="DIR",
                   help="output folder (default: reports/ of the repository in a checkout, else ./reports)")
    b.add_argument("--class", dest="class_build", action="store_true",
                   help=f"the class build for teaching: data/{CLASS_FILE}, the reconstructed MSC patients as a long "
                        f"file plus a SIMULATED control arm ({CONTROL_ARM}: invented untreated patients, same "
                        "baseline distribution, regression to the mean, no treatment effect), so that every chapter "
                        "has data; no reconstruction marks; open teaching/teacher_guide.html. -p and --params still "
                        "apply (and win); --data does not")
    b.add_argument("--jobs", type=int, default=None, metavar="N", help="chapters run in parallel (default: number of cores)")
    b.add_argument("--force", action="store_true", help="ignore the cache and re-execute every chapter")
    b.add_argument("--fresh-kernels", action="store_true",
                   help="a fresh kernel per chapter (slower) instead of one kernel per worker reused for its "
                        "chapters; also MSCREPORT_FRESH_KERNELS=1")
    v = sub.add_parser("validate", parents=[common], help="check a cohort file against the data dictionary",
                       epilog=EXPORT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    v.add_argument("file", metavar="FILE", help="a cohort file, an ADaM ADLB, an OMOP folder, DuckDB file or database URL")
    _add_params(v)
    _add_columns(v)
    _add_adsl(v)
    s = sub.add_parser("synth", parents=[common], help="write the reconstructed (synthetic) cohort")
    s.add_argument("--seed", type=int, default=2025)
    s.add_argument("--output", metavar="FILE", default=None, help="default: standard output")
    s.add_argument("--long", action="store_true", help="one row per HbA1c measurement (a few per patient)")
    p = sub.add_parser("params", parents=[common], help="list the parameters with defaults and units")
    p.add_argument("--format", choices=("table", "yaml", "json"), default="table",
                   help="table (default); yaml: a ready-to-edit parameter file for --params; json")
    pv = sub.add_parser("preview", parents=[common],
                        help="build into a private folder, serve it on 127.0.0.1 and rebuild on every change",
                        description="Build the report into a private folder and serve it at http://127.0.0.1:PORT/\n"
                                    "(printed as one line `serving http://127.0.0.1:PORT/`), results.json included.\n"
                                    "When the data file, the --params file or a chapter source changes, the chapters\n"
                                    "affected are re-executed in kernels kept warm and open pages reload themselves.\n"
                                    "Loopback only; Ctrl-C stops the server and its kernels.",
                        epilog=EXPORT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    pv.add_argument("--port", type=int, default=DEFAULT_PREVIEW_PORT, metavar="N",
                    help=f"port on 127.0.0.1 (default {DEFAULT_PREVIEW_PORT}; 0: any free port)")
    pv.add_argument("--data", metavar="FILE", help="cohort file, as for build (default: the bundled reconstructed cohort)")
    _add_params(pv)
    _add_columns(pv)
    _add_adsl(pv)
    pv.add_argument("--jobs", type=int, default=None, metavar="N",
                    help="chapters run in parallel, one warm kernel each (default: number of cores)")
    w = sub.add_parser("workbooks", parents=[common],
                       help="write student notebooks (.ipynb, unpaired) with and without answers")
    w.add_argument("--output", metavar="DIR", default="workbooks", help="output folder (default: workbooks/)")
    return parser


def _report(problems: list[Problem]) -> int:
    for p in problems:
        print(p, file=sys.stderr)
    return EXIT_INPUT


def _reading(args, request):
    """How the cohort file is read (``column_map.ColumnMap``): --columns, -c, --values and the
    request's date_format (-p date_format or the parameter file's)."""
    return resolve_column_map(args.columns, args.column_items, args.value_items, request.date_format)


def cmd_validate(args) -> int:
    request = read_request(args.params, _with_adsl(args))  # the parameter file read once
    params = request.params
    _say_params(args, params)
    columns = _reading(args, request)
    from mscreport.inputs.cohort import load_cohort  # lazy: pandas and the validators load only for validate
    cohort = load_cohort(args.file, params, columns)
    args.file = shown_source(args.file)  # a database URL is printed without its password
    for e in cohort.excluded:
        where = "" if cohort.header_row is None else f" (spreadsheet row {cohort.spreadsheet_row(e.row)})"
        print(f"{safe_field(args.file)}:{e.row}:-: excluded: {e.reason}{where}")
    for note in (*cohort.file_notes, *cohort.notes):
        print(note)
    if cohort.longitudinal is not None:  # a long file: say how its measurements were used
        flow = cohort.longitudinal.flow()
        print(f"{args.file}: long file: {flow['rows_read']} measurements of {flow['patients_read']} patients; "
              + "; ".join(f"{u['use']}: {u['n']}" for u in flow["measurements"] if u["n"]))
    strata = cohort.frame["stratum"].value_counts()
    print(f"{args.file}: OK: {cohort.rows_read} rows read, {cohort.rows_analysed} analysed "
          f"({int(strata.get('moderate', 0))} moderate, {int(strata.get('severe', 0))} severe), "
          f"{len(cohort.excluded)} excluded")
    absent = [c for c in ("dose_cells", "msc_source", "followup_months") if not cohort.has(c)]
    if absent:
        print(f"{args.file}: note: study column(s) absent: {', '.join(absent)}; the analyses that need them will say so")
    return EXIT_OK


def cmd_synth(args) -> int:
    if not 0 <= args.seed < 2**32:
        raise InputError([Problem("--seed", None, None, f"--seed {args.seed}: give a whole number from 0 to 4294967295")])
    from mscreport.analysis.reconstruction import make_cohort, make_long_cohort, write_cohort, write_long_cohort  # lazy: scipy loads only for synth
    frame = make_long_cohort(args.seed) if args.long else make_cohort(args.seed)
    (write_long_cohort if args.long else write_cohort)(frame, args.output if args.output else sys.stdout)
    if args.output and args.verbosity > QUIET:
        what = f"{len(frame)} measurements of {frame['patient_id'].nunique()}" if args.long else str(len(frame))
        print(f"wrote {what} synthetic patients to {args.output}", file=sys.stderr)
    return EXIT_OK


def cmd_params(args) -> int:
    if args.format == "yaml":
        sys.stdout.write(params_yaml())
        return EXIT_OK
    if args.format == "json":
        import json
        print(json.dumps(describe_parameters(), indent=2))
        return EXIT_OK
    for p in describe_parameters():
        default = repr(p["default"]) if isinstance(p["default"], str) else f"{p['default']:g}"
        print(f"{p['name']:<18} {p['type']:<6} default {default:<10} [{p['unit']}]  {p['meaning']}")
    return EXIT_OK


def cmd_workbooks(args) -> int:
    from pathlib import Path

    if Path(args.output).exists() and not Path(args.output).is_dir():
        raise InputError([Problem(args.output, None, None, "--output must be a folder, and this is a file")])
    written = write_workbooks(Path(args.output))
    print(f"wrote {len(written)} workbooks to {args.output}/student and {args.output}/with_answers "
          f"(kernel `{KERNEL_NAME}`: `make workbooks` installs it)", file=sys.stderr)
    return EXIT_OK


def _say_params(args, params: dict) -> None:
    """-v: the parameters actually used, one per line."""
    if args.verbosity >= VERBOSE:
        for name, value in params.items():
            print(f"parameter {name} = {value!r}")


def cmd_build(args) -> int:
    from pathlib import Path

    problems = []
    if args.jobs is not None and args.jobs < 1:
        problems.append(Problem("--jobs", None, None, f"--jobs {args.jobs}: give a whole number of 1 or more"))
    if args.output and Path(args.output).exists() and not Path(args.output).is_dir():
        problems.append(Problem(args.output, None, None, "--output must be a folder, and this is a file"))
    if problems:
        raise InputError(problems)
    overrides = _with_adsl(args)
    if args.class_build:  # the class cohort and its parameters, below the user's own
        overrides = class_overrides(args.params, overrides, args.data)
    request = read_request(args.params, overrides)  # the parameter file read once; --adsl as adsl_path
    columns = _reading(args, request)
    data = args.data or request.data_path  # --data wins over data_path
    if args.class_build:
        data = str(CLASS_COHORT)
    if args.verbosity >= VERBOSE:
        _say_params(args, request.params)
        print(f"chapters from {NOTEBOOKS_DIR}\ncohort {data or DEFAULT_COHORT}\noutput {args.output or REPORTS_DIR}")
    return build(data=data, request=request, output=args.output, jobs=args.jobs, force=args.force, argv=args.argv,
                 columns=columns, fresh_kernels=args.fresh_kernels)


def cmd_preview(args) -> int:
    problems = []
    if args.jobs is not None and args.jobs < 1:
        problems.append(Problem("--jobs", None, None, f"--jobs {args.jobs}: give a whole number of 1 or more"))
    if not 0 <= args.port <= 65535:
        problems.append(Problem("--port", None, None, f"--port {args.port}: give a port from 1 to 65535, or 0 for any free one"))
    if problems:
        raise InputError(problems)
    argv = _as_build_argv(args.argv)

    def plan_for():  # the parameter file read afresh at every change
        request = read_request(args.params, _with_adsl(args))
        columns = _reading(args, request)
        if args.verbosity >= VERBOSE:
            _say_params(args, request.params)
        return make_plan(data=args.data or request.data_path, request=request, argv=argv, columns=columns)

    say = print if args.verbosity > QUIET else (lambda *_a, **_k: None)
    return preview(plan_for, params_file=args.params, port=args.port, jobs=args.jobs, extra_watched=(args.columns or "",),
                   say=say)


def _as_build_argv(argv: list[str]) -> list[str]:
    """The preview's command line as the build that makes the same report (the pages show the
    rebuild command): ``build`` for ``preview``, without ``--port N``."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--port":
            skip = True
        elif not a.startswith("--port="):
            out.append("build" if a == "preview" else a)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(argv)
        args.argv = argv
    except SystemExit as exc:  # argparse already printed its message
        return EXIT_INPUT if exc.code else EXIT_OK
    handler = {"build": cmd_build, "validate": cmd_validate, "synth": cmd_synth, "params": cmd_params,
               "workbooks": cmd_workbooks, "preview": cmd_preview}[args.command]
    # -q: progress and summaries (standard output) are dropped, except what is the command's
    # product (synth's CSV, the parameter list); problems still go to standard error
    quiet = args.verbosity <= QUIET and args.command in ("build", "validate")
    try:
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink) if quiet else contextlib.nullcontext():
            return handler(args)
    except InputError as exc:
        return _report(exc.problems)
    except BuildStopped as exc:  # the machine stopped it: a worker died, memory or descriptors ran out
        print(exc, file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:  # e.g. an output folder that cannot be written; the path is always named
        if is_out_of_memory(exc) or is_out_of_files(exc):
            return _stopped(args, exc)
        where = exc.filename or getattr(args, "output", None) or "-"
        print(f"{safe_field(where)}:-:-: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INPUT
    except Exception as exc:  # noqa: BLE001 - memory running out, whatever raised it (an import, a thread)
        if not is_out_of_memory(exc):
            raise
        return _stopped(args, exc)


def _stopped(args, exc: BaseException) -> int:
    """Print the one line of a build or check stopped by memory or descriptors; its exit code."""
    where = getattr(args, "output", None) or getattr(args, "file", None) or "-"
    stop = out_of_memory(where) if is_out_of_memory(exc) else out_of_files(where, exc)
    print(stop, file=sys.stderr)
    return stop.code


if __name__ == "__main__":
    sys.exit(main())
