"""HbA1c over time from a long cohort file: mean by time bin, the linear mixed model, a
durability verdict, their figures and tables (chapter 07).

Model (interface.md): ``hba1c ~ years`` with a random intercept and a random slope per
patient, fitted by REML, as ``nlme::lme(hba1c ~ years, random = ~ years | patient_id,
method = "REML")``; years = months / 12. Data: every included patient's baseline measurement
and every measurement after time 0 (``LongCohort.model_frame``), patients without a
follow-up in the window included. Fixed effects: t-based intervals and p-values with nlme's
denominator df, n_measurements - n_patients - 1.

Engine: statsmodels ``MixedLM`` (REML) up to ``MIXEDLM_MAX_PATIENTS`` patients. Above that,
statsmodels' group-by-group Python loop takes minutes (10,000 patients: about a minute per
fit), so the same REML criterion is maximised with every group's 2 x 2 algebra vectorised
(``reml_closed_form``; patients who share a visit schedule are pooled by design, so one
likelihood evaluation costs O(designs): ``_design_sums``); the two engines agree
(tests/test_longitudinal.py) and both agree with nlme (tests/fixtures/r_longitudinal.json,
r_long_balanced.json). Where MixedLM does not converge (it stalls when
the REML maximum lies on the boundary, a random-effects correlation of -1 or +1, as in the
public Steno-2 example data: tests/fixtures/r_steno2.json), the closed form is used instead
when it converges to a REML likelihood at least as high. ``engine`` in the results names the
one used.

Time bins (``by_time``): the baseline measurement is bin 0; a measurement at t > 0 months
goes to the bin centred on the nearest multiple of the bin width w (at least w): w = 3 months
when the last measurement is at most 24 months, 6 up to 72, else 12. A patient with several
measurements in one bin counts once, with their mean. Mean, SD and the t-based CI at 1 - alpha
across patients.
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from scipy import stats as st

from mscreport.core.disclosure import current_policy, drawable_rows, hidden_parts, suppressed, too_few
from mscreport.display import fmt
from mscreport.display.figures import _mmol_axis

MIXEDLM_MAX_PATIENTS = 1500
ENGINE_STATSMODELS = "statsmodels MixedLM (REML)"
ENGINE_CLOSED_FORM = "REML, group-wise closed form (statsmodels' criterion, vectorised)"
HOW_TO_SUPPLY = (
    "This cohort file has one row per patient, so there is no trajectory to draw. To see one, supply a "
    "**long file**: one row per HbA1c measurement with the columns `patient_id`, `hba1c` and a time since the "
    "infusion: `months` (negative or 0 = before), `weeks`, `days`, or `date` with the patient's "
    "`infusion_date` (YYYY-MM-DD). Patient-level columns (`dose_cells`, `msc_source`, `arm`, ...) may repeat "
    "on each row. The baseline and follow-up that the other chapters analyse are then derived by the rules "
    "set by `baseline_window_months`, `followup_at_months` and `followup_window_months`. A synthetic example: "
    "`mscreport synth --long --output long.csv`, then `mscreport build --data long.csv`.")


@dataclass(frozen=True)
class MixedModelResult:
    """REML fit of hba1c ~ years, random intercept and slope per patient (HbA1c in NGSP %).

    ``intercept`` and ``slope_per_year``: dicts of estimate, se, df, ci_low, ci_high, t, p.
    ``sd_*``: standard deviations of the random intercept, the random slope (% points per
    year) and the residual; ``corr``: correlation of the random intercept and slope.
    """

    n_patients: int
    n_measurements: int
    intercept: dict
    slope_per_year: dict
    sd_intercept: float
    sd_slope: float
    sd_residual: float
    corr: float
    reml_loglik: float
    converged: bool
    engine: str

    def interface(self) -> dict:
        return {"n_patients": self.n_patients, "n_measurements": self.n_measurements,
                "intercept": dict(self.intercept), "slope_per_year": dict(self.slope_per_year),
                "sd_intercept": self.sd_intercept, "sd_slope": self.sd_slope, "sd_residual": self.sd_residual,
                "corr_intercept_slope": self.corr, "reml_loglik": self.reml_loglik,
                "converged": self.converged, "engine": self.engine}


# ------------------------------------------------------------------ REML, group-wise closed form
def _group_sums(y: np.ndarray, t: np.ndarray, codes: np.ndarray, m: int) -> tuple:
    """Per group, for X = [1, t]: X'X as its entries (n, sum t, sum t^2), X'y as (sum y, sum t y),
    and y'y; each an array of length m."""
    return (np.bincount(codes, minlength=m).astype(float), np.bincount(codes, t, m), np.bincount(codes, t * t, m),
            np.bincount(codes, y, m), np.bincount(codes, t * y, m), np.bincount(codes, y * y, m))


