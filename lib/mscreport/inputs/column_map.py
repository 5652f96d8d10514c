"""Mapping the user's own column headers to the data dictionary's columns.

``mscreport build|validate --columns map.yaml`` and ``-c hba1c_baseline="HbA1c (%)"``:
each entry is ``DICTIONARY_COLUMN: USER'S HEADER``. A header matches as written or after the
usual normalisation (case, surrounding spaces, spaces/hyphens versus underscores), so
``-c hba1c_baseline="HbA1c (%)"`` renames the column headed ``HbA1c (%)``. Later ``-c``
items override the file's entries for the same column.

map.yaml (a mapping; optionally under a top-level ``columns:`` key)::

    hba1c_baseline: "HbA1c (%)"
    hba1c_followup: A1C_followup

Problems are located at their source (``map.yaml:-:COLUMN:`` or ``-c:-:COLUMN:``) and
suggest the closest known name (``difflib``). The YAML is read with a size limit, no
aliases and no duplicate keys.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from mscreport.core import dictionary as dd
from mscreport.core.errors import InputError, Problem
from mscreport.inputs.yamlfile import check_shape

MAX_MAP_BYTES = 64 << 10  # a column map is a few lines


def _key(name: str) -> str:
    """Letters and digits only, lower case: 'HbA1c (%)' -> 'hba1c', 'A1C_baseline' -> 'a1cbaseline'."""
    return re.sub(r"[^0-9a-z]+", "", str(name).lower())


def closest(name: str, candidates, cutoff: float = 0.6) -> str | None:
    """The candidate closest to ``name`` (difflib on letters and digits; else one whose letters
    and digits contain the name's or are contained in them), or None."""
    candidates = [str(c) for c in candidates]
    keys = {}
    for c in candidates:
        keys.setdefault(_key(c), c)
    k = _key(name)
    if not k:
        return None
    match = difflib.get_close_matches(k, list(keys), n=1, cutoff=cutoff)
    if match:
        return keys[match[0]]
    # 'HbA1c (%)' for hba1c_baseline: one name inside the other (at least 4 letters or digits)
    inside = [c for key, c in keys.items() if min(len(key), len(k)) >= 4 and (key in k or k in key)]
    return inside[0] if inside else None


def map_hint(column: str, header: str) -> str:
    """How to map a header to a column on the command line."""
    return f"-c {column}=\"{header}\""


@dataclass(frozen=True)
class ColumnMap:
    """Dictionary column -> the user's header, with where each entry came from (for messages)."""

    pairs: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.pairs)

    def as_dict(self) -> dict:
        """The mapping as plain data (for a cache key, results.json or a chapter parameter)."""
        return dict(sorted(self.pairs.items()))

    def apply(self, names: list[str], headers: list[str], file: str) -> tuple[list[str], list[Problem]]:
        """Rename the columns whose header an entry names; problems for entries naming no column."""
        names = list(names)
        exact: dict[str, list[int]] = {}
        normal: dict[str, list[int]] = {}
        for j, (n, h) in enumerate(zip(names, headers)):
            exact.setdefault(str(h).strip(), []).append(j)
            normal.setdefault(n, []).append(j)
        from mscreport.inputs.readers import normalise_column  # lazy: readers imports pandas, not before the build has started its workers

        problems: list[Problem] = []
        for column, header in self.pairs.items():
            where = self.sources.get(column, "-c")
            found = exact.get(header.strip()) or normal.get(normalise_column(header))
            if not found:
                near = closest(header, headers)
                hint = f"; the closest is {near!r}" if near else ""
                problems.append(Problem(where, None, column, f"no column headed {header!r} in {file}{hint}"))
                continue
            if len(found) > 1:
                problems.append(Problem(where, None, column, f"{len(found)} columns of {file} are headed {header!r}: "
                                                             "rename one in the file"))
                continue
            names[found[0]] = column
        return names, problems


