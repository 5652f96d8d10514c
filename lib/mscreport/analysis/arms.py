"""Controlled studies on the pages: the per-arm sections of every chapter (flow, strata, paired
results with their figure, dose and trust within each arm), the between-arm table and the
key findings. Each ``show_*`` function is a chapter's one-line cell: it displays the per-arm
section, or the "no arm column" note when the file has no arms. The analyses are in
``arm_compare`` (each arm vs the reference), ``arm_dose`` and ``arm_trust``; the arm rules in
``core.groups``.
"""

from __future__ import annotations

import pandas as pd

from mscreport.analysis.arm_compare import ONE_ARM_NOTE, ArmsResult, analyse_arms, arm_flow, arms_block
from mscreport.analysis.arm_trial import say_severity_interaction
from mscreport.analysis.arm_dose import hidden_dose_cells, say_arm_dose, say_arm_dose_tests, arm_dose_rows
from mscreport.analysis.flow_by_arm import flow_with_reasons, uneven_exclusion_sentence
from mscreport.analysis.arm_trust import (format_durability_by_arm, format_normality_by_arm,
                                          format_rtm_by_arm, format_safety_by_arm, say_rtm_by_arm)
from mscreport.core.disclosure import drawable_rows, hidden_arm_cells, hidden_arms, hidden_strata, suppressed
from mscreport.core.groups import POOLED, STRATA, list_arms, ordered_arms
from mscreport.core.groups import pooled_label  # noqa: F401 (the chapters label pooled rows with arms.pooled_label)
from mscreport.display import fmt
from mscreport.display.arm_tables import comparisons_frame, hidden_arms_of
from mscreport.display.figures import _DEEP, _mmol_axis, draw_pairs
from mscreport.display.fmt import md_name, too_small
from mscreport.display.tables import paired_table

NO_ARM_NOTE = ("**No `arm` column.** This cohort is a single-arm study: there is no control group, so "
               "no between-arm comparison is made (a file with an `arm` column gets one here).")


def say_pooled(ch) -> None:
    """With two or more arms, say that the chapter's pooled results are labelled 'all arms
    pooled'; without, nothing (a single-arm chapter reads as before)."""
    arms = list_arms(ch.cohort.frame)
    if len(arms) >= 2:
        ch.say(f"**Controlled study: results labelled \u201c{POOLED}\u201d mix the arms** "
               f"({', '.join(md_name(a) for a in arms)}). A pooled before/after change is not a treatment effect: "
               "the between-arm comparison is in the change chapter and leads the key findings.")


def show_flow(ch) -> None:
    """Chapter 1: the participant flow per arm, or the 'no arm column' note."""
    if not ch.cohort.has("arm"):
        ch.say(NO_ARM_NOTE)
        return
    flow = arm_flow(ch.cohort)
    ch.table(flow_with_reasons(flow, ch.cohort),
             "Participant flow per arm (rows read = excluded + analysed in each arm; excluded by reason)")
    ch.say(f"Each of the {fmt.fmt_int(ch.cohort.rows_read)} rows read is counted in exactly one row of the table "
           f"(the rows add up to {fmt.fmt_int(int(flow['rows read'].sum()))}).")
    uneven = uneven_exclusion_sentence(flow)
    if uneven:
        ch.say(uneven)


def _note_if_uncontrolled(ch, result: ArmsResult | None) -> bool:
    """Say the 'no arm column' or 'one arm' note; True when there is nothing to compare."""
    if result is None:
        ch.say(NO_ARM_NOTE)
        return True
    if result.reference is None:
        ch.say(ONE_ARM_NOTE.format(arm=md_name(result.arms[0])) if result.arms else "The `arm` column is empty.")
        return True
    return False


def show_strata(ch) -> None:
    """Chapter 2: paired results per arm and severity stratum, and the arm-by-severity
    interaction; or the 'no arm column' note."""

    result = analyse_arms(ch.cohort)
    if result is None:
        ch.say(NO_ARM_NOTE)
        return
    f = ch.cohort.frame
    hidden = hidden_arm_cells(f, "stratum", STRATA, hidden_strata(f))
    ch.table(paired_table({f"{a}: {s}": r for a, g in result.groups.items() for s, r in g["strata"].items()},
                          {f"{a}: {s}" for a, s in hidden}),
             f"Paired analysis per arm and severity stratum (CI at {1 - ch.params['alpha']:.0%})")
    if _note_if_uncontrolled(ch, result):
        return
    ch.say(say_severity_interaction(arms_block(ch.cohort)))


