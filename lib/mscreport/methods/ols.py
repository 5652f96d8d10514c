"""Least squares, the one helper for every linear model: ``fit_ols`` (R: ``lm``, ``summary``,
``confint``) and the nested F test ``compare_nested`` (R: ``anova(small, big)``).

statsmodels' ``OLSResults`` computes the inference of a fit, whatever solved it:
coefficients, standard errors, t = estimate / SE on the residual df, two-sided p, the
interval at 1 - alpha (estimate -+ t quantile x SE), the residual sum of squares and R^2.
The design matrix is a numpy array built by the caller (no formula frames: the 1e7-patient
builds fit these models on millions of rows); ``names`` names its columns.

The solver, how the least-squares problem is solved (they agree to about 1e-13 relative;
each caller keeps the one it has always used, so every reported number stays the same to
the last bit):

* ``"pinv"`` (default): statsmodels' own fit, the SVD pseudo-inverse of X;
* ``"qr"``: Householder QR of X (numpy), beta = R^-1 Q'y and (X'X)^-1 = R^-1 R^-T, as R's
  ``lm`` solves (the ANCOVA of a controlled study; X of full column rank);
* ``"lstsq"``: LAPACK's rank-revealing SVD solver (``numpy.linalg.lstsq``), whose rank is
  the one R's ``anova`` counts when a design is rank deficient (an arm with no severe
  patient leaves its interaction column empty).

A rank-deficient fit has no coefficients (R: NA for the aliased ones), only its RSS, rank
and residuals. ``inference=False`` (solver lstsq) gives the least-squares solution alone
(coefficients, rank, RSS, residuals) without a statsmodels model, whose set-up passes over X
several times (0.7 CPU s at 1e7 rows x 2): for the nested F test, the residuals of a partial
correlation and a figure's line. ``weights`` are frequency weights, each row standing for
that many identical rows: the same solution as the fit of every row (statsmodels' WLS, or
lstsq on the rows scaled by sqrt(weight)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

SOLVERS = ("pinv", "qr", "lstsq")


@dataclass(frozen=True)
class Term:
    """One coefficient of a linear model (R: a row of ``summary(lm)$coefficients`` and of
    ``confint(lm, level = 1 - alpha)``). With SE 0 (the points on the fitted plane) there is
    no test: t, p and the interval are None; without inference only the estimate is set."""

    estimate: float
    se: float | None
    t: float | None
    p: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class OlsFit:
    """A fitted linear model y ~ X: n rows, the rank of X, residual df = n - rank, the
    residual sum of squares (``deviance(lm)``), R^2 (``summary(lm)$r.squared``; centred: the
    designs have an intercept; None without inference), the intervals' alpha and one ``Term``
    per column of X (empty when X is rank deficient). ``residuals`` only when asked for (n
    floats)."""

    names: tuple[str, ...]
    n: int
    rank: int
    df_resid: int
    rss: float
    r_squared: float | None
    alpha: float
    terms: dict[str, Term]
    residuals: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __getitem__(self, name: str) -> Term:
        return self.terms[name]


@dataclass(frozen=True)
class NestedTest:
    """The F test of a model against a larger one containing it (R: ``anova(small, big)``):
    F = ((RSS_small - RSS_big) / df1) / (RSS_big / df2), df1 = the difference of the ranks,
    df2 = the larger model's residual df."""

    f: float
    df1: float
    df2: float
    p: float

    def interface(self) -> dict:
        return {"f": self.f, "df1": self.df1, "df2": self.df2, "p": self.p}


