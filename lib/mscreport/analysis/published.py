"""Published vs reproduced: each figure a published-figures file prints, compared at its own rounding.

The paper's figures and the reconstruction's assumptions live in ``data/published_results.yaml``.
Parameter ``published_path`` chooses the file a build compares with: empty, the paper's for a
reconstruction (a synthetic cohort) and none for any other cohort; ``none``, no comparison;
otherwise a YAML file laid out as the paper's (``data/README.md``, "Published-figures files").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from mscreport.core.paths import PUBLISHED_RESULTS, resolve_data_path
from mscreport.core.disclosure import current_policy, hidden_groups, suppressed
from mscreport.core.errors import InputError, Problem
from mscreport.core.hashing import file_sha256
from mscreport.display.fmt import fmt_ci, fmt_int, fmt_num, fmt_value
from mscreport.inputs.yamlfile import check_shape


# the quantities a figure's ``of`` may name (``reproduced_values``)
REPRODUCIBLE = ("n", "baseline_min", "overall.baseline_mean", "overall.followup_mean", "overall.p",
                "moderate.reduction", "moderate.p", "severe.reduction", "severe.p", "dose_min", "dose_max", "sources",
                "followup_median", "followup_min", "followup_max", "high_dose_larger", "dose.welch_p", "dose.pearson_p",
                "sae_count")
FIGURE_FIELDS = ("id", "quantity", "printed", "value", "status", "check", "of")
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's safe loader: 10x faster, same data
NO_COMPARISON = "none"  # published_path value: compare with nothing
_CHECK = re.compile(r"(round|sig)\(\d+\)|below|at_least|not_below|true|equal")


def load_published(path=PUBLISHED_RESULTS) -> dict:
    """The published figures and assumptions of a YAML file laid out as
    ``data/published_results.yaml``; InputError (``FILE:-:figures[i].FIELD: message``) for
    anything else, before a chapter runs."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        if Path(path) != PUBLISHED_RESULTS:  # a user's file: depth and integer limits (no traceback)
            check_shape(text, "published-figures file")
        loaded = yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError([Problem(str(path), None, None, f"cannot read the published-figures file: {exc}")]) from None
    if not isinstance(loaded, dict) or not isinstance(loaded.get("figures"), list):
        raise InputError([Problem(str(path), None, None, "not a published-figures file: expected a 'figures' list "
                                                          "laid out as in data/published_results.yaml")])
    problems = []
    for i, fig in enumerate(loaded["figures"]):
        where = f"figures[{i}]"
        if not isinstance(fig, dict):
            problems.append(Problem(str(path), None, where, "expected a mapping with " + ", ".join(FIGURE_FIELDS)))
            continue
        missing = [k for k in FIGURE_FIELDS if k not in fig]
        if missing:
            problems.append(Problem(str(path), None, where, "missing " + ", ".join(missing)))
        elif fig["of"] not in REPRODUCIBLE:
            problems.append(Problem(str(path), None, f"{where}.of", f"unknown quantity {fig['of']!r}; known: "
                                    + ", ".join(REPRODUCIBLE)))
        elif not _CHECK.fullmatch(str(fig["check"])):
            problems.append(Problem(str(path), None, f"{where}.check", f"unknown check {fig['check']!r}; known: "
                                    "round(d), sig(k), below, at_least, not_below, true, equal"))
    if problems:
        raise InputError(problems)
    loaded.setdefault("assumed", [])
    loaded["file"] = Path(path).name
    loaded["paper"] = Path(path).resolve() == Path(PUBLISHED_RESULTS).resolve()
    return loaded


def published_file(published_path: str, reconstruction: bool) -> Path | None:
    """The published-figures file a build compares with (None: none): ``published_path`` as
    given, ``none`` for none, empty for the paper's figures when the cohort is a
    reconstruction of the paper (``synthetic.is_reconstruction``) and none otherwise."""
    value = (published_path or "").strip()
    if value.lower() == NO_COMPARISON:
        return None
    if not value:
        return Path(PUBLISHED_RESULTS) if reconstruction else None
    return resolve_data_path(value)


