"""Disclosure control: which numbers a rendered page may show. The rule lives here, once.

**The rule.** No number is shown in a page when it is computed from fewer than
``MIN_VALUES`` (3) non-missing values, counted per cell: a mean of one value is that
patient's value, and the mean and SD of two values give both back. Counts of patients are
shown (they are not a patient's measurement).

**Secondary suppression.** A hidden group must not be recoverable from numbers shown
elsewhere, on any page. When groups partition a total that is shown (the strata partition
the analysed cohort; the dose groups, plus the patients without a dose, partition it too),
the mean and SD of a hidden part follow from the total's and the other parts'. So the
hidden parts together, with the patients in no part, must hold either no patient or at
least ``MIN_VALUES``; otherwise the smallest shown part is hidden too (``hidden_parts``).
Nested groups (the severe stratum at rising cut-offs) are shown only where every
difference between two shown groups, and between a shown group and the whole cohort or
nothing, holds no patient or at least ``MIN_VALUES`` (``shown_nested``).

**Strict mode** (parameter ``disclosure=strict``, for output leaving a secure data environment):
counts of 1 to 7 are hidden with every statistic of such a group, other counts rounded to the
nearest 5 (``shown_count``), no minimum or maximum, figures binned.

**The policy.** ``Policy`` (frozen: ``Policy.of(params)``, ``Chapter.policy``) carries the mode to
display functions (``with_policy``: a function given ``policy=`` runs, with the solvers it calls,
under it); ``set_mode`` sets the default that functions given no policy follow.

``results.json`` keeps every number: it is the data owner's file, not a page.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
from dataclasses import dataclass

import numpy as np

from mscreport.core.groups import DOSE_GROUPS, STRATA

MIN_VALUES = 3
MIN_ORDER = 5  # order statistics (minimum, maximum, range, median, quartiles, IQR, percentiles, Hodges-Lehmann) below this n are hidden
STRICT_MAX_HIDDEN = 7  # strict mode: counts 1 to 7 are hidden with every statistic of such a group
STRICT_ROUND = 5  # strict mode: other counts rounded to the nearest 5
MODES = ("standard", "strict")
SUPPRESSED = f"suppressed (n < {MIN_VALUES})"
SUPPRESSED_SECONDARY = "suppressed (would reveal a hidden group)"
SUPPRESSED_ORDER = f"suppressed (n < {MIN_ORDER})"
SUPPRESSED_STRICT = f"suppressed (n \u2264 {STRICT_MAX_HIDDEN})"
SUPPRESSED_EXTREMES = "not shown (strict disclosure: no minimum or maximum)"
SUPPRESSED_GROUP = "suppressed (a test of a group the tables hide)"  # where the group's own reason is given beside its n


def suppressed(n, policy: "Policy | None" = None) -> str:
    """The true reason a group's number is not shown: ``SUPPRESSED`` ("fewer than 3"; strict
    "n ≤ 7") when the group itself has so few values, else ``SUPPRESSED_SECONDARY`` (it is
    hidden because, with numbers shown elsewhere, it would give a hidden group back)."""
    policy = policy or current_policy()
    if n is None or not n or policy.too_few(n):
        return SUPPRESSED_STRICT if policy.strict else SUPPRESSED
    return SUPPRESSED_SECONDARY


def order_shown(n) -> bool:
    """Whether order statistics (minimum, maximum, range, median, quartiles, IQR, other
    percentiles, the Hodges-Lehmann estimate and bounds) of ``n`` non-missing values may be shown
    on a page: only from at least ``MIN_ORDER`` values (in both modes; in strict mode the minimum
    and maximum never: ``extremes_shown``)."""
    return n is not None and int(n) >= MIN_ORDER


_MODE = {"mode": "standard"}


@dataclass(frozen=True)
class Policy:
    """The disclosure rule of the pages being built, passed explicitly to display functions
    (``Policy.of(params)``; ``Chapter.policy``). ``mode``: 'standard' or 'strict'.

    ``min_values``: the fewest values a shown number may come from (3; strict 8, counts of 7 or
    fewer being hidden); ``min_bar``: the fewest patients a histogram bar or figure bin may hold
    (the same); ``binned``: figures draw bins, never a patient's own point or line (strict)."""

    mode: str = "standard"

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"disclosure must be one of {', '.join(MODES)}, not {self.mode!r}")

    @classmethod
    def of(cls, params: dict | None) -> "Policy":
        """The policy of a build's parameters (``disclosure``, default 'standard')."""
        return cls((params or {}).get("disclosure") or "standard")

    @property
    def strict(self) -> bool:
        return self.mode == "strict"

    @property
    def min_values(self) -> int:
        return STRICT_MAX_HIDDEN + 1 if self.strict else MIN_VALUES

    min_bar = min_values

    @property
    def binned(self) -> bool:
        return self.strict

    def too_few(self, n) -> bool:
        """True when a number from ``n`` values (or a bar of ``n`` patients) must not be shown."""
        return n is not None and 0 < int(n) < self.min_values

    def count(self, n) -> str:
        """A count as the page shows it (``shown_count``)."""
        return shown_count(n, self)

    def extremes_shown(self, n) -> bool:
        """Whether a minimum, maximum or range of ``n`` values may be shown (never in strict)."""
        return not self.strict and order_shown(n)

    def reason(self, n) -> str:
        """The true reason a group's number is not shown (``suppressed``)."""
        return suppressed(n, self)