def _check_target(column: str, where: str) -> Problem | None:
    if column in dd.KNOWN_COLUMNS:
        return None
    near = closest(column, dd.KNOWN_COLUMNS)
    hint = f"; did you mean {near}?" if near else ""
    return Problem(where, None, column, f"{column!r} is not a column of the data dictionary{hint} "
                                        "(map to a dictionary column: COLUMN=\"your header\")")


def _load_yaml(path: Path) -> object:
    """A small YAML document: size limit, no aliases, no duplicate keys (ValueError otherwise)."""
    import yaml

    data = path.read_bytes()[:MAX_MAP_BYTES + 1]
    if len(data) > MAX_MAP_BYTES:
        raise ValueError(f"larger than {MAX_MAP_BYTES >> 10} KiB: a column map is a few lines")
    text = data.decode("utf-8-sig")
    try:
        check_shape(text, "column map")  # depth and integer limits: no RecursionError, no 4300-digit ValueError
    except yaml.MarkedYAMLError as exc:
        raise ValueError(f"line {exc.problem_mark.line + 1}: {exc.problem}") from None
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise ValueError("YAML aliases (*name) are not allowed in a column map")

    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise ValueError(f"column {key!r} is mapped twice (line {key_node.start_mark.line + 1})")
            seen.add(key)
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass


def resolve_column_map(map_file: str | Path | None = None, items=()) -> ColumnMap:
    """The column mapping from a YAML file and ``COLUMN=HEADER`` items (items win); InputError if bad."""
    pairs: dict[str, str] = {}
    sources: dict[str, str] = {}
    problems: list[Problem] = []
    if map_file is not None:
        where = str(map_file)
        try:
            loaded = _load_yaml(Path(map_file)) or {}
            if isinstance(loaded, dict) and set(loaded) == {"columns"} and isinstance(loaded["columns"], dict):
                loaded = loaded["columns"]
            if not isinstance(loaded, dict):
                raise ValueError("expected a mapping of COLUMN: \"your header\" lines")
            for column, header in loaded.items():
                if not isinstance(header, (str, int, float)) or isinstance(header, bool) or not str(header).strip():
                    problems.append(Problem(where, None, str(column), f"{column}: give the header as text, "
                                                                      f"e.g. {column}: \"HbA1c (%)\""))
                    continue
                pairs[str(column).strip()] = str(header).strip()
                sources[str(column).strip()] = where
        except FileNotFoundError:
            problems.append(Problem(where, None, None, "column map file not found: check the path"))
        except OSError as exc:
            problems.append(Problem(where, None, None, f"cannot read the column map ({exc.strerror or exc})"))
        except Exception as exc:  # yaml errors, decoding errors, the checks above
            problems.append(Problem(where, None, None, "cannot read the column map: " + " ".join(str(exc).split())))
    for item in items:
        if "=" not in item:
            problems.append(Problem("-c", None, None, f"{item!r}: expected COLUMN=\"your header\", "
                                                      "e.g. -c hba1c_baseline=\"HbA1c (%)\""))
            continue
        column, header = (s.strip() for s in item.split("=", 1))
        header = header.strip("\"'").strip() if len(header) > 1 and header[0] == header[-1] and header[0] in "\"'" \
            else header
        if not header:
            problems.append(Problem("-c", None, column or None, f"{item!r}: the header after '=' is empty"))
            continue
        pairs[column] = header
        sources[column] = "-c"
    for column in pairs:
        bad = _check_target(column, sources[column])
        if bad:
            problems.append(bad)
    if pairs:
        from mscreport.inputs.readers import normalise_column  # lazy: readers imports pandas, not before the build has started its workers

    by_header: dict[str, list[str]] = {}
    for column, header in pairs.items():
        by_header.setdefault(normalise_column(header), []).append(column)
    for columns in by_header.values():
        if len(columns) > 1:
            problems.append(Problem(sources[columns[-1]], None, columns[-1],
                                    f"the header {pairs[columns[-1]]!r} is mapped to {', '.join(columns)}: "
                                    "map each header to one column"))
    if problems:
        raise InputError(problems)
    return ColumnMap(pairs, sources)