def check_published_path(params: dict) -> None:
    """Load a user's published-figures file (parameter ``published_path``) once, so that a bad
    one is reported as bad input before any chapter runs (InputError)."""
    value = params.get("published_path", "")
    if value not in ("", NO_COMPARISON):
        load_published(value)


def published_fingerprint(params: dict) -> str | None:
    """SHA-256 of a user's published-figures file (None for empty or none: the paper's file
    is part of the library's fingerprint), for the chapters' cache key."""
    value = params.get("published_path", "")
    return None if value in ("", NO_COMPARISON) else file_sha256(value)


def published_for(cohort) -> dict | None:
    """The published figures this cohort is compared with (parameter ``published_path``), or None."""
    path = published_file(cohort.params.get("published_path", ""), is_reconstruction(cohort))
    return None if path is None else load_published(path)


def round_sig(x: float, digits: int) -> float:
    """x rounded to ``digits`` significant digits."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


@dataclass(frozen=True)
class Comparison:
    quantity: str
    published: object
    reproduced: object
    agrees: bool | None
    printed: str
    check: str
    status: str
    of: str = ""


def reproduced_values(cohort, overall, strata, dose) -> dict:
    """The quantities the YAML's ``of`` fields name, computed from the analysis results."""
    f = cohort.frame
    def col(name):
        return f[name] if name in f else None
    v = {
        "n": cohort.rows_analysed,
        "baseline_min": float(f["hba1c_baseline"].min()) if len(f) else None,
        "overall.baseline_mean": overall.baseline_mean,
        "overall.followup_mean": overall.followup_mean,
        "overall.p": overall.p,
        "moderate.reduction": None if strata["moderate"].mean_change is None else -strata["moderate"].mean_change,
        "moderate.p": strata["moderate"].p,
        "severe.reduction": None if strata["severe"].mean_change is None else -strata["severe"].mean_change,
        "severe.p": strata["severe"].p,
    }
    d = col("dose_cells")
    v["dose_min"] = None if d is None or d.isna().all() else float(d.min())
    v["dose_max"] = None if d is None or d.isna().all() else float(d.max())
    s = col("msc_source")
    v["sources"] = None if s is None else ", ".join(sorted(s.dropna().unique()))
    m = col("followup_months")
    v["followup_median"] = None if m is None or m.isna().all() else float(m.median())
    v["followup_min"] = None if m is None or m.isna().all() else float(m.min())
    v["followup_max"] = None if m is None or m.isna().all() else float(m.max())
    hi = dose.high.mean_change if dose.high is not None else None
    lo = dose.low.mean_change if dose.low is not None else None
    v["high_dose_larger"] = None if hi is None or lo is None else bool(hi < lo)
    v["dose.welch_p"] = dose.welch.p if dose.welch is not None else None
    v["dose.pearson_p"] = dose.pearson.p if dose.pearson is not None else None
    sae = col("serious_adverse_event")
    v["sae_count"] = None if sae is None else int((sae == True).sum())  # noqa: E712 (object column)
    return v


def _agrees(check: str, published, reproduced) -> tuple[object, bool | None]:
    """(reproduced value at the published rounding, agreement)."""
    if reproduced is None:
        return None, None
    m = re.fullmatch(r"(round|sig)\((\d+)\)", check)
    if m:
        digits = int(m.group(2))
        shown = round(reproduced, digits) if m.group(1) == "round" else round_sig(reproduced, digits)
        if m.group(1) == "round" and digits == 0:
            shown = int(shown)
        return shown, bool(math.isclose(shown, published, rel_tol=0, abs_tol=1e-12))
    if check == "below":
        return reproduced, bool(reproduced < published)
    if check == "at_least":
        return reproduced, bool(reproduced >= published)
    if check == "not_below":
        return reproduced, bool(reproduced >= published)
    if check == "true":
        return reproduced, bool(reproduced) is bool(published)
    if check == "equal":
        return reproduced, reproduced == published
    raise ValueError(f"unknown check {check!r} in published_results.yaml")


PAPER = "paper"  # compare_published's default: the paper's figures (data/published_results.yaml)