def show_paired(ch) -> None:
    """Chapter 3: record the ``arms`` block; show the paired analysis per arm and the
    between-arm comparison with a sentence per arm; or the 'no arm column' note."""
    result = analyse_arms(ch.cohort)
    ch.record("arms", arms_block(ch.cohort))
    if result is None:
        ch.say(NO_ARM_NOTE)
        return
    alpha = ch.params["alpha"]
    hidden = hidden_arms_of(result.interface())
    ch.table(paired_table({a: g["overall"] for a, g in result.groups.items()}, hidden),
             f"Paired analysis within each arm (change = follow-up \u2212 baseline; CI at {1 - alpha:.0%})")
    if _note_if_uncontrolled(ch, result):
        return
    block = result.interface()
    ch.table(comparisons_frame(block, alpha), f"Between-arm effect, each arm vs {result.reference!r}")
    for c in result.comparisons:
        if fmt.too_small(c.n_arm) or fmt.too_small(c.n_reference) or {c.arm, c.reference} & hidden:
            ch.say(f"**{md_name(c.arm)}** vs **{md_name(c.reference)}**: an arm has fewer than 3 patients (or its "
                   "summaries would give such an arm back); summaries suppressed.")
            continue
        a, w = c.ancova, c.welch
        ch.say(f"At equal baseline HbA1c, follow-up HbA1c in **{md_name(c.arm)}** (n = {fmt.fmt_int(c.n_arm)}) differed from "
               f"**{md_name(c.reference)}** (n = {fmt.fmt_int(c.n_reference)}) by **{fmt.fmt_change(a.estimate)}**, "
               f"{1 - alpha:.0%} CI {fmt.fmt_ci(a.ci_low, a.ci_high)} % points, {fmt.fmt_p(a.p)} (ANCOVA). "
               f"The difference in mean change was {fmt.fmt_change(w.diff)}, CI {fmt.fmt_ci(w.ci_low, w.ci_high)}, "
               f"{fmt.fmt_p(w.p)} (Welch); Mann-Whitney {fmt.fmt_p(c.mann_whitney.p)}.")


def paired_by_arm_figure(frame: pd.DataFrame, arms: list[str], aggregate_above: int, hidden=()):
    """Baseline and follow-up HbA1c, one panel per arm (lines per patient, or quantile bands); an
    arm in ``hidden`` (``disclosure.hidden_arms``) or under 3 patients gets no panel content."""
    import matplotlib.pyplot as plt


    fig, axes = plt.subplots(1, len(arms), figsize=(max(4.0 * len(arms), 6.0), 4), sharey=True, squeeze=False)
    drawable = drawable_rows(frame)
    for i, (ax, a) in enumerate(zip(axes[0], arms)):
        s = frame[frame["arm"] == a]
        drawn = s[drawable[(frame["arm"] == a).to_numpy()]]  # no line of a hidden group's patient
        if too_small(len(s)) or a in hidden or not len(drawn):
            ax.text(0.5, 0.5, suppressed(len(s)), ha="center", va="center", transform=ax.transAxes)
        else:
            draw_pairs(ax, drawn, _DEEP[i % len(_DEEP)], aggregate_above)
        ax.set_xticks([0, 1], ["baseline", "follow-up"])
        ax.set_xlim(-0.2, 1.2)
        ax.set_title(f"{a} (n = {fmt.fmt_int(len(s))})")  # drawn as written: figures.TEXT_STYLE parses no math text
    axes[0][0].set_ylabel("HbA1c (%)")
    _mmol_axis(axes[0][-1], "y")
    fig.tight_layout()
    return fig