STANDARD = Policy("standard")
STRICT = Policy("strict")


@contextlib.contextmanager
def applied(policy: "Policy | None"):
    """Within the block, every rule of this module follows ``policy`` (None: the mode as set);
    the mode before is restored after (a display function given a policy applies it to the
    solvers it calls: ``with_policy``)."""
    before = _MODE["mode"]
    if policy is not None:
        _MODE["mode"] = policy.mode
    try:
        yield policy or current_policy()
    finally:
        _MODE["mode"] = before


def with_policy(func):
    """A display function taking a keyword ``policy`` (a ``Policy``; None: the mode as set) and
    run under it (``applied``), so its tables, figures and the solvers behind them follow the
    same rule."""
    @functools.wraps(func)
    def wrapper(*args, policy: "Policy | None" = None, **kwargs):
        with applied(policy):
            return func(*args, **kwargs)
    return wrapper


def current_policy() -> Policy:
    """The policy of the mode set by ``set_mode`` (the chapters' default when no policy is passed)."""
    return STRICT if _MODE["mode"] == "strict" else STANDARD


def set_mode(mode: str) -> None:
    """The disclosure mode of the pages being built (parameter ``disclosure``: 'standard' or
    'strict'); each chapter sets it from its parameters."""
    if mode not in MODES:
        raise ValueError(f"disclosure must be one of {', '.join(MODES)}, not {mode!r}")
    _MODE["mode"] = mode


def mode() -> str:
    """The disclosure mode set by ``set_mode`` ('standard' unless a chapter set 'strict')."""
    return _MODE["mode"]


def extremes_shown(n, policy: "Policy | None" = None) -> bool:
    """Whether a minimum, maximum or range of ``n`` values may be shown: never in strict mode,
    else as ``order_shown``."""
    return (policy or current_policy()).extremes_shown(n)