def compare_published(cohort, overall, strata, dose, published: dict | str | None = PAPER) -> list[Comparison] | None:
    """Each published figure with its reproduced value and whether they agree. ``published``:
    the loaded figures (``load_published``, ``published_for``), the paper's by default; None:
    nothing to compare with, and None is returned. ``overall``, ``strata``, ``dose``: the
    analyses of ``cohort``; when parameter ``published_arm`` names one arm, the figures
    describe that arm alone, so the comparison is of its patients with their own analyses
    (``published_arm.published_cohort``) and the three given are not used."""
    if isinstance(published, str) and published == PAPER:
        published = load_published()
    if published is None:
        return None
    from mscreport.analysis.published_arm import analyses_of, published_cohort  # lazy: the build process imports this module, never the analyses

    scope = published_cohort(cohort)
    if scope is not cohort:
        cohort, (overall, strata, dose) = scope, analyses_of(scope)
    values = reproduced_values(cohort, overall, strata, dose)
    alpha = cohort.params["alpha"]
    out = []
    for fig in published["figures"]:
        target = fig["value"]
        if fig["check"] == "not_below":
            target = alpha
        shown, ok = _agrees(fig["check"], target, values[fig["of"]])
        out.append(Comparison(fig["quantity"], fig["value"], shown, ok, fig["printed"], fig["check"], fig["status"], fig["of"]))
    return out


def format_comparison(comparisons, cohort):
    """The published-vs-reproduced table for display. A reproduced value is suppressed when the
    disclosure rule hides its group (``disclosure.hidden_groups``): a stratum's figures when the
    stratum is hidden, every figure but the count when the cohort has fewer than 3 patients."""
    import pandas as pd


    hidden = hidden_groups(cohort.frame)
    rows = []
    for c in comparisons:
        group = c.of.split(".")[0] if "." in c.of else "overall"
        secret = c.of != "n" and ("overall" in hidden or group in hidden)
        rows.append({"figure": c.quantity, "published": c.printed, "reproduced": suppressed(len(cohort.frame) if group == "overall" else int((cohort.frame["stratum"] == group).sum())
                                                 if "stratum" in cohort.frame else 0) if secret
                     else fmt_int(c.reproduced) if c.of == "n" and current_policy().strict else fmt_value(c.reproduced),
                     "agrees": {True: "yes", False: "NO", None: "not computable"}[c.agrees]})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- what the paper's figures pin down
def _figure(published: dict, fid: str):
    return next(f["value"] for f in published["figures"] if f["id"] == fid)


PAPER_IDS = ("n", "baseline_mean", "followup_mean", "moderate_reduction", "severe_reduction", "severe_p", "moderate_p",
             "overall_p")


def implies_bounds(published: dict | None) -> bool:
    """Whether a published-figures file holds what ``derived_bounds`` needs (the paper's
    overall and stratum figures and the assumed stratum sizes)."""
    if published is None:
        return False
    ids = {f.get("id") for f in published["figures"]}
    return set(PAPER_IDS) <= ids and any(a.get("id") == "stratum_sizes" for a in published.get("assumed") or [])


def half_unit(value) -> float:
    """Half a unit of the last decimal a figure is printed with: 7.49 -> 0.005, 6.7 -> 0.05
    (a printed figure stands for any true value within this of it)."""
    text = str(value)
    return 0.5 * 10 ** -(len(text.split(".")[1]) if "." in text else 0)


def overall_change_bounds(published: dict | None = None) -> tuple[float, float]:
    """The overall mean change (% points, follow-up minus baseline) the printed means allow,
    each anywhere in its own rounding interval (7.49 +- 0.005, 6.7 +- 0.05): (lowest, highest)."""
    published = published if published is not None else load_published()
    base, fu = _figure(published, "baseline_mean"), _figure(published, "followup_mean")
    return (fu - half_unit(fu)) - (base + half_unit(base)), (fu + half_unit(fu)) - (base - half_unit(base))