def show_paired_figure(ch) -> None:
    """Chapter 3: the before/after figure per arm; nothing without arms (the per-arm table
    above it has already said so)."""
    arms = ordered_arms(ch.cohort)[1]
    if not arms:
        return

    ch.figure(paired_by_arm_figure(ch.cohort.frame, arms, ch.params["aggregate_above"], hidden_arms(ch.cohort.frame)),
              "HbA1c at baseline and at last follow-up in each arm; thin lines are patients (or, for large arms, "
              "10-90 % and 25-75 % bands), the thick line the mean (median). Both arms usually fall: the "
              "treatment effect is the difference between the arms, not the fall within one.",
              "One panel per arm of before-after lines of HbA1c.")


def show_dose(ch) -> None:
    """Chapter 4: dose within each arm (the arm x dose-group table, and per arm its tests, or
    why there are none); the 'no arm column' note without arms."""
    cohort = ch.cohort
    if not cohort.has("arm"):
        ch.say(NO_ARM_NOTE)
        return
    if len(ordered_arms(cohort)[1]) < 2:
        ch.say("**One arm only:** the dose analyses above are those of that arm.")
        return
    if not cohort.has("dose_cells"):
        ch.say("**Dose within each arm:** the cohort file has no `dose_cells` column, so there is nothing to "
               "analyse per arm.")
        return
    by_arm = analyse_arms(cohort).dose
    cutoff, alpha = float(ch.params["dose_cutoff"]), ch.params["alpha"]
    hidden = hidden_dose_cells(cohort)
    ch.say("\n\n".join(f"* {say_arm_dose(a, b, cutoff)}" for a, b in by_arm.items()))
    rows, hide = arm_dose_rows(by_arm, cutoff, hidden)
    ch.table(paired_table(rows, hide) if rows else None,
             f"Paired analysis within each dose group of each arm (CI at {1 - alpha:.0%})")
    tests = [say_arm_dose_tests(a, b, hidden, alpha) for a, b in by_arm.items()]
    if any(tests):
        ch.say("\n\n".join(t for t in tests if t))


def _controlled(ch) -> dict | None:
    """The per-arm trust blocks when the cohort has two or more arms; else say why not (the 'no
    arm column' or 'one arm' note) and return None."""
    if not ch.cohort.has("arm"):
        ch.say(NO_ARM_NOTE)
        return None
    if len(ordered_arms(ch.cohort)[1]) < 2:
        ch.say("**One arm only:** the analyses above are those of that arm; there is no comparator arm.")
        return None
    return analyse_arms(ch.cohort).trust


def show_trust(ch) -> None:
    """Chapter 5: per arm, regression to the mean (and why ANCOVA is the answer), normality,
    safety and durability; the 'no arm column' note without arms."""
    by_arm = _controlled(ch)
    if by_arm is None:
        return
    cohort, alpha = ch.cohort, ch.params["alpha"]
    block = analyse_arms(cohort).interface()
    hidden = hidden_arms(cohort.frame)
    ch.table(format_rtm_by_arm(cohort, by_arm, block["groups"]),
             "Per arm: baseline-follow-up correlation, Oldham's r and the mean change in each severity stratum (% points)")
    ch.say(say_rtm_by_arm(block))
    ch.table(format_normality_by_arm(by_arm, hidden), "Normality of the change within each arm (Shapiro-Wilk)")
    ch.table(format_safety_by_arm(by_arm, hidden, alpha), "Serious adverse events per arm")
    ch.say("Harms are compared between arms only as counts here: with few events, an upper bound does not exclude "
           "rare harms." if any(b["safety"] for b in by_arm.values()) else
           "**Safety per arm:** the cohort file has no `serious_adverse_event` column.")
    ch.table(format_durability_by_arm(by_arm, hidden, alpha), "Durability within each arm: change on years of follow-up")
    ch.say("Within the comparator arm the slope is the natural drift of HbA1c over the years, which a single-arm "
           "study cannot separate from a fading effect. A fading treatment effect would show as a steeper rise in "
           "the active arm than in the comparator (compare the intervals; the difference between the slopes is not "
           "tested here)." if any(b["durability"] for b in by_arm.values()) else
           "**Durability per arm:** the cohort file has no follow-up time.")