def _design_sums(sums: tuple) -> tuple | None:
    """``_group_sums`` pooled over the groups that share a design X_i'X_i = [[n, sum t], [sum t,
    sum t^2]]: the REML criterion depends on a group's times only through it (M_i, K_i and
    |V_i| below are the same for all of them), so with a visit schedule that many patients
    share, one likelihood evaluation costs O(designs), not O(patients).

    Per design: n, sum t, sum t^2; w (its number of groups); the sums over its groups of
    u = sum y, v = sum t y, s = y'y, u^2, u v and v^2. None when pooling saves little (fewer
    than 4 groups per design on average): the criterion is then summed group by group."""
    a, b, c, u, v, s = sums
    designs, inverse = np.unique(np.column_stack([a, b, c]), axis=0, return_inverse=True)
    k = len(designs)
    if 4 * k > len(a):
        return None
    inverse = inverse.ravel()

    def pool(x):
        return np.bincount(inverse, x, k)

    return (designs[:, 0].copy(), designs[:, 1].copy(), designs[:, 2].copy(), np.bincount(inverse, minlength=k).astype(float),
            pool(u), pool(v), pool(s), pool(u * u), pool(u * v), pool(v * v))


def _reml_parts(theta: np.ndarray, sums: tuple, n_obs: int):
    """-2 REML log-likelihood (profiled over sigma^2) and its parts, for the relative covariance
    Psi = L L' of the random effects, L = [[l0, 0], [l1, l2]] = theta.

    Every group's 2 x 2 algebra is written out on arrays of length m (no per-group loop):
    M_i = I + L'A_i L, K_i = L M_i^-1 L', X_i'V_i^-1 X_i = A_i - A_i K_i A_i,
    X_i'V_i^-1 y_i = c_i - A_i K_i c_i, y_i'V_i^-1 y_i = s_i - c_i'K_i c_i, log|V_i| = log|M_i|
    (A_i = X_i'X_i = [[a, b], [b, c]], c_i = X_i'y_i = (u, v), s_i = y_i'y_i). ``sums``: per
    group (``_group_sums``) or per design (``_design_sums``: the same terms, each design's
    weighted by its number of groups w, c_i'K_i c_i summed through the pooled u^2, u v, v^2)."""
    if len(sums) == 6:
        a, b, c, u, v, s = sums
    else:
        a, b, c, w, u, v, s, uu, uv, vv = sums
    l0, l1, l2 = theta
    al0, al1, al2 = a * l0 + b * l1, b * l0 + c * l1, b * l2  # columns of A L: (al0, al1), (al2, c l2)
    m00 = 1 + l0 * al0 + l1 * al1
    m01 = l0 * al2 + l1 * c * l2
    m11 = 1 + l2 * c * l2
    det = m00 * m11 - m01 * m01
    i00, i01, i11 = m11 / det, -m01 / det, m00 / det  # M^-1
    k0 = l0 * l0 * i00
    k1 = l0 * (l1 * i00 + l2 * i01)
    k2 = l1 * l1 * i00 + 2 * l1 * l2 * i01 + l2 * l2 * i11
    p00, p01, p10, p11 = a * k0 + b * k1, a * k1 + b * k2, b * k0 + c * k1, b * k1 + c * k2  # A K
    xvy = np.array([np.sum(u - (p00 * u + p01 * v)), np.sum(v - (p10 * u + p11 * v))])
    if len(sums) == 6:
        xvx = np.array([[np.sum(a - (p00 * a + p01 * b)), np.sum(b - (p00 * b + p01 * c))],
                        [np.sum(b - (p10 * a + p11 * b)), np.sum(c - (p10 * b + p11 * c))]])
        yvy = np.sum(s - (k0 * u * u + 2 * k1 * u * v + k2 * v * v))
        logdet_v = np.sum(np.log(det))
    else:
        xvx = np.array([[np.sum(w * (a - (p00 * a + p01 * b))), np.sum(w * (b - (p00 * b + p01 * c)))],
                        [np.sum(w * (b - (p10 * a + p11 * b))), np.sum(w * (c - (p10 * b + p11 * c)))]])
        yvy = np.sum(s - (k0 * uu + 2 * k1 * uv + k2 * vv))
        logdet_v = np.sum(w * np.log(det))
    beta = np.linalg.solve(xvx, xvy)
    rss = yvy - xvy @ beta
    dof = n_obs - 2
    sigma2 = rss / dof
    _, logdet_xvx = np.linalg.slogdet(xvx)
    minus2 = dof * (1 + math.log(2 * math.pi * sigma2)) + logdet_v + logdet_xvx
    lower = np.array([[l0, 0.0], [l1, l2]])
    return minus2, beta, sigma2, xvx, lower @ lower.T