def severe_splits(published: dict | None = None, severe_sizes=range(2, 31)) -> list[dict]:
    """For each severe-stratum size n_s: the follow-up mean the stratum reductions give
    (7.49 - (n_m x 0.58 + n_s x 1.55) / 61), its range when each printed figure (baseline mean,
    both reductions) may be anywhere in its own rounding interval (``followup_low``,
    ``followup_high``: the expression is monotone in each figure), and whether some value in
    that range prints as the paper's follow-up mean (``prints_as_published``; at the printed
    values exactly: ``prints_at_printed_values``). Arithmetic only (no scipy): the pages' basis
    marks name the sizes that fit (``basis``)."""
    published = published if published is not None else load_published()
    n = _figure(published, "n")
    base, fu = _figure(published, "baseline_mean"), _figure(published, "followup_mean")
    mod_red, sev_red = _figure(published, "moderate_reduction"), _figure(published, "severe_reduction")
    digits = len(str(fu).split(".")[1]) if "." in str(fu) else 0
    hb, hm, hs, hf = half_unit(base), half_unit(mod_red), half_unit(sev_red), half_unit(fu)
    rows = []
    for ns in severe_sizes:
        fu_mean = base - ((n - ns) * mod_red + ns * sev_red) / n
        low = (base - hb) - ((n - ns) * (mod_red + hm) + ns * (sev_red + hs)) / n
        high = (base + hb) - ((n - ns) * (mod_red - hm) + ns * (sev_red - hs)) / n
        rows.append({"n_severe": ns, "n_moderate": n - ns, "followup_mean": fu_mean,
                     "followup_low": low, "followup_high": high,
                     "prints_as_published": bool(high >= fu - hf - 1e-12 and low < fu + hf - 1e-12),
                     "prints_at_printed_values": bool(math.isclose(round(fu_mean, digits), fu, abs_tol=1e-12))})
    return rows


def derived_bounds(published: dict | None = None, alpha: float = 0.05, severe_sizes=range(2, 31)) -> dict:
    """What the printed figures imply, derived in code (scipy's t quantile, not by hand):

    * ``severe_range``: each severe-stratum size n_s for which the stratum reductions can give
      the printed follow-up mean (7.49 - (n_m x 0.58 + n_s x 1.55) / 61 at 1 decimal, each
      printed figure anywhere in its own rounding interval: ``severe_splits``), with the SD
      of change that p = 0.0122 implies at that n (|mean| sqrt(n) / t.isf(p / 2, n - 1)) and
      the mean change's CI;
    * ``moderate_sd_bound``: the largest SD of change with which the moderate stratum's
      p < 2e-7 holds, at the assumed moderate size;
    * ``overall_sd_bound``: the same for the overall p < 0.0001 with n = 61 and the fall 7.49 - 6.7.
    """
    from scipy import stats as st

    from mscreport.methods.stats import t_bound_sd  # lazy: the build process imports this module, never scipy

    published = published if published is not None else load_published()
    n = _figure(published, "n")
    base, fu = _figure(published, "baseline_mean"), _figure(published, "followup_mean")
    mod_red, sev_red = _figure(published, "moderate_reduction"), _figure(published, "severe_reduction")
    sev_p, mod_p, all_p = _figure(published, "severe_p"), _figure(published, "moderate_p"), _figure(published, "overall_p")
    rows = []
    for split in severe_splits(published, severe_sizes):
        ns = split["n_severe"]
        sd = t_bound_sd(sev_red, ns, sev_p)
        half = float(st.t.ppf(1 - alpha / 2, ns - 1)) * sd / math.sqrt(ns)
        rows.append({**split, "sd_change": sd, "ci_low": -sev_red - half, "ci_high": -sev_red + half})
    assumed_sizes = next(a["value"] for a in published["assumed"] if a["id"] == "stratum_sizes")
    consistent = [r["n_severe"] for r in rows if r["prints_as_published"]]
    return {"severe_range": [r for r in rows if r["prints_as_published"]],
            "severe_n_min": min(consistent) if consistent else None,
            "severe_n_max": max(consistent) if consistent else None,
            "overall_change_low": overall_change_bounds(published)[0],  # what the printed means allow
            "overall_change_high": overall_change_bounds(published)[1],
            "moderate_n_assumed": assumed_sizes["moderate"],
            "moderate_sd_bound": t_bound_sd(mod_red, assumed_sizes["moderate"], mod_p),
            "overall_sd_bound": t_bound_sd(base - fu, n, all_p)}


