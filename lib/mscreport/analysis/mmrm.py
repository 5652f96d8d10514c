"""Mixed model for repeated measures (MMRM) at nominal visits: the usual primary analysis of a
trial with visits. As interface.md specifies it ("Additions (third release)", "Repeated
measurements of a controlled study", and the Clarifications' "MMRM").

The model is R's

    nlme::gls(hba1c ~ baseline + arm * visit,
              correlation = corSymm(form = ~ visit_index | patient_id),
              weights = varIdent(form = ~ 1 | visit), method = "REML")

on the rows at time > 0, assigned to a nominal visit, of the patients with a baseline: HbA1c
(NGSP %) at each visit, adjusted for the patient's baseline HbA1c, with a mean per arm and
visit and an unstructured covariance of the visits (a variance per visit and a correlation
per pair of visits; a patient's missed visits are simply absent). The arm's difference from
the reference at a visit is the arm coefficient plus its arm:visit term (% points, negative =
lower HbA1c in the arm); SE = sqrt(c' V c) with V the GLS covariance of the coefficients;
CI = estimate +- qt(1 - alpha/2, N - p) SE and p from t with N - p df (gls's own tests; N
rows, p coefficients).

Fitting: REML for GLS with an unstructured covariance Sigma = L L', L lower triangular with a
log diagonal (the log-Cholesky parametrisation; nlme parametrises the same Sigma by a scale,
variance ratios and spherical correlations, so the REML optimum is the same). The criterion

    -2 l_R = sum_i log|Sigma_i| + log|sum_i X_i' Sigma_i^-1 X_i| + sum_i r_i' Sigma_i^-1 r_i
             (+ constants),   r_i = y_i - X_i beta_hat(Sigma),

is minimised by BFGS with its analytic gradient, then Newton steps (the Hessian by differences
of that gradient) to the optimum. A pattern of observed visits shared by many patients is
summed once (its cross-products sum_i X_i[t]' X_i[s], X_i[t]' y_i[s], y_i[t] y_i[s]), so its
cost does not grow with its patients; the other patients are evaluated in one padded batch.
Measured on the 2-core build machine under a load of 10-13 (times are about 3-6 times those of
a quiet machine): 4 visits, 3 arms, 13 coefficients: 300 patients 0.3-0.9 s, 3,000 patients
2 s, 30,000 patients 3-4 s (mostly the pandas set-up); 12 visits with nearly every patient's
pattern different (78 covariance parameters, 37 coefficients, 300 patients): about 300
evaluations, 13-20 s. The cost per evaluation grows with the patients whose pattern is rare
(T^2 p per patient) and with T^2 p^2 per common pattern.

Visits (Clarifications): the distinct post-baseline times when there are at most 12, else (or
when given, which wins) parameter ``visits`` with ``visit_window`` (default half the smallest
gap): each row goes to the nearest visit within the window (equidistant: the earlier visit),
per patient and visit the nearest row is kept (ties: the earlier), other rows are dropped and
counted. A visit where any arm has fewer than 2 patients is dropped with a note; a fit that
cannot be made gives ``None`` with a note. ``boundary``: an estimated correlation with |r| >
0.999 or a variance ratio (smallest visit variance / largest) below 1e-3; ``converged``: the
optimiser's own report.

Times are months since time zero (weeks x 7 / 30.4375, days / 30.4375).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mscreport.core.dictionary import DAYS_PER_MONTH
from mscreport.core.errors import InputError, Problem
from mscreport.core.groups import ordered_arms
from mscreport.inputs.params import parse_visits

MAX_DISTINCT_VISITS = 12  # more distinct post-baseline times than this: parameter visits needed
MIN_PER_ARM_AT_VISIT = 2  # a visit where an arm has fewer patients is dropped
BOUNDARY_CORRELATION = 0.999
BOUNDARY_VARIANCE_RATIO = 1e-3
MAX_NEWTON_STEPS = 30
NEWTON_HESSIAN_EVERY = 8  # Newton steps per finite-difference Hessian (2 x parameters gradients each)
NEWTON_DECREMENT = 1e-12  # g' H^-1 g: twice the predicted decrease of -2 l_R still possible
COLUMNS = ("patient_id", "arm", "months", "hba1c", "baseline")


# ---------------------------------------------------------------- visits
def default_window(visits) -> float:
    """Half the smallest gap between the nominal visits (months); with one visit, infinite."""
    v = np.sort(np.asarray(visits, dtype=float))
    return float(np.min(np.diff(v)) / 2) if len(v) > 1 else math.inf


def nominal_visits(months, visits=None) -> list[float] | None:
    """The nominal visits (months): ``visits`` when given (sorted), else the distinct times of
    ``months`` (the model's post-baseline rows) when there are at most 12, else ``None``."""
    if visits is not None and len(visits):
        return sorted(float(v) for v in visits)
    distinct = np.unique(np.asarray(months, dtype=float))
    return [float(t) for t in distinct] if len(distinct) <= MAX_DISTINCT_VISITS else None


def assign_visits(patient_id, months, visits, window: float | None = None) -> tuple[np.ndarray, int]:
    """Each row's nominal visit (months) by the Clarifications' rule, NaN for a row dropped: the
    nearest visit within ``window`` (|time - visit| <= window; equidistant: the earlier visit),
    then per patient and visit only the nearest row (ties: the earlier time). Returns (visit per
    row, number of rows dropped)."""
    v = np.sort(np.asarray(visits, dtype=float))
    t = np.asarray(months, dtype=float)
    window = default_window(v) if window is None else float(window)
    gaps = np.abs(t[:, None] - v[None, :])
    nearest = np.argmin(gaps, axis=1)  # the first minimum: the earlier visit when equidistant
    gap = gaps[np.arange(len(t)), nearest]
    visit = np.where(gap <= window, v[nearest], np.nan)
    frame = pd.DataFrame({"p": np.asarray(patient_id), "v": visit, "gap": gap, "t": t, "row": np.arange(len(t))})
    inside = frame[frame["v"].notna()].sort_values(["p", "v", "gap", "t"], kind="mergesort")
    extra = inside.duplicated(["p", "v"], keep="first")
    visit[inside.loc[extra, "row"].to_numpy()] = np.nan
    return visit, int(np.isnan(visit).sum())


# ---------------------------------------------------------------- results
@dataclass(frozen=True)
class VisitDifference:
    """An arm minus the reference at one visit (% points), with its SE, CI, df and p."""

    arm: str
    reference: str
    visit: float
    difference: float
    se: float
    ci_low: float
    ci_high: float
    df: float
    p: float | None

    def interface(self) -> dict:
        return {"arm": self.arm, "reference": self.reference, "visit": self.visit, "difference": self.difference,
                "se": self.se, "ci_low": self.ci_low, "ci_high": self.ci_high, "df": self.df, "p": self.p}


@dataclass(frozen=True)
class MmrmResult:
    """The MMRM's contract block and what lies behind it: visits with their n per arm,
    differences per arm and visit, ``converged``, ``boundary``, and the fit (coefficients by
    R's names, the visit covariance, the REML log-likelihood as R's ``logLik``)."""

    visits: tuple[dict, ...]  # {"visit": months, "label": "month 3", "n": {arm: patients}}, in time order
    comparisons: tuple[VisitDifference, ...]
    converged: bool
    boundary: bool
    n_patients: int
    n_rows: int
    coefficients: dict = field(repr=False)
    covariance: np.ndarray = field(repr=False)  # T x T, visits in order
    log_likelihood: float = math.nan
    notes: tuple[str, ...] = ()

    @property
    def visit_sd(self) -> np.ndarray:
        return np.sqrt(np.diag(self.covariance))

    @property
    def correlation(self) -> np.ndarray:
        sd = self.visit_sd
        return self.covariance / np.outer(sd, sd)

    def interface(self) -> dict:
        """``longitudinal.mmrm``; each visit's ``label`` is "month T" (a caller with weeks or an
        ADaM AVISIT replaces it)."""
        return {"visits": [dict(v) for v in self.visits], "comparisons": [c.interface() for c in self.comparisons],
                "converged": self.converged, "boundary": self.boundary, "n_patients": self.n_patients,
                "n_rows": self.n_rows, "notes": list(self.notes)}


# ---------------------------------------------------------------- design
def design_matrix(frame: pd.DataFrame, arms: list[str], visits: list[float]) -> tuple[np.ndarray, list[str]]:
    """R's model matrix of ``hba1c ~ baseline + arm * visit`` (treatment contrasts, ``arms[0]``
    the reference, ``visits[0]`` the base visit): columns (Intercept), baseline, arm<A>...,
    visit<V>..., arm<A>:visit<V> (arm varying fastest), with R's names."""
    n = len(frame)
    b = frame["baseline"].to_numpy(float)
    arm = frame["arm"].to_numpy(dtype=object)
    visit = frame["visit"].to_numpy(float)
    names = ["(Intercept)", "baseline"] + [f"arm{a}" for a in arms[1:]] + [f"visit{_label(v)}" for v in visits[1:]]
    names += [f"arm{a}:visit{_label(v)}" for v in visits[1:] for a in arms[1:]]
    X = np.empty((n, len(names)))  # filled column by column: no list of columns stacked after
    X[:, 0], X[:, 1] = 1.0, b
    na, nv = len(arms) - 1, len(visits) - 1
    for j, a in enumerate(arms[1:]):
        X[:, 2 + j] = arm == a
    for j, v in enumerate(visits[1:]):
        X[:, 2 + na + j] = visit == v
    for j in range(nv):
        for i in range(na):
            np.multiply(X[:, 2 + i], X[:, 2 + na + j], out=X[:, 2 + na + nv + j * na + i])
    return X, names


def _label(v: float) -> str:
    """A visit as R prints a factor level of numeric times (3, 6.5)."""
    return f"{v:g}" if float(v).is_integer() else repr(float(v))


# ---------------------------------------------------------------- REML
SUMMED_BY_BLAS = 20_000  # a pattern of more patients is summed by matrix products, in blocks of that many


def _patterns(visit_index: np.ndarray, starts: np.ndarray, T: int) -> dict[tuple, list[int]]:
    """Each pattern of observed visits (a tuple of visit indices, ascending) -> the first rows
    of its patients; patterns and patients in order of first appearance (``starts``: each
    patient's first row, rows sorted by patient then visit). With T <= 62 a pattern is a bit
    mask, grouped without a Python step per patient."""
    ends = np.r_[starts[1:], len(visit_index)]
    if T > 62 or not len(starts):
        by_pattern: dict[tuple, list[int]] = {}
        for s, e in zip(starts, ends):
            by_pattern.setdefault(tuple(visit_index[s:e]), []).append(s)
        return by_pattern
    mask = np.bitwise_or.reduceat(np.left_shift(np.int64(1), visit_index.astype(np.int64)), starts)
    _, first, inverse, counts = np.unique(mask, return_index=True, return_inverse=True, return_counts=True)
    members = np.split(starts[np.argsort(inverse, kind="stable")], np.cumsum(counts)[:-1])  # in patient order
    out = {}
    for u in np.argsort(first, kind="stable"):  # patterns in order of first appearance
        out[tuple(visit_index[starts[first[u]]:ends[first[u]]])] = members[u].tolist()
    return out


def _cross_products(X: np.ndarray, y: np.ndarray, firsts: np.ndarray, k: int) -> tuple:
    """sum_i X_i[t]' X_i[s] (k, k, p, p), X_i[t]' y_i[s] (k, k, p) and y_i[t] y_i[s] (k, k)
    over the patients whose k rows start at ``firsts``. Up to ``SUMMED_BY_BLAS`` patients by
    einsum; more in blocks of that many by matrix products (the same sums in another order:
    equal to rounding; memory bounded by one block)."""
    p = X.shape[1]
    if len(firsts) <= SUMMED_BY_BLAS:
        rows = firsts[:, None] + np.arange(k)[None, :]
        Xp, yp = X[rows], y[rows]  # (n_p, k, p), (n_p, k)
        return (np.einsum("itq,isr->tsqr", Xp, Xp), np.einsum("itq,is->tsq", Xp, yp), np.einsum("it,is->ts", yp, yp))
    G, H, E = np.zeros((k * p, k * p)), np.zeros((k * p, k)), np.zeros((k, k))
    for at in range(0, len(firsts), SUMMED_BY_BLAS):
        rows = firsts[at:at + SUMMED_BY_BLAS, None] + np.arange(k)[None, :]
        M, yp = X[rows].reshape(len(rows), k * p), y[rows]
        G += M.T @ M
        H += M.T @ yp
        E += yp.T @ yp
    return (G.reshape(k, p, k, p).transpose(0, 2, 1, 3).copy(), H.reshape(k, p, k).transpose(0, 2, 1).copy(), E)


class _Patterns:
    """The model's rows grouped by each patient's pattern of observed visits. A pattern shared
    by at least k p patients (k visits, p coefficients) keeps the cross-products REML needs
    summed over its patients (sum_i X_i[t]' X_i[s], X_i[t]' y_i[s], y_i[t] y_i[s]: no bigger
    than its rows, and its cost no longer grows with them); the other patients are kept one
    by one, padded to all T visits (a missed visit: zeros in X and y, variance 1 and no
    correlation in the patient's Sigma~, so it adds nothing) and evaluated in one batch."""

    def __init__(self, X: np.ndarray, y: np.ndarray, patient: np.ndarray, visit_index: np.ndarray, T: int):
        order = np.lexsort((visit_index, patient))
        if not np.array_equal(order, np.arange(len(order))):  # rows already in order (a model frame's): no copy of X
            X, y, patient, visit_index = X[order], y[order], patient[order], visit_index[order]
        starts = np.flatnonzero(np.r_[True, patient[1:] != patient[:-1]])
        by_pattern = _patterns(visit_index, starts, T)
        self.T, self.p = T, X.shape[1]
        p = self.p
        self.summed = []  # (visit indices, n patients, C, D, E)
        singles: dict[int, list[tuple[np.ndarray, list[int]]]] = {}  # k -> [(pattern, first rows)]
        for pattern, firsts in by_pattern.items():
            k = len(pattern)
            if len(firsts) >= k * p:
                self.summed.append((np.asarray(pattern), len(firsts), *_cross_products(X, y, np.asarray(firsts), k)))
            else:
                singles.setdefault(k, []).append((np.asarray(pattern), firsts))
        # the other patients padded to all T visits: a missed visit is a row of zeros in X and y
        # with variance 1 and no correlation, so it adds nothing to any sum (Sigma~ below)
        self.pad_mask = np.zeros((0, T), dtype=bool)
        self.pad_X = np.zeros((0, T, p))
        self.pad_y = np.zeros((0, T))
        if singles:
            firsts = [f for parts in singles.values() for _, fs in parts for f in fs]
            patterns = [pat for parts in singles.values() for pat, fs in parts for _ in fs]
            m = len(firsts)
            mask = np.zeros((m, T), dtype=bool)
            Xpad, ypad = np.zeros((m, T, p)), np.zeros((m, T))
            for i, (first, pat) in enumerate(zip(firsts, patterns)):
                mask[i, pat] = True
                Xpad[i, pat] = X[first:first + len(pat)]
                ypad[i, pat] = y[first:first + len(pat)]
            self.pad_mask, self.pad_X, self.pad_y = mask, Xpad, ypad
        self.n_rows = len(y)

    def criterion(self, sigma: np.ndarray, gradient: bool = True):
        """(-2 l_R without constants, its gradient with respect to Sigma (symmetric T x T),
        beta_hat, A = sum X' Sigma^-1 X); gradient None when not asked. None when Sigma or A is
        not positive definite."""
        p, T = self.p, self.T
        A = np.zeros((p, p))
        b = np.zeros(p)
        logdet = 0.0
        yWy = 0.0
        summed_inv, batch_parts = [], []
        try:
            for idx, n_p, C, D, E in self.summed:
                S = sigma[np.ix_(idx, idx)]
                c = np.linalg.cholesky(S)
                Sinv = np.linalg.inv(S)
                Sinv = (Sinv + Sinv.T) / 2
                summed_inv.append(Sinv)
                logdet += n_p * 2 * float(np.sum(np.log(np.diag(c))))
                A += np.tensordot(Sinv, C, axes=([0, 1], [0, 1]))
                b += np.tensordot(Sinv, D, axes=([0, 1], [0, 1]))
                yWy += float(np.sum(Sinv * E))
            if len(self.pad_y):
                mask, Xb, yb = self.pad_mask, self.pad_X, self.pad_y
                both = mask[:, :, None] & mask[:, None, :]
                S = np.where(both, sigma[None, :, :], 0.0)
                S[:, np.arange(T), np.arange(T)] += ~mask  # variance 1 at a missed visit
                c = np.linalg.cholesky(S)
                Sinv = np.linalg.inv(S)
                Sinv = np.where(both, (Sinv + np.swapaxes(Sinv, 1, 2)) / 2, 0.0)
                logdet += 2 * float(np.sum(np.log(np.diagonal(c, axis1=1, axis2=2))))
                WX = Sinv @ Xb  # (m, T, p)
                Wy = np.einsum("mts,ms->mt", Sinv, yb)
                m = len(yb)
                A += np.einsum("ip,iq->pq", Xb.reshape(m * T, p), WX.reshape(m * T, p))
                b += np.einsum("ip,i->p", WX.reshape(m * T, p), yb.reshape(m * T))
                yWy += float(np.sum(yb * Wy))
                batch_parts.append((Sinv, WX, Wy, both))
            ca = np.linalg.cholesky(A)
        except np.linalg.LinAlgError:
            return None
        A = (A + A.T) / 2
        beta = np.linalg.solve(A, b)
        quad = yWy - float(beta @ b)
        value = logdet + 2 * float(np.sum(np.log(np.diag(ca)))) + quad
        if not gradient:
            return value, None, beta, A
        Ainv = np.linalg.inv(A)
        G = np.zeros((T, T))
        for (idx, n_p, C, D, E), Sinv in zip(self.summed, summed_inv):
            Db = D @ beta
            RR = E - Db - Db.T + (C @ beta) @ beta  # sum_i r_i r_i'
            XAX = np.tensordot(C, Ainv, axes=([2, 3], [0, 1]))  # sum_i X_i A^-1 X_i'
            G[np.ix_(idx, idx)] += n_p * Sinv - Sinv @ (RR + XAX) @ Sinv
        for Sinv, WX, Wy, both in batch_parts:
            u = Wy - WX @ beta  # Sigma_i^-1 r_i, (m, T), 0 at missed visits
            M = Sinv - u[:, :, None] * u[:, None, :] - (WX @ Ainv) @ np.swapaxes(WX, 1, 2)
            G += np.where(both, M, 0.0).sum(axis=0)
        return value, (G + G.T) / 2, beta, A


def _to_cholesky(theta: np.ndarray, T: int) -> np.ndarray:
    L = np.zeros((T, T))
    L[np.tril_indices(T)] = theta
    L[np.diag_indices(T)] = np.exp(np.diag(L))
    return L


def _from_cholesky(L: np.ndarray) -> np.ndarray:
    M = L.copy()
    M[np.diag_indices(len(L))] = np.log(np.diag(L))
    return M[np.tril_indices(len(L))]


def _start(frame_y: np.ndarray, X: np.ndarray, patient: np.ndarray, visit_index: np.ndarray, T: int) -> np.ndarray:
    """A positive definite starting covariance: the per-visit variances of the OLS residuals and
    their pairwise correlations (complete pairs), shrunk towards independence."""
    beta, *_ = np.linalg.lstsq(X, frame_y, rcond=None)
    r = frame_y - X @ beta
    wide = pd.DataFrame({"p": patient, "v": visit_index, "r": r}).pivot_table(index="p", columns="v", values="r")
    wide = wide.reindex(columns=range(T))
    var = np.nanmean(wide.to_numpy() ** 2, axis=0)
    var = np.where(np.isfinite(var) & (var > 0), var, np.nanmean(r**2))
    corr = wide.corr(min_periods=3).to_numpy()
    corr = np.where(np.isfinite(corr), corr, 0.0) * 0.9
    np.fill_diagonal(corr, 1.0)
    sigma = corr * np.sqrt(np.outer(var, var))
    w = np.linalg.eigvalsh(sigma)
    if w.min() <= 1e-8 * w.max():
        sigma = np.diag(var)
    return sigma


def _hessian(gradient, theta: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """The Hessian by central differences of the analytic gradient, symmetrised."""
    H = np.empty((len(theta), len(theta)))
    for j in range(len(theta)):
        e = np.zeros_like(theta)
        e[j] = h
        H[:, j] = (gradient(theta + e) - gradient(theta - e)) / (2 * h)
    return (H + H.T) / 2


def fit_reml(X: np.ndarray, y: np.ndarray, patient: np.ndarray, visit_index: np.ndarray, T: int):
    """REML fit of GLS with an unstructured T x T covariance: (beta, V = A^-1, Sigma, -2 l_R
    without constants, the optimiser's success flag, its message)."""
    from scipy.optimize import minimize

    pat = _Patterns(X, y, patient, visit_index, T)
    L0 = np.linalg.cholesky(_start(y, X, patient, visit_index, T))
    tril = np.tril_indices(T)
    diag_in_tril = tril[0] == tril[1]

    def objective(theta):
        L = _to_cholesky(theta, T)
        out = pat.criterion(L @ L.T)
        if out is None:
            return np.inf, np.zeros_like(theta)
        value, G, _, _ = out
        dL = (2 * G @ L)[tril]
        dL[diag_in_tril] *= np.diag(L)  # d/d log L_jj
        return value, dL

    res = minimize(objective, _from_cholesky(L0), jac=True, method="BFGS", options={"gtol": 1e-5, "maxiter": 2000})
    theta, converged, message = res.x, False, str(res.message)
    # then Newton's method on the analytic gradient, the Hessian by central differences of it:
    # BFGS stops with a gradient near its tolerance, a little short of the optimum on a flat
    # REML surface; Newton steps reach it (converged: the Newton decrement below 1e-12)
    H = None
    for step_number in range(MAX_NEWTON_STEPS):
        value, g = objective(theta)
        if not (np.isfinite(value) and np.all(np.isfinite(g))):
            break
        if H is None or step_number % NEWTON_HESSIAN_EVERY == 0:  # the Hessian is reused a few steps
            H = _hessian(lambda t: objective(t)[1], theta)
            if not np.all(np.linalg.eigvalsh(H) > 0):
                converged, message = bool(res.success), "the REML criterion is not convex here (a boundary fit)"
                break
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            converged, message = bool(res.success), "singular Hessian of the REML criterion"
            break
        decrement = float(g @ step)
        if decrement < NEWTON_DECREMENT:
            converged, message = True, "Newton decrement below 1e-12"
            break
        t = 1.0
        while t > 1e-6 and not objective(theta - t * step)[0] <= value:
            t /= 2
        if t <= 1e-6:
            converged = bool(res.success)
            message = "no further decrease of the REML criterion"
            break
        theta = theta - t * step
    L = _to_cholesky(theta, T)
    sigma = L @ L.T
    value, _, beta, A = pat.criterion(sigma, gradient=False)
    return beta, np.linalg.inv(A), sigma, value, converged, str(res.message)


# ---------------------------------------------------------------- the analysis
def fit_mmrm(rows: pd.DataFrame, reference: str, alpha: float = 0.05, visits=None, window: float | None = None,
             where: str = "-") -> tuple[MmrmResult | None, list[str]]:
    """The MMRM of a controlled study's long rows: (result or None, notes).

    ``rows``: one row per HbA1c measurement at time > 0 of the patients with a baseline, with
    columns patient_id, arm, months (since time zero), hba1c (NGSP %) and baseline (the
    patient's baseline HbA1c, NGSP %). ``visits`` (months) and ``window``: the parameter
    ``visits`` and ``visit_window`` (None: the distinct times when at most 12)."""
    from scipy import stats as st

    missing = [c for c in COLUMNS if c not in rows.columns]
    if missing:
        raise InputError([Problem(where, None, c, "column needed by the MMRM is missing") for c in missing])
    notes: list[str] = []
    frame = rows.loc[rows["hba1c"].notna() & rows["baseline"].notna() & (rows["months"] > 0),
                     list(COLUMNS)].copy()
    frame["arm"] = frame["arm"].astype(str)
    nominal = nominal_visits(frame["months"], visits)
    if nominal is None:
        notes.append(f"no MMRM: more than {MAX_DISTINCT_VISITS} distinct post-baseline times; give the nominal "
                     "visits with -p visits=... (and -p visit_window=...)")
        return None, notes
    if visits is not None and len(visits):
        assigned, dropped = assign_visits(frame["patient_id"].to_numpy(), frame["months"].to_numpy(), nominal, window)
        frame["visit"] = assigned
        if dropped:
            notes.append(f"{dropped} measurement{'s' if dropped != 1 else ''} not used by the MMRM: outside every "
                         "visit window, or not the nearest to its visit")
        frame = frame[frame["visit"].notna()]
    else:
        frame["visit"] = frame["months"].astype(float)
    present = set(frame["arm"].unique())  # each arm once, not a Python text per row
    arms = [reference] + sorted(present - {reference})
    if reference not in present or len(arms) < 2:
        notes.append("no MMRM: it needs the reference arm and at least one other arm with visits")
        return None, notes
    kept_visits = []
    for v in nominal:
        at = frame[frame["visit"] == v]
        n = {a: int(at.loc[at["arm"] == a, "patient_id"].nunique()) for a in arms}
        if min(n.values()) < MIN_PER_ARM_AT_VISIT:
            notes.append(f"visit at month {v:g} left out of the MMRM: an arm has fewer than "
                         f"{MIN_PER_ARM_AT_VISIT} patients there")
            continue
        kept_visits.append((v, n))
    if not kept_visits:
        notes.append("no MMRM: no visit has at least 2 patients in every arm")
        return None, notes
    visit_times = [v for v, _ in kept_visits]
    frame = frame[frame["visit"].isin(visit_times)]
    X, names = design_matrix(frame, arms, visit_times)
    N, p = X.shape
    if N <= p or np.linalg.matrix_rank(X) < p:
        notes.append("no MMRM: the model cannot be estimated from these rows (singular design)")
        return None, notes
    T = len(visit_times)
    vindex = np.searchsorted(np.asarray(visit_times), frame["visit"].to_numpy(float))
    patient = pd.factorize(frame["patient_id"])[0]
    try:
        beta, V, sigma, value, converged, message = fit_reml(X, frame["hba1c"].to_numpy(float), patient, vindex, T)
    except (np.linalg.LinAlgError, ValueError, FloatingPointError) as e:
        notes.append(f"no MMRM: the fit failed ({e})")
        return None, notes
    if not converged:
        notes.append(f"the MMRM's optimiser did not report convergence ({message})")
    df = float(N - p)
    q = float(st.t.ppf(1 - alpha / 2, df))
    col = {n: j for j, n in enumerate(names)}
    comparisons = []
    for a in arms[1:]:
        for v in visit_times:
            c = np.zeros(p)
            c[col[f"arm{a}"]] = 1.0
            if v != visit_times[0]:
                c[col[f"arm{a}:visit{_label(v)}"]] = 1.0
            est = float(c @ beta)
            se = float(math.sqrt(max(float(c @ V @ c), 0.0)))
            p_value = float(2 * st.t.sf(abs(est / se), df)) if se > 0 else None
            comparisons.append(VisitDifference(a, reference, float(v), est, se, est - q * se, est + q * se, df,
                                               p_value))
    sd = np.sqrt(np.diag(sigma))
    corr = sigma / np.outer(sd, sd)
    off = corr[np.triu_indices(T, 1)]
    boundary = bool((len(off) and np.max(np.abs(off)) > BOUNDARY_CORRELATION)
                    or np.min(sd**2) / np.max(sd**2) < BOUNDARY_VARIANCE_RATIO)
    if boundary:
        notes.append("the MMRM's covariance lies on the boundary (a visit correlation of about +-1 or a visit "
                     "variance of about 0): its standard errors are unreliable")
    # R's REML logLik(gls): -(N - p)/2 log(2 pi) - 1/2 (the criterion); nlme leaves out log|X'X| / 2
    log_lik = -0.5 * (N - p) * math.log(2 * math.pi) - 0.5 * value
    result = MmrmResult(tuple({"visit": float(v), "label": f"month {v:g}", "n": n} for v, n in kept_visits), tuple(comparisons), converged,
                        boundary, int(frame["patient_id"].nunique()), int(N),
                        dict(zip(names, map(float, beta))), sigma, log_lik, tuple(notes))
    return result, notes


# ---------------------------------------------------------------- results.json
def rows_from_model_frame(model_frame: pd.DataFrame) -> pd.DataFrame:
    """The MMRM's rows from a long cohort's mixed-model frame (``patient_id``, ``months``,
    ``hba1c``, ``arm``: each included patient's derived baseline measurement at time <= 0 and
    every measurement at time > 0): the rows at time > 0 of the patients with a baseline, with
    that baseline as the column ``baseline``."""
    mf = model_frame
    codes, uniques = pd.factorize(mf["patient_id"])  # on integer codes: no text matched per row
    months, hba1c = mf["months"].to_numpy(float), mf["hba1c"].to_numpy(float)
    before = (months <= 0) & (codes >= 0)
    has_base = np.zeros(len(uniques), dtype=bool)
    has_base[codes[before]] = True
    at = np.flatnonzero(before & ~np.isnan(hba1c))  # each patient's last such row (groupby's last)
    _, last = np.unique(codes[at][::-1], return_index=True)
    base = np.full(len(uniques), np.nan)
    base[codes[at[len(at) - 1 - last]]] = hba1c[at[len(at) - 1 - last]]
    keep = (months > 0) & (codes >= 0)
    keep[keep] = has_base[codes[keep]]
    post = mf[keep].copy()
    post["baseline"] = base[codes[keep]]
    return post


BOUNDARY_SD_RATIO = 1e-3  # mixed_model: a random-effect SD below this times the residual SD is ~0


def mixed_model_boundary(block: dict | None) -> bool | None:
    """Whether a ``mixed_model`` block (results.json layout: ``sd_intercept``, ``sd_slope``,
    ``sd_residual``, ``corr_intercept_slope``) is a boundary (singular) fit: a random-effect SD
    below 1e-3 x the residual SD, or |intercept-slope correlation| > 0.999 (interface.md,
    Clarifications, "MMRM"). None without a fit."""
    if not block or block.get("sd_residual") is None:
        return None
    sds = [block.get("sd_intercept"), block.get("sd_slope")]
    if any(sd is None or not math.isfinite(sd) or sd < BOUNDARY_SD_RATIO * block["sd_residual"] for sd in sds):
        return True
    corr = block.get("corr_intercept_slope")
    return bool(corr is not None and math.isfinite(corr) and abs(corr) > BOUNDARY_CORRELATION)


def with_boundary(longitudinal_block: dict) -> dict:
    """The ``longitudinal`` block with ``boundary`` added to ``mixed_model`` and to each arm's
    of ``mixed_model_by_arm`` (``mixed_model_boundary``); a new dict."""
    out = dict(longitudinal_block)
    if out.get("mixed_model"):
        out["mixed_model"] = {**out["mixed_model"], "boundary": mixed_model_boundary(out["mixed_model"])}
    if out.get("mixed_model_by_arm"):
        out["mixed_model_by_arm"] = {a: None if m is None else {**m, "boundary": mixed_model_boundary(m)}
                                     for a, m in out["mixed_model_by_arm"].items()}
    return out


def with_mmrm(cohort, longitudinal_block: dict | None) -> dict | None:
    """The ``longitudinal`` block with ``mmrm`` (the contract's block, or ``None``) and
    ``mmrm_notes`` (why it is null, what was dropped) merged in: a controlled study's long
    file only (``mmrm`` ``None`` otherwise, without a note); and the mixed models' ``boundary``
    flags (``with_boundary``). Parameters ``visits`` and ``visit_window`` (months) when given;
    the reference arm as the arms block's. The fit is made once per build (``Cohort.once``)."""
    if longitudinal_block is None:
        return None

    out = with_boundary(longitudinal_block)
    out["mmrm"], out["mmrm_notes"] = mmrm_block(cohort)
    return out


def mmrm_block(cohort) -> tuple[dict | None, list[str]]:
    """``longitudinal.mmrm`` of a cohort and its notes: (None, []) unless the cohort is a
    controlled study's long file; fitted once per build (``Cohort.once``, shared by the
    chapters that state it)."""
    long = getattr(cohort, "longitudinal", None)
    if long is None or not cohort.has("arm"):
        return None, []
    reference, arms = ordered_arms(cohort)
    if reference is None or len(arms) < 2:
        return None, []
    once = getattr(cohort, "once", None)
    block, notes = (once("mmrm", lambda: _mmrm_of(cohort, reference), shared=True) if once
                    else _mmrm_of(cohort, reference))
    return block, list(notes)


def _mmrm_of(cohort, reference: str) -> tuple[dict | None, list[str]]:
    """The ``mmrm`` block of a controlled long cohort and its notes (``fit_mmrm`` on the model
    frame's rows); (None, []) when the model frame has no arm. Visits: an ADaM file's
    post-baseline ``AVISITN`` (``adam_visit_rows``) unless parameter ``visits`` is given; each
    visit's ``label`` as the page shows it (``AVISIT``, else ``visit_label``)."""
    frame = cohort.longitudinal.model_frame()
    if "arm" not in frame:
        return None, []
    params = cohort.params
    window = params.get("visit_window")
    window = None if window in (None, "", "auto") else float(window)
    visits = parse_visits(params.get("visits"))
    rows, notes, labels = rows_from_model_frame(frame), [], {}
    adam = getattr(cohort, "visits", None)
    if adam is not None and not (visits is not None and len(visits)):
        rows, labels, note = adam_visit_rows(rows, adam)
        notes += [note] if note else []
    result, fit_notes = fit_mmrm(rows, reference, params["alpha"], visits, window,
                                 where=str(getattr(cohort, "path", "-")))
    notes += fit_notes
    if result is None:
        return None, notes
    block = result.interface()
    for v in block["visits"]:
        if v["visit"] in labels:  # ADaM: AVISIT, and AVISITN beside it (the number the label shows)
            v["label"], v["avisitn"] = labels[v["visit"]]
        else:  # the time in the label's unit beside it (the number the label shows)
            v["label"] = visit_label(v["visit"])
            v["label_time"] = float(v["label"].split()[-1])
    return block, notes


def visit_label(months: float) -> str:
    """A nominal visit as the page names it, from its time in months since time zero (months x
    30.4375 days): "month M" for a whole or half month, else "week W" for a whole week, else
    "day D" for a whole day, else "month M" (3 significant digits)."""
    days = months * DAYS_PER_MONTH
    if abs(months * 2 - round(months * 2)) < 1e-9:
        return f"month {months:g}"
    if abs(days / 7 - round(days / 7)) < 1e-6:
        return f"week {round(days / 7)}"
    if abs(days - round(days)) < 1e-6:
        return f"day {round(days)}"
    return f"month {months:.3g}"


def adam_visit_rows(rows: pd.DataFrame, visits: pd.DataFrame) -> tuple[pd.DataFrame, dict, str]:
    """The MMRM's rows of an ADaM file at its nominal visits: each row (column ``row``, the
    file's row) gets its record's ``AVISITN`` (``adam.visit_table``); rows without one are
    left out and counted; each visit's time is the median of its rows' times (months, so that
    the visits keep their order and the results their unit), and ``months`` becomes that time.
    Returns (rows, {visit time: (AVISIT label, AVISITN)}, note or '')."""
    number = rows["row"].map(visits["visit_number"])
    keep = number.notna().to_numpy()
    dropped = int((~keep).sum())
    out = rows.loc[keep].copy()
    out["visit_number"] = number[keep].to_numpy(float)
    nominal = out.groupby("visit_number")["months"].median()
    out["months"] = out["visit_number"].map(nominal).to_numpy(float)
    label = rows.loc[keep, "row"].map(visits["visit_label"])
    by_time = pd.DataFrame({"months": out["months"].to_numpy(), "label": label.to_numpy(dtype=object),
                            "number": out["visit_number"].to_numpy(float)}).groupby("months")
    labels = {float(t): (str(g["label"].mode().iat[0]), float(g["number"].iat[0])) for t, g in by_time}
    note = (f"{dropped} post-baseline HbA1c record{'s' if dropped != 1 else ''} without an AVISITN not used by "
            "the MMRM" if dropped else "")
    return out.drop(columns="visit_number"), labels, note
