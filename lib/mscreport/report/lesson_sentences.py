"""Sentences of the teaching pages whose numbers are computed, never typed: the chance of a
false positive among several tests, what a per-visit test gives by chance, what the mixed
model's slope answers (the size of a trial analysed by ANCOVA: ``trust.say_ancova_size``).

Each function returns Markdown. Probabilities are computed for the given number of tests and
alpha; HbA1c in NGSP % points.
"""

from __future__ import annotations


from mscreport.display import fmt


def chance_of_any(k: int, alpha: float) -> float:
    """P(at least one p < alpha) among ``k`` independent tests whose null hypotheses are all
    true: 1 - (1 - alpha)^k (e.g. 6 tests at 0.05: 0.265)."""
    return 1 - (1 - alpha) ** k


def false_positive_sentence(k: int, alpha: float) -> str:
    """Chapter 5's multiplicity lesson: a test's alpha is its false-positive rate *when its null
    hypothesis is true*; ``k`` independent true-null tests give at least one with 1 - (1 - alpha)^k."""
    return (f"A test at α = {alpha:g} comes out \"significant\" with probability {fmt.fmt_num(100 * alpha, 0)} % "
            f"**when its null hypothesis is true** (no real difference); when the null is false, that chance is the "
            f"test's power instead. If all {k} null hypotheses of a family of {k} independent tests are true, the "
            f"chance of at least one false positive is 1 − {1 - alpha:g}^{k} = "
            f"{fmt.fmt_num(100 * chance_of_any(k, alpha), 0)} %, which is what Holm's method brings back to α.")


def visits_by_chance_sentence(k: int, alpha: float) -> str:
    """Chapter 7: ``k`` per-visit tests when no visit truly differs from baseline: k x alpha
    expected "significant" visits, and P(at least one) at most 1 - (1 - alpha)^k for these
    positively correlated tests (Sidak's inequality), k x alpha by Bonferroni's."""
    return (f"If no visit truly differs from baseline, {k} tests at α = {alpha:g} give on average {k} × {alpha:g} = "
            f"{fmt.fmt_num(k * alpha, 2)} \"significant\" visits by chance alone, and at least one with probability "
            f"1 − {1 - alpha:g}^{k} = {fmt.fmt_num(100 * chance_of_any(k, alpha), 0)} % if the tests were independent. "
            "They are not (the same patients at every visit, the same baseline in every test): positively correlated "
            f"tests give at least one chance finding *at most* that often (Šidák's inequality), never more than "
            f"{k} × {alpha:g} by Bonferroni's.")


def _slope(fit) -> str:
    s = fit.slope_per_year
    return f"{fmt.fmt_num(s['estimate'])} % points per year, CI {fmt.fmt_ci(s['ci_low'], s['ci_high'])}, {fmt.fmt_p(s['p'])}"


def slope_question_sentence(with_baseline, post_baseline) -> str:
    """Chapter 7: the mixed model's slope with the baseline in the fit (mixing the early drop
    with the later drift) beside the slope on the measurements after time 0 only (the drift
    once the drop is over: the answer to "does the fall last?")."""
    if with_baseline is None or post_baseline is None:
        return ("Without repeated measurements after time 0 neither slope can be fitted: a file with one row per "
                "patient cannot say whether the fall lasts.")
    return (f"With the baseline in the fit the slope is {_slope(with_baseline)}: one straight line from the baseline "
            "through every later measurement, so it mixes the early drop with the drift that follows. On the "
            f"measurements after time 0 only, the slope is {_slope(post_baseline)}: the average drift once the early "
            "drop is over, which is what \"does the fall last?\" asks.")