def reproduction_summary(comparisons, published: dict, compared_on: dict | None = None) -> dict:
    """An honest count of the published-vs-reproduced table: how many agree, and of those how
    many hold by construction of the reconstructed cohort (its synthesis targeted them) and how
    many are bounds or yes/no checks that a cohort with a broadly similar result passes anyway
    (``weak``: 'p < bound', 'not significant', 'a trend', 'none reported'). ``compared_on``
    (``published_arm.compared_on``): the one arm compared, kept as ``compared_on`` when given."""
    figs = published["figures"]
    weak_checks = {"below", "not_below", "true", "at_least"}
    rows = [{"id": f["id"], "agrees": c.agrees, "weak": c.check in weak_checks, "cannot_fail": bool(f.get("cannot_fail"))}
            for f, c in zip(figs, comparisons)]
    return {"total": len(rows), "agree": sum(1 for r in rows if r["agrees"]),
            "cannot_fail": [f["quantity"] for f in figs if f.get("cannot_fail")],
            "weak_checks": sum(1 for r in rows if r["weak"]),
            "exact_checks": sum(1 for r in rows if not r["weak"]),
            "exact_agree": sum(1 for r in rows if not r["weak"] and r["agrees"]),
            "file": published.get("file", ""), "paper": bool(published.get("paper", True)),
            **({"compared_on": compared_on} if compared_on else {})}


def say_reproduction(summary: dict, synthetic: bool, markdown: bool = True) -> str:
    """What the published-vs-reproduced count means, without overstating it. When the summary
    says one arm was compared (``compared_on``), the text first says so, and whether that arm
    is synthetic decides what the agreement means (not ``synthetic``, of the whole cohort)."""
    on = summary.get("compared_on")
    if on:
        text = say_compared_on(on) + " " + _say_reproduction(summary, bool(on.get("synthetic")))
    else:
        text = _say_reproduction(summary, synthetic)
    return text if markdown else text.replace("**", "")


def say_compared_on(info: dict | None) -> str:
    """The sentence that the comparison uses one arm alone ('' when it uses every patient)."""
    if not info:
        return ""
    others = info["other_arms"]
    if not others:
        return f"Compared on the {info['arm']} arm (n = {info['n']}), the only arm of this cohort."
    named = " and ".join(others)
    return (f"Compared on the {info['arm']} arm alone (n = {info['n']}): the published figures describe that arm, "
            f"so {'the arm' if len(others) == 1 else 'the arms'} {named} {'is' if len(others) == 1 else 'are'} "
            "not part of the comparison.")


def _say_reproduction(summary: dict, synthetic: bool) -> str:
    if not summary.get("paper", True):
        return (f"**{summary['agree']} of {summary['total']}** figures in `{summary['file']}` agree at their own "
                f"rounding: {summary['exact_agree']} of {summary['exact_checks']} printed values and "
                f"{summary['agree'] - summary['exact_agree']} of {summary['weak_checks']} bounds or yes/no statements, "
                "which many different cohorts would pass. Each agreement or disagreement is a finding about this "
                "cohort" + (" only if it is real data: a synthetic cohort agrees where it was built to." if synthetic
                            else "."))
    head = (f"**{summary['agree']} of {summary['total']}** published figures agree at the paper's rounding: "
            f"{summary['exact_agree']} of {summary['exact_checks']} printed values (means, counts, ranges, the "
            f"severe p) and {summary['agree'] - summary['exact_agree']} of {summary['weak_checks']} bounds or yes/no "
            "statements (\"p < 0.0001\", \"not significant\", \"a trend\", \"none reported\"), which many different "
            "cohorts would pass."
            + (" One check cannot fail under the analysis rules: " + "; ".join(summary["cannot_fail"]) + "."
               if summary["cannot_fail"] else ""))
    if synthetic:
        return head + (" For the reconstructed cohort the agreement holds by construction: its patients were "
                       "generated until these figures came out. It shows that the analysis reproduces the "
                       "paper's arithmetic, not that the paper's patients looked like these.")
    return head + " For a real cohort, each agreement or disagreement is a finding about that cohort."


def is_reconstruction(cohort) -> bool:
    """Whether the cohort is a reconstruction of the paper's (the bundled one, or ``mscreport
    synth`` output): decided by the data (``synthetic.is_reconstruction``), never by the file name."""
    return bool(getattr(cohort, "reconstruction", False))