def reml_closed_form(y, years, codes) -> dict:
    """REML fit of y ~ years with a random intercept and slope per group, every group's 2 x 2
    algebra vectorised (Woodbury: V_i^-1 = I - X_i L (I + L'X_i'X_i L)^-1 L'X_i').

    Returns beta, cov_beta, sigma2, psi (random-effects covariance relative to sigma2),
    reml_loglik, converged. ``codes``: group numbers 0..m-1.
    """
    from scipy.optimize import minimize

    y, years, codes = np.asarray(y, float), np.asarray(years, float), np.asarray(codes)
    sums = _group_sums(y, years, codes, int(codes.max()) + 1)
    sums = _design_sums(sums) or sums

    def objective(theta):  # per observation, so that tolerances mean the same at any n
        return _reml_parts(theta, sums, len(y))[0] / len(y)

    # Nelder-Mead: the criterion is a sum over every group, so its rounding noise (~1e-13 per
    # observation) defeats gradient-based polishing; x to 1e-7 is well inside the 1e-4 checked
    best = minimize(objective, np.array([1.0, 0.0, 0.5]), method="Nelder-Mead",
                    options={"xatol": 1e-7, "fatol": 1e-11, "maxiter": 2000})
    minus2, beta, sigma2, xvx, psi = _reml_parts(best.x, sums, len(y))
    return {"beta": beta, "cov_beta": sigma2 * np.linalg.inv(xvx), "sigma2": sigma2, "psi": psi,
            "reml_loglik": -minus2 / 2, "converged": bool(best.success)}


def _fit_statsmodels(y, years, codes) -> dict:
    import warnings

    from statsmodels.regression.mixed_linear_model import MixedLM

    exog = np.column_stack([np.ones(len(y)), years])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter: ``converged`` carries the verdict
        res = MixedLM(np.asarray(y, float), exog, np.asarray(codes), exog_re=exog).fit(reml=True, method=["lbfgs"])
    psi = np.asarray(res.cov_re_unscaled)
    # SEs as nlme reports them, sigma^2 (X'V^-1 X)^-1 at the estimates (statsmodels' own come from
    # the joint information of fixed and covariance parameters and differ in the 3rd digit)
    minus2, _, sigma2, xvx, _ = _reml_parts(_theta_of(psi), _group_sums(np.asarray(y, float), np.asarray(years, float),
                                                                          np.asarray(codes), int(np.max(codes)) + 1), len(y))
    return {"beta": np.asarray(res.fe_params), "cov_beta": float(res.scale) * np.linalg.inv(xvx),
            "sigma2": float(res.scale), "psi": psi, "reml_loglik": float(res.llf), "converged": bool(res.converged),
            "reml_criterion": -minus2 / 2}  # nlme's REML log-likelihood at these estimates


def _theta_of(psi: np.ndarray) -> np.ndarray:
    """(L00, L10, L11) of a lower-triangular L with L L' = psi (psi may be singular)."""
    try:
        lower = np.linalg.cholesky(psi)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(psi)
        _, r = np.linalg.qr((v * np.sqrt(np.clip(w, 0, None))).T)  # psi = R'R, L = R'
        lower = r.T
    return np.array([lower[0, 0], lower[1, 0], lower[1, 1]])


_FITS: OrderedDict = OrderedDict()  # fit_mixed_model's last results, by a digest of their inputs
FITS_KEPT = 4


def _fit_key(y: np.ndarray, years: np.ndarray, codes: np.ndarray, alpha: float, engine: str | None) -> bytes:
    """A digest of everything a fit depends on: the values, the times, which measurements
    share a patient (the codes, in order of appearance), alpha and the engine asked for."""
    h = hashlib.blake2b(repr((len(y), float(alpha), engine)).encode(), digest_size=32)
    for a in (y, years, codes):
        h.update(np.ascontiguousarray(a).view(np.uint8))
    return h.digest()