def rounded_count(n: int) -> int:
    """``n`` rounded to the nearest ``STRICT_ROUND`` (5), halves up: 12 -> 10, 13 -> 15."""
    return STRICT_ROUND * int((int(n) + STRICT_ROUND / 2) // STRICT_ROUND)


HIDDEN_COUNT = f"\u2264 {STRICT_MAX_HIDDEN}"  # a strict page's count of 1 to 7: "≤ 7"


def shown_count(n, policy: "Policy | None" = None) -> str:
    """A count of patients as a page shows it (thousands separated): as it is in standard mode;
    in strict mode 0 stays 0, 1 to 7 are shown as "≤ 7", others rounded to the nearest 5 (the
    page says once that counts are rounded)."""
    if n is None:
        return ""
    n = int(n)
    if (policy or current_policy()).mode != "strict" or n == 0:
        return f"{n:,}"
    if n <= STRICT_MAX_HIDDEN:
        return HIDDEN_COUNT
    return f"{rounded_count(n):,}"


def too_few(n) -> bool:
    """True when a number computed from ``n`` non-missing values must not be shown
    (1 or 2 values; 0 values give no number at all; in strict mode 1 to 7)."""
    return current_policy().too_few(n)


def hidden_parts(total: int, parts: dict[str, int]) -> frozenset[str]:
    """The parts of a shown total whose summaries a page must hide.

    ``parts`` maps each part to its number of values; patients of ``total`` in no part
    (e.g. without a dose) count as an always-hidden remainder. Parts with 1 or 2 values are
    hidden; then, while the hidden parts and the remainder together hold 1 or 2 values
    (recoverable as the total minus the shown parts), the smallest shown part is hidden too.
    """
    hidden = {k for k, n in parts.items() if too_few(n)}
    remainder = max(0, int(total) - sum(int(n) for n in parts.values()))

    def hidden_values() -> int:
        return remainder + sum(int(parts[k]) for k in hidden)

    while too_few(hidden_values()):
        shown = sorted((int(n), k) for k, n in parts.items() if k not in hidden and n > 0)
        if not shown:
            break
        hidden.add(shown[0][1])
    if too_few(total):
        hidden.update(parts)
    return frozenset(hidden)


def shown_nested(total: int, sizes: list[int], first: int | None = None) -> list[bool]:
    """Which of a family of nested groups (each a subset of the whole ``total`` or of each
    other, e.g. the patients above each of several cut-offs) a page may show.

    A group of size s is shown only if, against every shown group, the whole (``total``)
    and the empty group, the size difference is 0 or at least MIN_VALUES (a difference of
    1 or 2 patients would be recoverable from the two shown summaries). ``first`` (an index)
    is decided first: the group that another page shows anyway."""
    shown = [False] * len(sizes)
    if too_few(total):
        return shown
    known = {0, int(total)}
    order = ([first] if first is not None else []) + [i for i in range(len(sizes)) if i != first]
    for i in order:
        s = int(sizes[i])
        if all(not too_few(abs(s - k)) for k in known):
            known.add(s)
            shown[i] = True
    return shown


def hidden_strata(frame) -> frozenset[str]:
    """Strata of an analysed cohort frame whose summaries are hidden (with secondary suppression
    against the whole cohort, against each arm's strata, and against every other split:
    ``solve_splits``)."""
    return _one_way(frame, "stratum", STRATA) | solve_splits(frame)["stratum"]


def hidden_dose_groups(frame) -> frozenset[str]:
    """Dose groups ('high', 'low') whose summaries are hidden; patients without a dose are the
    hidden remainder of the analysed cohort (with arms, see ``solve_arms``)."""
    if "dose_group" not in frame:
        return frozenset()
    return _one_way(frame, "dose_group", DOSE_GROUPS) | solve_splits(frame)["dose_group"]


def hidden_by_column(frame, column: str, alone: bool = False) -> frozenset[str]:
    """Levels of a grouping column (e.g. msc_source) whose summaries are hidden; rows with the
    column missing are the hidden remainder. A split of ``SPLITS`` is also checked against the
    others (``solve_splits``) unless ``alone``."""
    if not alone and column in SPLITS and column != "arm":
        return hidden_by_column(frame, column, alone=True) | solve_splits(frame)[column]
    sizes: dict[str, int] = {}
    for level, count in frame[column].value_counts(dropna=True).items():  # counted first, named after
        if count:  # a categorical's unused levels are no group
            sizes[str(level)] = sizes.get(str(level), 0) + int(count)
    return hidden_parts(len(frame), sizes)


def hidden_groups(frame) -> frozenset[str]:
    """Every group of an analysed cohort frame whose summaries pages hide: 'overall' (a cohort
    of 1 or 2), strata and dose groups (with secondary suppression)."""
    return (hidden_strata(frame) | hidden_dose_groups(frame)
            | (frozenset({"overall"}) if too_few(len(frame)) else frozenset()))


def group_size(frame, group: str) -> int:
    """The number of patients of a named group of ``hidden_groups`` ('overall', a stratum, a dose
    group) in an analysed cohort frame (for the true reason of a hidden group: ``suppressed``)."""
    if group == "overall":
        return len(frame)
    for column in ("stratum", "dose_group"):
        if column in frame and (frame[column] == group).any():
            return int((frame[column] == group).sum())
    return 0


def hidden_in_results(results: dict) -> frozenset[str]:
    """From results.json: which of 'overall', 'moderate', 'severe', 'high', 'low' a page
    hides (the index's key findings follow the same rule as the chapters)."""
    overall = (results.get("overall") or {}).get("n") or 0
    strata = results.get("strata") or {}
    dose = results.get("dose") or {}
    hidden = set(hidden_parts(overall, {s: (strata.get(s) or {}).get("n") or 0 for s in STRATA}))
    hidden |= hidden_parts(overall, {g: (dose.get(g) or {}).get("n") or 0 for g in DOSE_GROUPS}) if dose.get("high") or dose.get("low") else set()
    if too_few(overall):
        hidden.add("overall")
    solved = (results.get("disclosure") or {}).get("hidden_on_pages") or {}  # every split and crossing (solve_splits)
    hidden |= set(solved.get("strata") or ()) | set(solved.get("dose_groups") or ())
    return frozenset(hidden | hidden_pooled_in_arms(results.get("arms")))


def hidden_pooled_in_arms(block: dict | None) -> frozenset[str]:
    """From results.json's ``arms`` block: the pooled strata and dose groups that the crossed
    splits hide (``solve_arms_counts``); nothing without arms."""
    solved = solve_arms_block(block)
    return solved["stratum"][0] | solved["dose_group"][0]


def solve_arms_block(block: dict | None) -> dict:
    """``solve_arms`` from results.json's ``arms`` block (its per-arm, per-stratum and per-dose-group
    counts), for pages made from results.json (the index)."""
    groups = (block or {}).get("groups") or {}
    if not groups:
        return NO_ARMS
    sizes = {a: (g.get("overall") or {}).get("n") or 0 for a, g in groups.items()}
    strata = {(a, s): ((g.get("strata") or {}).get(s) or {}).get("n") or 0 for a, g in groups.items() for s in STRATA}
    dose = block.get("dose") or {}
    doses = {(a, d): (dose.get(a) or {}).get(f"n_{d}") or 0 for a in groups for d in DOSE_GROUPS}
    total = sum(sizes.values())
    tables = {}
    for column, cells, levels in (("stratum", strata, STRATA), ("dose_group", doses, DOSE_GROUPS)):
        pooled = {g: sum(n for (a, k), n in cells.items() if k == g) for g in levels}
        tables[column] = (cells, pooled, hidden_parts(total, pooled))
    return solve_arms_counts(sizes, tables)


# ---------------------------------------------------------------- crossed splits (arm x stratum, arm x dose group)
def _lone_or_small(sizes: dict, total, parts: list, remainder: int, hidden: set) -> bool:
    """Whether a partition total = parts + remainder gives a hidden group back: the hidden parts
    with the remainder hold 1 or 2 values (their sum is the total minus the shown parts), or a
    single non-empty member (the total or a part) is hidden with no remainder (it is the
    others' sum or difference)."""
    hidden_members = [m for m in [total, *parts] if m in hidden and sizes[m] > 0]
    small = total not in hidden and too_few(remainder + sum(sizes[p] for p in parts if p in hidden))
    return small or (not remainder and len(hidden_members) == 1)


def recoverable_small_groups(atoms: dict, shown: list[set]) -> list[frozenset]:
    """Groups of 1 or 2 patients that numbers shown give back. ``atoms``: the disjoint pieces of
    a crossed split (each cell, each arm's patients in no cell) with their patient counts;
    ``shown``: the groups shown, each a set of atoms. Every summary (n, sum, sum of squares) of
    a group is the sum of its atoms', so a set of atoms is recoverable exactly when its
    indicator lies in the span of the shown groups' indicators (tested for every set of one or
    two non-empty atoms holding 1 or 2 patients, by projection on that span)."""
    names = [a for a, n in atoms.items() if n > 0]
    if not names or not shown:
        return []
    basis = np.array([[1.0 if a in g else 0.0 for a in names] for g in shown])
    combos = [c for size in (1, 2) for c in itertools.combinations(range(len(names)), size)
              if too_few(sum(atoms[names[i]] for i in c))]
    if not combos:
        return []
    u, sv, vt = np.linalg.svd(basis, full_matrices=False)
    q = vt[sv > 1e-9 * max(1.0, float(sv.max(initial=0.0)))]
    v = np.zeros((len(combos), len(names)))
    for row, c in enumerate(combos):
        v[row, list(c)] = 1.0
    residual = np.abs(v - (v @ q.T) @ q).max(axis=1) if len(q) else np.ones(len(combos))
    return [frozenset(names[i] for i in combos[row]) for row in np.flatnonzero(residual < 1e-7)]


def solve_crossed(cells: dict[tuple[str, str], int], row_totals: dict[str, int], column_totals: dict[str, int],
                  hidden_rows=(), hidden_columns=()) -> tuple[frozenset, frozenset, frozenset]:
    """(rows, columns, cells) of a crossed split whose summaries pages hide, when the pooled total,
    each row (arm), each column (pooled stratum or dose group) and each cell may be shown.

    Every row, every column, the rows together and the columns together are partitions of a
    total; ``_lone_or_small`` must hold for none of them. A cell of 1 or 2 values is hidden;
    then, until no partition gives a hidden group back, something more is hidden: in a column,
    the pooled group itself (so the arms' results, the trial's answer, are kept); in a row, its
    smallest shown non-empty cell, or, when none is left, the row; in the pooled total's
    partitions, the smallest shown part (never the pooled total). So a lone cell hides its
    complement in its arm, and the pooled groups it belongs to; and when an arm's total minus
    a pooled group's is 1 or 2 patients, the pooled group is hidden. A hidden
    row (arm) hides its cells. Last, combinations across partitions (the pooled total minus
    a row minus a column...) are checked exactly (``recoverable_small_groups``); while one gives
    1 or 2 patients back, the smallest shown row, column or cell whose hiding ends that is hidden
    (or, if no single one does, the smallest shown one). A row's
    patients in no column (without a dose) are its remainder. ``hidden_rows``,
    ``hidden_columns``: hidden anyway."""
    whole = ("all",)
    sizes = {whole: sum(row_totals.values()), **{("row", r): n for r, n in row_totals.items()},
             **{("col", k): n for k, n in column_totals.items()}, **{("cell", *c): n for c, n in cells.items()}}
    partitions = ([(whole, [("row", r) for r in row_totals]), (whole, [("col", k) for k in column_totals])]
                  + [(("row", r), [("cell", *c) for c in cells if c[0] == r]) for r in row_totals]
                  + [(("col", k), [("cell", *c) for c in cells if c[1] == k]) for k in column_totals])
    atoms = {**{("cell", *c): n for c, n in cells.items()},
             **{("rem", r): max(0, n - sum(m for c, m in cells.items() if c[0] == r)) for r, n in row_totals.items()}}
    members = {whole: set(atoms), **{("row", r): {a for a in atoms if a[1] == r} for r in row_totals},
               **{("col", k): {("cell", *c) for c in cells if c[1] == k} for k in column_totals},
               **{("cell", *c): {("cell", *c)} for c in cells}}
    hidden = ({m for m, n in sizes.items() if too_few(n)} | {("row", r) for r in hidden_rows}
              | {("col", k) for k in hidden_columns})
    changed = True
    while changed:
        changed = False
        for total, parts in partitions:
            if total in hidden and total[0] == "row":  # a hidden arm hides its cells
                new = {p for p in parts if p[0] == "cell"} - hidden
                hidden |= new
                changed |= bool(new)
            remainder = max(0, sizes[total] - sum(sizes[p] for p in parts))
            while _lone_or_small(sizes, total, parts, remainder, hidden):
                shown = [p for _, p in sorted((sizes[p], p) for p in parts if p not in hidden and sizes[p] > 0)]
                own = [total] if total != whole and total not in hidden else []
                # a pooled group gives way before an arm's cells (which may be the whole arm);
                # an arm's total only when none of its cells is left
                order = own + shown if total[0] == "col" else shown + own
                if not order:
                    break
                hidden.add(order[0])
                changed = True
        if changed:
            continue
        def leaks(without: set) -> list:
            return recoverable_small_groups(atoms, [members[m] for m in sizes if m not in without])
        found = leaks(hidden)
        if found:
            shown = sorted((sizes[m], m) for m in sizes if m not in hidden and m != whole)
            fixing = [m for _, m in shown if found[0] not in leaks(hidden | {m})]
            if shown:
                hidden.add(fixing[0] if fixing else shown[0][1])
                changed = True
    return (frozenset(m[1] for m in hidden if m[0] == "row"), frozenset(m[1] for m in hidden if m[0] == "col"),
            frozenset(m[1:] for m in hidden if m[0] == "cell"))


def hidden_cells(cells: dict[tuple[str, str], int], row_totals: dict[str, int], column_totals: dict[str, int],
                 hidden_rows=(), hidden_columns=()) -> frozenset[tuple[str, str]]:
    """The cells of a crossed split that pages hide (``solve_crossed``)."""
    return solve_crossed(cells, row_totals, column_totals, hidden_rows, hidden_columns)[2]


CROSSED = (("stratum", STRATA), ("dose_group", DOSE_GROUPS))  # the columns each arm is split by in pages


def _crossed_table(frame, column: str, levels) -> tuple[dict, dict]:
    """(cells, pooled level sizes) of a frame's arm x ``column`` split."""
    arm = frame["arm"].astype(str)
    present = column in frame
    cells = {(a, g): int(((arm == a) & (frame[column] == g)).sum()) if present else 0
             for a in sorted(set(arm.unique())) for g in levels}  # each arm once, not a text per patient
    return cells, {g: int((frame[column] == g).sum()) if present else 0 for g in levels}


def solve_arms_counts(arm_sizes: dict[str, int], tables: dict) -> dict:
    """``solve_arms`` from counts: ``arm_sizes`` {arm: n}; ``tables`` {column: (cells {(arm,
    level): n}, pooled level sizes {level: n}, pooled levels hidden by the one-way rule)}."""
    total = sum(arm_sizes.values())
    rows_hidden = set(hidden_parts(total, arm_sizes))
    while True:
        out, grew = {}, False
        for column, (cells, levels, base) in tables.items():
            rows, cols, hidden = solve_crossed(cells, arm_sizes, levels, rows_hidden, base)
            grew |= not rows <= rows_hidden
            rows_hidden |= rows
            out[column] = (cols, hidden)
        if not grew:
            return {"arms": frozenset(rows_hidden), **out}


NO_ARMS = {"arms": frozenset(), "stratum": (frozenset(), frozenset()), "dose_group": (frozenset(), frozenset())}


def solve_arms(frame) -> dict:
    """Everything a controlled study's pages hide across arms: {'arms': arms, 'stratum':
    (pooled strata, (arm, stratum) cells), 'dose_group': (pooled dose groups, (arm, dose group)
    cells)}, the two crossed splits solved together (an arm hidden for one is hidden for both),
    and every split checked against every other (``solve_splits``); nothing hidden without an
    ``arm`` column apart from what the other splits hide."""
    solved = solve_splits(frame)
    return {"arms": solved["arms"], "stratum": (solved["stratum"], solved["cells"]["stratum"]),
            "dose_group": (solved["dose_group"], solved["cells"]["dose_group"])}


def _solve_arms_only(frame) -> dict:
    """The crossed splits arm x stratum and arm x dose group alone (``solve_arms_counts``)."""
    if "arm" not in frame:
        return NO_ARMS
    arm_sizes = {str(k): int(v) for k, v in frame["arm"].astype(str).value_counts().items()}
    return solve_arms_counts(arm_sizes, {column: (*_crossed_table(frame, column, levels), _one_way(frame, column, levels))
                                         for column, levels in CROSSED})


SPLITS = ("stratum", "dose_group", "msc_source", "arm")  # the splits pages show summaries of


def _signatures(frame) -> tuple:
    """The patients of ``frame`` by their place in every split (a tuple per distinct place, with
    its count), hashable: the atoms of ``solve_splits``."""
    columns = [c for c in SPLITS if c in frame]
    if not columns or not len(frame):
        return (tuple(columns), ((), len(frame)),)
    values = [[("None" if v is None or v != v else str(v)) for v in frame[c].astype(object).tolist()] for c in columns]
    counts: dict = {}
    for key in zip(*values):  # a missing value (no dose, no source) is its own place: "None"
        counts[key] = counts.get(key, 0) + 1
    return (tuple(columns), *sorted(counts.items()))


def solve_splits(frame) -> dict:
    """What pages hide when every split is shown together: {'stratum', 'dose_group',
    'msc_source', 'arms': hidden levels; 'cells': {'stratum' | 'dose_group': hidden (arm, level)
    cells}}.

    Each split alone follows ``hidden_parts`` (and, with arms, ``solve_arms_counts``); then the
    patients are cut into atoms by their place in every split at once (stratum x dose group x
    source x arm), and while some set of 1 or 2 patients is the sum or difference of shown groups
    (``recoverable_small_groups``: the severe stratum minus the high-dose group when every
    high-dose patient is severe), the smallest shown group whose hiding ends that is hidden too
    (the whole cohort never)."""
    return _solve_signatures(_signatures(frame), frame)


_SOLVED: dict = {}


def _solve_signatures(key: tuple, frame) -> dict:
    cache_key = (key, mode())
    if cache_key in _SOLVED:
        return _SOLVED[cache_key]
    columns, atoms_list = key[0], key[1:]
    arms = _solve_arms_only(frame)
    hidden = {("stratum", g) for g in _one_way(frame, "stratum", STRATA) | arms["stratum"][0]}
    hidden |= {("dose_group", g) for g in _one_way(frame, "dose_group", DOSE_GROUPS) | arms["dose_group"][0]}
    if "msc_source" in frame:
        hidden |= {("msc_source", g) for g in hidden_by_column(frame, "msc_source", alone=True)}
    hidden |= {("arm", a) for a in arms["arms"]}
    for column in ("stratum", "dose_group"):
        hidden |= {("cell", column, *c) for c in arms[column][1]}
    atoms = {sig: n for sig, n in atoms_list}
    idx = {c: i for i, c in enumerate(columns)}
    groups: dict[tuple, set] = {("all",): set(atoms)}
    for c in columns:
        for sig in atoms:
            if sig[idx[c]] != "None":
                groups.setdefault((c, sig[idx[c]]), set()).add(sig)
    if "arm" in idx:
        for c in ("stratum", "dose_group"):
            if c in idx:
                for sig in atoms:
                    if sig[idx[c]] != "None":
                        groups.setdefault(("cell", c, sig[idx["arm"]], sig[idx[c]]), set()).add(sig)
    size = {g: sum(atoms[a] for a in m) for g, m in groups.items()}
    hidden |= {g for g in groups if too_few(size[g])}
    if too_few(size[("all",)]):
        hidden |= set(groups)

    def leaks(without: set) -> list:
        return recoverable_small_groups(atoms, [groups[g] for g in groups if g not in without])

    for _ in range(len(groups)):
        found = leaks(hidden)
        if not found:
            break
        shown = sorted((size[g], g) for g in groups if g not in hidden and g != ("all",))
        if not shown:
            break
        fixing = [g for _, g in shown if found[0] not in leaks(hidden | {g})]
        hidden.add(fixing[0] if fixing else shown[0][1])
    out = {c: frozenset(g[1] for g in hidden if g[0] == c) for c in ("stratum", "dose_group", "msc_source")}
    out["arms"] = frozenset(g[1] for g in hidden if g[0] == "arm")
    out["cells"] = {c: frozenset(g[2:] for g in hidden if g[0] == "cell" and g[1] == c) for c in ("stratum", "dose_group")}
    out["rows"] = frozenset(g for g in hidden if g != ("all",))
    _SOLVED[cache_key] = out
    return out


def hidden_rows(frame) -> np.ndarray:
    """Per row of ``frame``, True when the patient is in a group pages hide (any split or crossed
    cell of ``solve_splits``): figures draw no point or trajectory of such a patient."""
    solved = solve_splits(frame)
    mask = np.zeros(len(frame), dtype=bool)
    for g in solved["rows"]:
        if g[0] == "cell":
            _, column, arm, level = g
            if column in frame and "arm" in frame:
                mask |= (frame["arm"].astype(str) == arm).to_numpy() & (frame[column].astype(str) == level).to_numpy()
        elif g[0] in frame:
            mask |= (frame[g[0]].astype(str) == g[1]).to_numpy() & frame[g[0]].notna().to_numpy()
    return mask


def drawable_rows(frame) -> np.ndarray:
    """Per row of ``frame``, True when a figure may draw the patient as a point or a line: not in
    a hidden group (``hidden_rows``), and only if the patients left out number 0 or at least 3 in
    the whole cohort and in every shown group of every split (else a shown group's summary minus
    the drawn points would give them back: then nothing is drawn). In strict mode these are the
    patients a figure may count in its bins (``Policy.binned``: no patient's own point or line)."""
    if too_few(len(frame)):
        return np.zeros(len(frame), dtype=bool)
    left_out = hidden_rows(frame)
    if not left_out.any():
        return ~left_out
    if too_few(int(left_out.sum())) or too_few(int((~left_out).sum())):
        return np.zeros(len(frame), dtype=bool)
    for column in SPLITS:
        if column in frame:
            for level, out in pd_groupby_sum(frame[column].astype(str).where(frame[column].notna()), left_out).items():
                if too_few(out):
                    return np.zeros(len(frame), dtype=bool)
    return ~left_out


def pd_groupby_sum(keys, flags: np.ndarray) -> dict:
    """{key: number of True flags} over the rows with a key (missing keys skipped)."""
    out: dict = {}
    for k, f in zip(keys, flags):
        if k is not None and k == k:
            out[k] = out.get(k, 0) + int(f)
    return out


def _one_way(frame, column: str, levels) -> frozenset[str]:
    if column not in frame:
        return frozenset()
    counts = frame[column].value_counts()
    return hidden_parts(len(frame), {g: int(counts.get(g, 0)) for g in levels})


def hidden_arms(frame) -> frozenset[str]:
    """Arms of an analysed cohort frame whose summaries pages hide: the arms partition the
    pooled cohort (``hidden_parts``), and the crossed splits may hide more (``solve_arms``)."""
    return solve_arms(frame)["arms"]


def hidden_arm_cells(frame, column: str, levels=None, hidden_levels=()) -> frozenset[tuple[str, str]]:
    """(arm, level) cells of the split of each arm by ``column`` (``stratum`` or ``dose_group``)
    that pages hide (``solve_arms``); ``levels`` and ``hidden_levels`` are kept for callers and
    implied by the column."""
    if "arm" not in frame or column not in frame:
        return frozenset()
    return solve_arms(frame)[column][1]