def format_severe_range(reconstruction: dict):
    """The severe sizes that reproduce the printed follow-up mean, with what the severe p implies."""
    import pandas as pd


    return pd.DataFrame([{"severe n": r["n_severe"], "moderate n": r["n_moderate"],
                          "follow-up mean (%)": fmt_num(r["followup_mean"], 3),
                          "SD of change implied (% points)": fmt_num(r["sd_change"]),
                          "CI of severe mean change": fmt_ci(r["ci_low"], r["ci_high"])}
                         for r in reconstruction["severe_range"]])


def say_bounds(reconstruction: dict) -> str:
    """The severe size range and the SD bounds the printed p-values put on the other strata."""
    return (f"Every severe size from **{reconstruction['severe_n_min']} to {reconstruction['severe_n_max']}** "
            "can reproduce the printed follow-up mean once each printed figure (the baseline mean and the two "
            "stratum reductions) may be anywhere within its own rounding; the reconstruction uses one of them (see the assumptions below), "
            "so its severe n, SD and interval are one possibility among these. The printed moderate p allows an SD "
            f"of change of at most {fmt_num(reconstruction['moderate_sd_bound'])} % points at the assumed "
            f"{reconstruction['moderate_n_assumed']} moderate patients, and the printed overall p at most "
            f"{fmt_num(reconstruction['overall_sd_bound'])} % points overall (both from the t quantile, computed).")


def format_assumptions(published: dict | None):
    """The assumptions a published-figures file lists, as a table (quoted from the file); None
    when it lists none."""
    import pandas as pd

    assumed = (published or {}).get("assumed") or []
    if not assumed:
        return None
    return pd.DataFrame([{"assumption": a["id"].replace("_", " "), "value": str(a["value"]), "reasoning": a["reasoning"]}
                         for a in assumed])


# ------------------------------------------------------------------ chapter 6, one call per section
HOW_TO_SUPPLY = ("No published figures were given to compare with, so this chapter compares nothing. To compare "
                 "this cohort with a study's published figures, write them in a YAML file laid out as the paper's "
                 "`data/published_results.yaml` (`data/README.md`, \"Published-figures files\") and rebuild with "
                 "`-p published_path=FILE.yaml`.")


def show_comparison(ch, comparison, reconstruction) -> None:
    """Chapter 6's figure-by-figure table and the honest count, or how to supply a file. The
    table's disclosure rule is that of the patients compared (one arm, with ``published_arm``)."""
    if comparison is None:
        ch.say(HOW_TO_SUPPLY)
        return
    from mscreport.analysis.published_arm import published_cohort  # lazy: the build process imports this module, never the analyses

    ch.table(format_comparison(comparison, published_cohort(ch.cohort)), "Each published figure and its reproduction",
             basis="published_comparison")
    ch.say(say_reproduction(reconstruction["summary"], is_reconstruction(ch.cohort)), basis="published_comparison")


def show_implied(ch, reconstruction) -> None:
    """The severe sizes that fit the printed figures and the SD bounds the printed p-values
    imply (only for a file that holds the paper's stratum figures)."""
    if not reconstruction or reconstruction.get("severe_n_min") is None:
        ch.say("The figures compared with do not include the paper's stratum means and p-values, so nothing is "
               "derived from them here.")
        return
    ch.table(format_severe_range(reconstruction), "Severe stratum sizes that reproduce the printed follow-up mean, "
             "and the SD of change and CI of the mean change (% points) that the printed severe p implies at each",
             basis="reconstruction.severe_range")
    ch.say(say_bounds(reconstruction), basis="reconstruction.bounds")


def show_assumptions(ch, published) -> None:
    """The assumptions the published-figures file lists, or a sentence that there are none."""
    table = format_assumptions(published)
    if table is None:
        ch.say("No assumption is listed: " + ("no published figures were given." if published is None
                                               else "the published-figures file lists none."))
        return
    caption = "Assumptions of the reconstructed cohort" if published.get("paper") else f"Assumptions listed in {published['file']}"
    ch.table(table, caption, basis="assumed")
