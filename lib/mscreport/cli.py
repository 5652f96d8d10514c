"""The ``mscreport`` command line: build, validate, synth (see interface.md).

Exit codes: 0 success; 2 bad input or a bad parameter (one readable line per problem on
stderr, never a Python traceback; also an output folder that cannot be written or holds
files mscreport did not write); 3 a chapter failed while the build ran it (its executed
notebook and traceback are kept in ``DIR/failed/``); 130 interrupted. Heavy libraries are imported only when needed, so that an
up-to-date rebuild answers in well under a second.
"""

from __future__ import annotations

import argparse
import os
import sys

from .errors import InputError, Problem, safe_field

EXIT_OK, EXIT_INPUT = 0, 2


def _add_params(p: argparse.ArgumentParser) -> None:
    p.add_argument("--params", metavar="FILE.yaml", help="YAML file of NAME: VALUE parameters")
    p.add_argument("-p", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                   help="set one parameter (repeatable); `mscreport params` lists them")


def _add_columns(p: argparse.ArgumentParser) -> None:
    p.add_argument("--columns", metavar="MAP.yaml", help="YAML file of COLUMN: \"your header\" lines mapping your "
                                                         "headers to the data dictionary's columns")
    p.add_argument("-c", dest="column_items", action="append", default=[], metavar="COLUMN=HEADER",
                   help="map one of your headers to a dictionary column, e.g. -c hba1c_baseline=\"HbA1c (%%)\" "
                        "(repeatable)")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mscreport", description="HbA1c after one MSC infusion: literate report.")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="run every chapter and write HTML reports and results.json")
    b.add_argument("--data", metavar="FILE", help="cohort file (CSV, XLSX, Parquet); default: the bundled reconstructed cohort")
    _add_params(b)
    _add_columns(b)
    b.add_argument("--output", metavar="DIR", help="output folder (default: reports/)")
    b.add_argument("--jobs", type=int, default=None, metavar="N", help="chapters run in parallel (default: number of cores)")
    b.add_argument("--force", action="store_true", help="ignore the cache and re-execute every chapter")
    v = sub.add_parser("validate", help="check a cohort file against the data dictionary")
    v.add_argument("file", metavar="FILE")
    _add_params(v)
    _add_columns(v)
    s = sub.add_parser("synth", help="write the reconstructed (synthetic) cohort")
    s.add_argument("--seed", type=int, default=2025)
    s.add_argument("--output", metavar="FILE", default=None, help="default: standard output")
    sub.add_parser("params", help="list the parameters with defaults and units")
    w = sub.add_parser("workbooks", help="write student notebooks (.ipynb, unpaired) with and without answers")
    w.add_argument("--output", metavar="DIR", default="workbooks", help="output folder (default: workbooks/)")
    return parser


def _report(problems: list[Problem]) -> int:
    for p in problems:
        print(p, file=sys.stderr)
    return EXIT_INPUT


def cmd_validate(args) -> int:
    from .params import resolve_params
    params = resolve_params(args.params, args.overrides)
    from .column_map import resolve_column_map
    columns = resolve_column_map(args.columns, args.column_items)
    from .cohort import load_cohort
    cohort = load_cohort(args.file, params, columns)
    for e in cohort.excluded:
        where = "" if cohort.header_row is None else f" (spreadsheet row {cohort.spreadsheet_row(e.row)})"
        print(f"{args.file}:{e.row}:-: excluded: {e.reason}{where}")
    for note in (*cohort.file_notes, *cohort.notes):
        print(note)
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
    from .synth import make_cohort, write_cohort
    frame = make_cohort(args.seed)
    write_cohort(frame, args.output if args.output else sys.stdout)
    if args.output:
        print(f"wrote {len(frame)} synthetic patients to {args.output}", file=sys.stderr)
    return EXIT_OK


def cmd_params(_args) -> int:
    from .params import describe_parameters
    for p in describe_parameters():
        print(f"{p['name']:<16} {p['type']:<6} default {p['default']!s:<10} [{p['unit']}]  {p['meaning']}")
    return EXIT_OK


def cmd_workbooks(args) -> int:
    from pathlib import Path

    if Path(args.output).exists() and not Path(args.output).is_dir():
        raise InputError([Problem(args.output, None, None, "--output must be a folder, and this is a file")])
    from .workbooks import KERNEL_NAME, write_workbooks
    written = write_workbooks(Path(args.output))
    print(f"wrote {len(written)} workbooks to {args.output}/student and {args.output}/with_answers "
          f"(kernel `{KERNEL_NAME}`: `make workbooks` installs it)", file=sys.stderr)
    return EXIT_OK


def cmd_build(args) -> int:
    from pathlib import Path

    problems = []
    if args.jobs is not None and args.jobs < 1:
        problems.append(Problem("--jobs", None, None, f"--jobs {args.jobs}: give a whole number of 1 or more"))
    if args.output and Path(args.output).exists() and not Path(args.output).is_dir():
        problems.append(Problem(args.output, None, None, "--output must be a folder, and this is a file"))
    if problems:
        raise InputError(problems)
    from .column_map import resolve_column_map
    columns = resolve_column_map(args.columns, args.column_items)
    from .build import build
    return build(data=args.data, params_file=args.params, overrides=args.overrides, output=args.output,
                 jobs=args.jobs, force=args.force, argv=args.argv, columns=columns)


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(argv)
        args.argv = argv
    except SystemExit as exc:  # argparse already printed its message
        return EXIT_INPUT if exc.code else EXIT_OK
    handler = {"build": cmd_build, "validate": cmd_validate, "synth": cmd_synth, "params": cmd_params,
               "workbooks": cmd_workbooks}[args.command]
    try:
        return handler(args)
    except InputError as exc:
        return _report(exc.problems)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:  # e.g. an output folder that cannot be written; the path is always named
        where = exc.filename or getattr(args, "output", None) or "-"
        print(f"{safe_field(where)}:-:-: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INPUT


if __name__ == "__main__":
    sys.exit(main())
