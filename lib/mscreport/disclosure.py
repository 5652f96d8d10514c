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

``results.json`` keeps every number: it is the data owner's file, not a page.
"""

from __future__ import annotations

MIN_VALUES = 3
SUPPRESSED = f"suppressed (n < {MIN_VALUES})"

# the groups a page shows, as named in a cohort frame's ``stratum`` and ``dose_group`` columns
STRATA = ("moderate", "severe")
DOSE_GROUPS = ("high", "low")


def too_few(n) -> bool:
    """True when a number computed from ``n`` non-missing values must not be shown
    (1 or 2 values; 0 values give no number at all)."""
    return n is not None and 0 < n < MIN_VALUES


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
    against the whole cohort)."""
    counts = frame["stratum"].value_counts()
    return hidden_parts(len(frame), {s: int(counts.get(s, 0)) for s in STRATA})


def hidden_dose_groups(frame) -> frozenset[str]:
    """Dose groups ('high', 'low') whose summaries are hidden; patients without a dose are the
    hidden remainder of the analysed cohort."""
    if "dose_group" not in frame:
        return frozenset()
    counts = frame["dose_group"].value_counts()
    return hidden_parts(len(frame), {g: int(counts.get(g, 0)) for g in DOSE_GROUPS})


def hidden_by_column(frame, column: str) -> frozenset[str]:
    """Levels of a grouping column (e.g. msc_source) whose summaries are hidden; rows with the
    column missing are the hidden remainder."""
    counts = frame[column].dropna().astype(str).value_counts()
    return hidden_parts(len(frame), {str(k): int(v) for k, v in counts.items()})


def hidden_groups(frame) -> frozenset[str]:
    """Every group of an analysed cohort frame whose summaries pages hide: 'overall' (a cohort
    of 1 or 2), strata and dose groups (with secondary suppression)."""
    return (hidden_strata(frame) | hidden_dose_groups(frame)
            | (frozenset({"overall"}) if too_few(len(frame)) else frozenset()))


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
    return frozenset(hidden)


# ---------------------------------------------------------------- crossed splits (arm x stratum, arm x dose group)
def hidden_cells(cells: dict[tuple[str, str], int], row_totals: dict[str, int], column_totals: dict[str, int],
                 hidden_rows=(), hidden_columns=()) -> frozenset[tuple[str, str]]:
    """The cells of a crossed split (e.g. arm x stratum) whose summaries a page must hide, when
    the row totals (each arm) and the column totals (each pooled stratum) are shown too.

    Every row and every column is a partition of its total, so ``hidden_parts``' rule applies
    to each line: a cell of 1 or 2 values is hidden, and while a line's hidden cells and its
    remainder (the line's patients in no cell, e.g. without a dose) hold 1 or 2 values, its
    smallest shown cell is hidden too. A hidden row or column (``hidden_rows``,
    ``hidden_columns``: hidden in its own partition) hides all its cells. And a line may not
    hold a single hidden cell without a remainder: that cell would be its total minus the shown
    cells, and, hidden for another line, it could give a small cell back there (the standard
    cell-suppression rule: at least two suppressed cells in every line that has one). Repeated
    until no line changes, since a cell hidden for its row can expose its column."""
    hidden = {c for c, n in cells.items() if too_few(n) or c[0] in hidden_rows or c[1] in hidden_columns}
    lines = ([(total, [c for c in cells if c[0] == r]) for r, total in row_totals.items()]
             + [(total, [c for c in cells if c[1] == k]) for k, total in column_totals.items()])
    changed = True
    while changed:
        changed = False
        for total, line in lines:
            if too_few(total):
                new = set(line) - hidden
                hidden |= new
                changed |= bool(new)
                continue
            remainder = max(0, int(total) - sum(int(cells[c]) for c in line))

            def exposed() -> bool:  # the hidden values together, or a lone hidden cell, recoverable
                in_line = [c for c in line if c in hidden]
                return (too_few(remainder + sum(int(cells[c]) for c in in_line))
                        or (len(in_line) == 1 and not remainder and cells[in_line[0]] > 0))
            while exposed():
                shown = sorted((int(cells[c]), c) for c in line if c not in hidden and cells[c] > 0)
                if not shown:
                    break
                hidden.add(shown[0][1])
                changed = True
    return frozenset(hidden)


def hidden_arms(frame) -> frozenset[str]:
    """Arms of an analysed cohort frame whose summaries pages hide: the arms partition the
    pooled cohort, whose summaries are shown (secondary suppression as in ``hidden_parts``)."""
    if "arm" not in frame:
        return frozenset()
    counts = frame["arm"].astype(str).value_counts()
    return hidden_parts(len(frame), {str(k): int(v) for k, v in counts.items()})


def hidden_arm_cells(frame, column: str, levels, hidden_levels=()) -> frozenset[tuple[str, str]]:
    """(arm, level) cells of the split of each arm by ``column`` (``stratum`` or ``dose_group``)
    that pages hide, with each arm's total and each pooled level's total shown; patients with
    no level (no dose) are each arm's hidden remainder. ``hidden_levels``: pooled levels the
    pages hide anyway (``hidden_strata``, ``hidden_dose_groups``)."""
    if "arm" not in frame or column not in frame:
        return frozenset()
    arm = frame["arm"].astype(str)
    arms = sorted(set(arm))
    cells = {(a, g): int(((arm == a) & (frame[column] == g)).sum()) for a in arms for g in levels}
    rows = {a: int((arm == a).sum()) for a in arms}
    columns = {g: int((frame[column] == g).sum()) for g in levels}
    return hidden_cells(cells, rows, columns, hidden_arms(frame), hidden_levels)