def fit_mixed_model(frame: pd.DataFrame, alpha: float = 0.05, engine: str | None = None) -> MixedModelResult | None:
    """Fit hba1c ~ years, random intercept and slope per patient_id, by REML.

    ``frame``: patient_id, years, hba1c (NGSP %). None when the model cannot be estimated
    (fewer than 3 patients, or no residual degrees of freedom). ``engine``: None = by size
    (see the module docstring), or ENGINE_STATSMODELS / ENGINE_CLOSED_FORM. The same data
    fitted again (chapter 7's teaching cell refits the table's model) return the result
    kept from the first fit (a copy): the fit is deterministic.
    """
    codes, uniques = pd.factorize(frame["patient_id"])
    y, years = frame["hba1c"].to_numpy(float), frame["years"].to_numpy(float)
    key = _fit_key(y, years, codes, alpha, engine)
    if key not in _FITS:
        _FITS[key] = _fit_mixed_model(y, years, codes, len(uniques), alpha, engine)
        while len(_FITS) > FITS_KEPT:
            _FITS.popitem(last=False)
    kept = _FITS[key]
    return None if kept is None else replace(kept, intercept=dict(kept.intercept),
                                             slope_per_year=dict(kept.slope_per_year))


def _fit_mixed_model(y: np.ndarray, years: np.ndarray, codes: np.ndarray, n_groups: int, alpha: float,
                     engine: str | None) -> MixedModelResult | None:
    n_obs = len(y)
    df = n_obs - n_groups - 1  # nlme's denominator df for both fixed effects here
    if n_groups < 3 or df < 1 or len(np.unique(years[~np.isnan(years)])) < 2:  # as pandas' nunique
        return None
    chosen_by_size = engine is None
    engine = engine or (ENGINE_STATSMODELS if n_groups <= MIXEDLM_MAX_PATIENTS else ENGINE_CLOSED_FORM)
    try:
        fit = (_fit_statsmodels if engine == ENGINE_STATSMODELS else reml_closed_form)(y, years, codes)
        if chosen_by_size and engine == ENGINE_STATSMODELS and not fit["converged"]:
            # MixedLM stalls where the REML maximum is on the boundary (intercept-slope
            # correlation -1 or +1; tests/test_steno2.py): the closed form reaches it
            other = reml_closed_form(y, years, codes)
            if other["converged"] and other["reml_loglik"] >= fit["reml_criterion"]:
                fit, engine = other, ENGINE_CLOSED_FORM
    except (np.linalg.LinAlgError, ValueError):
        return None
    q = float(st.t.ppf(1 - alpha / 2, df))

    def fixed(i: int) -> dict:
        est, se = float(fit["beta"][i]), float(math.sqrt(fit["cov_beta"][i, i]))
        t = est / se
        return {"estimate": est, "se": se, "df": df, "ci_low": est - q * se, "ci_high": est + q * se,
                "t": t, "p": 2 * float(st.t.sf(abs(t), df))}

    cov_re = fit["psi"] * fit["sigma2"]
    sd0, sd1 = math.sqrt(max(cov_re[0, 0], 0.0)), math.sqrt(max(cov_re[1, 1], 0.0))
    return MixedModelResult(
        n_patients=n_groups, n_measurements=n_obs, intercept=fixed(0), slope_per_year=fixed(1),
        sd_intercept=sd0, sd_slope=sd1, sd_residual=math.sqrt(fit["sigma2"]),
        corr=float(cov_re[0, 1] / (sd0 * sd1)) if sd0 > 0 and sd1 > 0 else float("nan"),
        reml_loglik=fit["reml_loglik"], converged=fit["converged"], engine=engine)


# ------------------------------------------------------------------ time bins
def bin_width(last_months: float) -> float:
    """Width of the time bins in months: 3 up to 24 months of follow-up, 6 up to 72, else 12."""
    return 3.0 if last_months <= 24 else 6.0 if last_months <= 72 else 12.0


def time_bins(frame: pd.DataFrame, width: float) -> np.ndarray:
    """Bin centre (months) of each measurement of a model frame: baseline (t <= 0) -> 0."""
    t = frame["months"].to_numpy(float)
    return np.where(t <= 0, 0.0, np.maximum(width, width * np.round(t / width)))