def _solve_qr(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """beta and the unscaled covariance (X'X)^-1 by Householder QR (X of full column rank)."""
    q, r = np.linalg.qr(X)
    beta = np.linalg.solve(r, q.T @ y)
    r_inv = np.linalg.solve(r, np.eye(X.shape[1]))
    return beta, r_inv @ r_inv.T, X.shape[1]


def _solve_lstsq(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, int]:
    """beta, (X'X)^-1 (None when X is rank deficient) and the rank, by LAPACK's gelsd."""
    beta, _, rank, _ = np.linalg.lstsq(X, y, rcond=None)
    return beta, (np.linalg.inv(X.T @ X) if rank == X.shape[1] else None), int(rank)


def fit_ols(y, X, names=None, alpha: float = 0.05, solver: str = "pinv", weights=None,
            residuals: bool = False, inference: bool = True) -> OlsFit:
    """Fit y ~ X by least squares (``X`` an n x k array whose columns include the intercept;
    ``names`` its k distinct column names, default x0, x1, ...). See the module's docstring
    for the solvers, the weights and ``inference``. ``residuals=True`` keeps y - X beta."""
    y, X = np.asarray(y, dtype=float), np.asarray(X, dtype=float)
    n, k = X.shape
    names = tuple(names) if names is not None else tuple(f"x{j}" for j in range(k))
    if len(names) != k or len(set(names)) != k or len(y) != n:
        raise ValueError(f"fit_ols: {len(y)} responses, a {n} x {k} design and {len(set(names))} distinct names")
    if solver not in SOLVERS or (not inference and solver != "lstsq"):
        raise ValueError(f"fit_ols: solver {solver!r} is not one of {SOLVERS} (lstsq without inference)")
    if weights is not None and solver == "qr":
        raise ValueError("fit_ols: weights are fitted by statsmodels' WLS (pinv) or by lstsq")
    if not inference:
        return _solution(y, X, names, alpha, weights, residuals)
    from statsmodels.regression.linear_model import OLS, WLS, OLSResults

    model = OLS(y, X) if weights is None else WLS(y, X, weights=np.asarray(weights, dtype=float))
    if solver == "pinv":
        res = model.fit()
    else:
        beta, unscaled_cov, rank = (_solve_qr if solver == "qr" else _solve_lstsq)(model.wexog, model.wendog)
        model.rank, model.df_resid = rank, model.nobs - rank  # as OLS.fit sets them
        res = OLSResults(model, beta, normalized_cov_params=unscaled_cov)
    rank = int(res.model.rank)
    with np.errstate(divide="ignore", invalid="ignore"):  # SE 0 (no test) or y constant (R^2 NaN)
        terms = _terms(res, names, alpha) if rank == k else {}
        r_squared = float(res.rsquared)
    return OlsFit(names, n, rank, n - rank, float(res.ssr), r_squared, alpha, terms,
                  np.asarray(res.resid) if residuals else None)


def _solution(y, X, names, alpha, weights, residuals) -> OlsFit:
    """The lstsq solution alone: coefficients (no SE), rank, RSS and residuals."""
    if weights is not None:
        root = np.sqrt(np.asarray(weights, dtype=float))
        beta, _, rank, _ = np.linalg.lstsq(X * root[:, None], y * root, rcond=None)
        resid = y - X @ beta
        rss = float((root * resid) @ (root * resid))
    else:
        beta, _, rank, _ = np.linalg.lstsq(X, y, rcond=None)
        resid = y - X @ beta
        rss = float(resid @ resid)
    rank, k = int(rank), X.shape[1]
    terms = {name: Term(float(b), None, None, None, None, None) for name, b in zip(names, beta)} if rank == k else {}
    return OlsFit(names, len(y), rank, len(y) - rank, rss, None, alpha, terms, resid if residuals else None)


def _terms(res, names: tuple[str, ...], alpha: float) -> dict[str, Term]:
    """One Term per coefficient of a statsmodels result of full rank."""
    ci, out = res.conf_int(alpha), {}
    for j, name in enumerate(names):
        est, se = float(res.params[j]), float(res.bse[j])
        if se > 0 and math.isfinite(se):
            out[name] = Term(est, se, float(res.tvalues[j]), float(res.pvalues[j]), float(ci[j][0]), float(ci[j][1]))
        else:
            out[name] = Term(est, se, None, None, None, None)
    return out


def compare_nested(small: OlsFit, big: OlsFit) -> NestedTest | None:
    """R's ``anova(small, big)`` F test of two fits of the same y, ``small`` nested in ``big``;
    None when it cannot be tested (no added rank, no residual df or a perfect fit of ``big``)."""
    from scipy import stats as st

    df1, df2 = big.rank - small.rank, big.df_resid
    if df1 <= 0 or df2 <= 0 or big.rss <= 0:
        return None
    f = ((small.rss - big.rss) / df1) / (big.rss / df2)
    return NestedTest(f, float(df1), float(df2), float(st.f.sf(f, df1, df2)))