def by_time(frame: pd.DataFrame, width: float, alpha: float = 0.05) -> pd.DataFrame:
    """Mean HbA1c per time bin across patients (a patient's measurements in one bin averaged
    first): months (bin centre), n, mean, sd, ci_low, ci_high (t-based, 1 - alpha)."""
    per = (frame.assign(bin=time_bins(frame, width)).groupby(["bin", "patient_id"], sort=True)["hba1c"].mean()
           .groupby(level="bin").agg(["count", "mean", "std"]))
    n = per["count"].to_numpy(int)
    sd = per["std"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = np.array([st.t.ppf(1 - alpha / 2, k - 1) if k > 1 else np.nan for k in n]) * sd / np.sqrt(n)
    return pd.DataFrame({"months": per.index.to_numpy(float), "n": n, "mean": per["mean"].to_numpy(float),
                         "sd": sd, "ci_low": per["mean"].to_numpy(float) - half,
                         "ci_high": per["mean"].to_numpy(float) + half})


def _records(table: pd.DataFrame) -> list[dict]:
    return [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
            for row in table.to_dict("records")]


# ------------------------------------------------------------------ the analysis
@dataclass(frozen=True)
class Trajectory:
    """Everything chapter 07 shows, for one long cohort."""

    model_frame: pd.DataFrame = field(repr=False)
    width: float
    by_time: pd.DataFrame = field(repr=False)
    by_time_by_arm: dict | None = field(repr=False)
    mixed: MixedModelResult | None
    mixed_by_arm: dict | None
    flow: dict
    rows_read: int
    alpha: float
    drawn_ids: frozenset | None = field(default=None, repr=False)  # patients whose trajectory may be drawn (None: all)

    @property
    def arms(self) -> list[str] | None:
        return None if self.mixed_by_arm is None else list(self.mixed_by_arm)

    def interface(self) -> dict:
        """The ``longitudinal`` block of results.json."""
        return {"n_patients": int(self.model_frame["patient_id"].nunique()),
                "n_measurements": len(self.model_frame), "rows_read": self.rows_read,
                "bin_width_months": self.width,
                "by_time": _records(self.by_time),
                "by_time_by_arm": None if self.by_time_by_arm is None else
                {k: _records(v) for k, v in self.by_time_by_arm.items()},
                "mixed_model": None if self.mixed is None else self.mixed.interface(),
                "mixed_model_by_arm": None if self.mixed_by_arm is None else
                {k: None if v is None else v.interface() for k, v in self.mixed_by_arm.items()},
                "flow": self.flow}


def analyse_trajectory(cohort) -> Trajectory | None:
    """Trajectory analyses of a cohort read from a long file; None for a wide file."""
    long = getattr(cohort, "longitudinal", None)
    if long is None:
        return None
    alpha = cohort.params["alpha"]
    frame = long.model_frame()
    width = bin_width(float(frame["months"].max()) if len(frame) else 0.0)
    arms = None
    if "arm" in frame:
        names = sorted(a for a in frame["arm"].dropna().unique() if a != "")
        arms = names if len(names) >= 2 else None
    per_arm = {a: frame[frame["arm"] == a] for a in arms} if arms else None
    return Trajectory(
        model_frame=frame, width=width, by_time=by_time(frame, width, alpha),
        by_time_by_arm=None if per_arm is None else {a: by_time(f, width, alpha) for a, f in per_arm.items()},
        mixed=fit_mixed_model(frame, alpha),
        mixed_by_arm=None if per_arm is None else {a: fit_mixed_model(f, alpha) for a, f in per_arm.items()},
        flow=long.flow(), rows_read=long.rows_read, alpha=alpha, drawn_ids=drawn_patients(cohort.frame, frame))


def drawn_patients(wide: pd.DataFrame, frame: pd.DataFrame) -> frozenset:
    """The patients of a model frame whose own trajectory a figure may draw: those the wide
    analysis may draw (``disclosure.drawable_rows``: none of a hidden group); none at all when
    the patients left out would number 1 or 2, or the file has fewer than 3 patients."""
    ids = frame["patient_id"].astype(str)
    if "patient_id" not in wide:
        return frozenset()
    ok = frozenset(wide.loc[drawable_rows(wide), "patient_id"].astype(str))
    every = frozenset(ids.unique())  # each pseudonym once: not a Python text per measurement
    if too_few(len(every)) or too_few(len(every - ok)):
        return frozenset()
    return ok & every


def hidden_bins(traj: Trajectory) -> frozenset:
    """(group, months) of the time-bin table and figure that pages hide: a bin of 1 or 2 patients,
    and, with arms, the arms of a bin partition its 'all patients' row (``hidden_parts``: control
    4 beside all patients 5 would give the lone msc patient back)."""
    hidden = {("all patients", float(m)) for m, n in zip(traj.by_time["months"], traj.by_time["n"]) if too_few(int(n))}
    if traj.by_time_by_arm:
        total = dict(zip(traj.by_time["months"].astype(float), traj.by_time["n"].astype(int)))
        for m, n in total.items():
            parts = {a: int(t.loc[t["months"].astype(float) == m, "n"].sum()) for a, t in traj.by_time_by_arm.items()}
            hidden |= {(a, m) for a in hidden_parts(n, parts)}
            if ("all patients", m) in hidden:
                hidden |= {(a, m) for a in parts}
    return frozenset(hidden)


def interface_block(traj: Trajectory | None) -> dict | None:
    """results.json's ``longitudinal``: null for a wide cohort file."""
    return None if traj is None else traj.interface()


# ------------------------------------------------------------------ sentences
def durability_verdict(mixed: MixedModelResult | None, alpha: float = 0.05, label: str = "",
                       after: str = "after the infusion") -> str:
    """A plain sentence on whether HbA1c drifted after time zero, from the slope's CI. ``after``:
    the study's words for it (``Study.after_time_zero``: "after the infusion", "after the start of
    treatment", "after randomisation")."""
    who = f" ({label})" if label else ""
    if mixed is None:
        return f"The mixed model could not be estimated{who}: too few patients or measurements."
    if fmt.too_small(mixed.n_patients):
        return f"The mixed model{who} rests on fewer than {fmt.MIN_SHOWN_N} patients: not shown."
    s = mixed.slope_per_year
    level = f"{1 - alpha:.0%}"
    slope = f"{fmt.fmt_change(s['estimate'])} per year ({level} CI {fmt.fmt_ci(s['ci_low'], s['ci_high'])})"
    if s["ci_low"] > 0:
        head = f"**Not durable{who}:** {after} HbA1c drifted back up, by {slope}."
    elif s["ci_high"] < 0:
        head = (f"**Falling over follow-up{who}:** on a straight line through every measurement from the baseline "
                f"on, HbA1c changed by {slope}. An early fall followed by a plateau also gives a negative slope: "
                "the figure shows which it is.")
    else:
        head = (f"**No detectable drift{who}:** the slope of HbA1c over time is {slope}; the data are compatible "
                "with a stable HbA1c, and also with any drift inside that interval.")
    tail = ("" if mixed.converged else " The fit did not converge cleanly: read these figures with caution.")
    return head + " The slope is the average within-patient change per year from the baseline on; it says "\
        "nothing of what would have happened without treatment (only a comparison with a control arm can)." + tail


def flow_sentence(traj: Trajectory) -> str:
    """Where the measurements went (counts only)."""
    uses = "; ".join(f"{u['use']}: {fmt.fmt_int(u['n'])}" for u in traj.flow["measurements"] if u["n"])
    return (f"The file has **{fmt.fmt_int(traj.rows_read)}** rows (measurements) of **{fmt.fmt_int(traj.flow['patients_read'])}** patients. "
            f"Every row is accounted for: {uses}. The mixed model uses {fmt.fmt_int(len(traj.model_frame))} measurements of "
            f"{fmt.fmt_int(traj.model_frame['patient_id'].nunique())} patients (time bins of {traj.width:g} months).")


def by_time_table(traj: Trajectory) -> pd.DataFrame:
    """Mean HbA1c per time bin (and arm), formatted; bins of fewer than 3 patients suppressed."""
    tables = {"all patients": traj.by_time, **(traj.by_time_by_arm or {})}
    hidden = hidden_bins(traj)
    rows = []
    for group, table in tables.items():
        for r in table.itertuples(index=False):
            small = fmt.too_small(r.n) or (group, float(r.months)) in hidden
            rows.append({"group": group, "month": f"{r.months:g}", "patients": fmt.fmt_int(int(r.n)),
                         "mean HbA1c": suppressed(int(r.n)) if small else fmt.fmt_hba1c(r.mean),
                         "SD": "" if small else fmt.fmt_num(r.sd),
                         f"{1 - traj.alpha:.0%} CI": "" if small else fmt.fmt_ci(r.ci_low, r.ci_high)})
    return pd.DataFrame(rows)


def mixed_model_table(traj: Trajectory) -> pd.DataFrame:
    """The mixed model(s): fixed effects with SE, CI and p; random-effect SDs (formatted)."""
    fits = {"all patients": traj.mixed, **(traj.mixed_by_arm or {})}
    rows = []
    for group, m in fits.items():
        if m is None or fmt.too_small(m.n_patients):
            rows.append({"group": group, "term": "not estimated" if m is None else suppressed(m.n_patients)})
            continue
        for term, fe in (("intercept (HbA1c at time 0, %)", m.intercept), ("slope (% points per year)", m.slope_per_year)):
            rows.append({"group": group, "term": term, "estimate": fmt.fmt_num(fe["estimate"], 3),
                         "SE": fmt.fmt_num(fe["se"], 3), f"{1 - traj.alpha:.0%} CI": fmt.fmt_ci(fe["ci_low"], fe["ci_high"], 3),
                         "df": fmt.fmt_int(fe["df"]), "p": fmt.fmt_pvalue(fe["p"])})
        rows.append({"group": group, "term": "SD between patients: intercept / slope; residual SD",
                     "estimate": f"{fmt.fmt_num(m.sd_intercept, 3)} / {fmt.fmt_num(m.sd_slope, 3)}; "
                                 f"{fmt.fmt_num(m.sd_residual, 3)}",
                     "SE": "", "df": f"{fmt.fmt_int(m.n_patients)} patients, {fmt.fmt_int(m.n_measurements)} measurements"})
    return pd.DataFrame(rows).fillna("")


# ------------------------------------------------------------------ figures
MAX_LINE_MEASUREMENTS = 2500  # measurements drawn as per-patient lines at most: each is a vertex of the page's SVG


def draws_patient_lines(traj: Trajectory, aggregate_above: int) -> bool:
    """Whether the trajectory figure draws each patient's line: at most ``aggregate_above``
    patients and at most ``MAX_LINE_MEASUREMENTS`` measurements (10,000 measurements of one
    patient made a 130 KB figure and a 205 KB page; the band's size does not grow with them)."""
    frame = traj.model_frame
    if current_policy().binned:  # strict disclosure: no patient's own line, the band of each time bin
        return False
    return frame["patient_id"].nunique() <= aggregate_above and len(frame) <= MAX_LINE_MEASUREMENTS


def trajectory_figure(traj: Trajectory, aggregate_above: int):
    """Mean HbA1c by time bin with its CI (per arm), over the patients' own trajectories (thin
    lines) when ``draws_patient_lines``, else over the 10th-90th percentile band of the
    patients' values per bin."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt


    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    frame = traj.model_frame
    groups = {"all patients": traj.by_time} if traj.by_time_by_arm is None else traj.by_time_by_arm
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    if draws_patient_lines(traj, aggregate_above):
        if traj.drawn_ids is not None:  # no trajectory of a hidden group's patient
            frame = frame[frame["patient_id"].astype(str).isin(traj.drawn_ids)]
        order = frame.sort_values(["patient_id", "months"], kind="stable")
        x = np.where(order["months"].to_numpy() <= 0, 0.0, order["months"].to_numpy())
        breaks = np.flatnonzero(order["patient_id"].to_numpy()[1:] != order["patient_id"].to_numpy()[:-1]) + 1
        xs, ys = np.insert(x, breaks, np.nan), np.insert(order["hba1c"].to_numpy(float), breaks, np.nan)
        ax.plot(xs, ys, color="0.6", lw=0.6, alpha=0.5, label="one patient")
    else:
        bins = frame.groupby(time_bins(frame, traj.width))["hba1c"].quantile([0.1, 0.9]).unstack()
        patients = pd.Series(traj.by_time["n"].to_numpy(), index=traj.by_time["months"].to_numpy())  # per bin
        bins = bins[patients.reindex(bins.index) >= current_policy().min_values]  # no band from fewer than 3 (strict 8) patients
        ax.fill_between(bins.index, bins[0.1], bins[0.9], color="0.85", label="10th-90th percentile of values")
    hidden = hidden_bins(traj)
    for k, (name, table) in enumerate(groups.items()):
        group = "all patients" if traj.by_time_by_arm is None else name
        keep = [(group, float(m)) not in hidden for m in table["months"]]
        shown = table[(table["n"] >= current_policy().min_values).to_numpy() & np.array(keep, dtype=bool)]
        colour = colours[k % len(colours)]
        ax.plot(shown["months"], shown["mean"], marker="o", color=colour, lw=2, label=f"mean, {name}")
        ax.fill_between(shown["months"], shown["ci_low"], shown["ci_high"], color=colour, alpha=0.2,
                        label=f"{1 - traj.alpha:.0%} CI, {name}")
    ax.set_xlabel("months since infusion (baseline at 0)")
    ax.set_ylabel("HbA1c (%)")
    _mmol_axis(ax)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def trajectory_caption(traj: Trajectory, aggregate_above: int) -> str:
    """The caption of the trajectory figure (says what is drawn and how many are behind it)."""
    n = int(traj.model_frame["patient_id"].nunique())
    why = (f"more than {aggregate_above} patients" if n > aggregate_above else
           f"more than {MAX_LINE_MEASUREMENTS} measurements")
    drawn = ("thin grey lines: each patient's measurements" if draws_patient_lines(traj, aggregate_above) else
             f"grey band: 10th to 90th percentile of the measurements per bin ({why}, so no line per patient)")
    arms = "" if traj.by_time_by_arm is None else ", per arm"
    return (f"HbA1c over time, {fmt.fmt_int(n)} patients, {fmt.fmt_int(len(traj.model_frame))} measurements: mean per {traj.width:g}-month "
            f"bin with its {1 - traj.alpha:.0%} confidence interval{arms} (bins of fewer than {fmt.MIN_SHOWN_N} "
            f"patients not drawn); {drawn}.")


# ------------------------------------------------------------------ chapter sections (one call per cell)
def show_availability(ch, traj: Trajectory | None) -> None:
    """Say where the data come from, or how to supply a long file."""
    ch.say(HOW_TO_SUPPLY if traj is None else flow_sentence(traj), basis=None if traj is None else "longitudinal")


def show_trajectory(ch, traj: Trajectory | None) -> None:
    """The trajectory figure and the table of means by time bin (nothing for a wide file)."""
    if traj is None:
        return
    aggregate_above = ch.params["aggregate_above"]
    ch.figure(trajectory_figure(traj, aggregate_above), trajectory_caption(traj, aggregate_above),
              "Line chart of mean HbA1c by months since the infusion with a shaded confidence band.")
    ch.table(by_time_table(traj), "Mean HbA1c by time bin across patients (NGSP % and mmol/mol)", basis="longitudinal")


def show_mixed_model(ch, traj: Trajectory | None) -> None:
    """The mixed-model table and the slope per year (nothing for a wide file)."""
    if traj is None:
        return
    ch.table(mixed_model_table(traj), "Linear mixed model hba1c ~ years, random intercept and slope per patient "
                                      f"(REML; {traj.mixed.engine if traj.mixed else 'not estimated'})", basis="longitudinal")


def show_verdict(ch, traj: Trajectory | None) -> None:
    """The durability verdict, overall and per arm (nothing for a wide file)."""
    if traj is None:
        return
    study = getattr(ch.cohort, "study", None)
    after = study.after_time_zero(study.controlled) if study is not None else "after the infusion"
    ch.say(durability_verdict(traj.mixed, traj.alpha, after=after), basis="longitudinal")
    for arm, m in (traj.mixed_by_arm or {}).items():
        ch.say(durability_verdict(m, traj.alpha, label=f"arm {fmt.md_name(arm)}", after=after),  # the name: never Markdown
               basis="longitudinal")


def chance_findings_sentence(k: int, alpha: float) -> str:
    """How many of ``k`` independent tests at level ``alpha`` come out "significant" by chance
    alone when nothing changes: k x alpha expected, and P(at least one) = 1 - (1 - alpha)^k."""
    expected = k * alpha
    at_least_one = 1 - (1 - alpha) ** k
    return (f"With {k} visits, {k} tests at α = {alpha:g} give {k} × {alpha:g} = {expected:.2g} \"significant\" "
            f"visits expected by chance alone, and a {100 * at_least_one:.0f} % chance of at least one "
            f"(1 − {1 - alpha:g}^{k}, for independent tests; repeated measurements of the same patients are not "
            "independent, which changes the number but not the lesson).")
