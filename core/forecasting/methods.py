"""Forecasting models with one interface, and the seasonal adjustment they share.

Every model follows scikit-learn's habits: ``__init__`` stores parameters unchanged, ``fit(y)``
validates, learns attributes ending in ``_`` and returns ``self``; ``predict(h, level)`` returns
``(mean, lo, hi)`` numpy arrays of length ``h``. ``spec()`` returns the structure chosen by an
automatic search (ETS trend, ARIMA order) so later refits can reuse it without searching again.

Models see a clean float array without NaN (the caller interpolates gaps). Seasonality is removed
beforehand by :class:`SeasonalAdjuster` for the non-seasonal models; seasonal naive works on the raw
series.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from scipy.stats import norm

warnings.filterwarnings("ignore", module="statsmodels")


def z_value(level: float) -> float:
    return float(norm.ppf(0.5 + level / 200.0))


class Model:
    name = "model"
    label = "model"

    def spec(self) -> dict[str, Any]:
        return {}

    def fit(self, y: np.ndarray) -> Model:  # pragma: no cover - interface
        raise NotImplementedError

    def _mean(self, h: int) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def _sd(self, h: int) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def predict(self, h: int, level: float = 90.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        mean = np.asarray(self._mean(h), dtype=float)
        sd = np.asarray(self._sd(h), dtype=float)
        z = z_value(level)
        return mean, mean - z * sd, mean + z * sd


def _check(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=float)
    if y.ndim != 1 or y.size == 0 or not np.isfinite(y).all():
        raise ValueError("model input must be a non-empty finite 1-d array")
    return y


def _rmse(e: np.ndarray) -> float:
    e = e[np.isfinite(e)]
    return float(np.sqrt(np.mean(e**2))) if e.size else 0.0


class Naive(Model):
    """Tomorrow equals today. Intervals grow like a random walk."""

    name, label = "naive", "last value carried forward"

    def fit(self, y):
        y = _check(y)
        self.last_ = y[-1]
        self.sigma_ = _rmse(np.diff(y)) if y.size > 1 else 0.0
        return self

    def _mean(self, h):
        return np.full(h, self.last_)

    def _sd(self, h):
        return self.sigma_ * np.sqrt(np.arange(1, h + 1))


class SeasonalNaive(Model):
    """Same as one season ago."""

    name, label = "seasonal_naive", "same as last season"

    def __init__(self, season: int = 1):
        self.season = season

    def fit(self, y):
        y = _check(y)
        m = int(self.season) if self.season and self.season > 1 and y.size > self.season else 1
        self.m_ = m
        self.last_ = y[-m:]
        self.sigma_ = _rmse(y[m:] - y[:-m]) if y.size > m else 0.0
        return self

    def _mean(self, h):
        return np.resize(self.last_, h)

    def _sd(self, h):
        return self.sigma_ * np.sqrt(np.arange(h) // self.m_ + 1)


class Mean(Model):
    name, label = "mean", "long-run average"

    def fit(self, y):
        y = _check(y)
        self.mu_ = float(y.mean())
        self.sigma_ = float(y.std(ddof=1)) if y.size > 1 else 0.0
        return self

    def _mean(self, h):
        return np.full(h, self.mu_)

    def _sd(self, h):
        return np.full(h, self.sigma_ * math.sqrt(1 + 1 / 2))


def _ses_filter(y: np.ndarray, alpha: float, l0: float) -> tuple[np.ndarray, float]:
    """One-step errors and final level of simple exponential smoothing (via a linear filter)."""
    from scipy.signal import lfilter

    # l_t = alpha*y_t + (1-alpha) l_{t-1}
    lev, _ = lfilter([alpha], [1.0, -(1.0 - alpha)], y, zi=[(1.0 - alpha) * l0])
    prev = np.concatenate([[l0], lev[:-1]])
    return y - prev, float(lev[-1])


def _fit_ses(y: np.ndarray) -> tuple[float, float, float]:
    """(alpha, final level, sigma) minimising squared one-step errors; cheap grid + refine."""
    from scipy.optimize import minimize_scalar

    l0 = float(np.mean(y[: min(len(y), 5)]))

    def sse(a):
        e, _ = _ses_filter(y, a, l0)
        return float(np.dot(e, e))

    grid = np.array([0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.99])
    vals = [sse(a) for a in grid]
    i = int(np.argmin(vals))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    if hi > lo:
        r = minimize_scalar(sse, bounds=(lo, hi), method="bounded", options={"xatol": 1e-3})
        a = float(r.x) if r.fun <= vals[i] else float(grid[i])
    else:
        a = float(grid[i])
    e, last = _ses_filter(y, a, l0)
    return a, last, _rmse(e[1:] if len(e) > 1 else e)


class SES(Model):
    """Simple exponential smoothing (ETS A,N,N)."""

    name, label = "ses", "smoothed level"

    def fit(self, y):
        y = _check(y)
        self.alpha_, self.level_, self.sigma_ = _fit_ses(y)
        self.n_ = y.size
        return self

    def _mean(self, h):
        return np.full(h, self.level_)

    def _sd(self, h):
        j = np.arange(h)
        return self.sigma_ * np.sqrt(1 + j * self.alpha_**2)


class Theta(Model):
    """The Theta method: exponential smoothing plus half the long-run linear trend."""

    name, label = "theta", "smoothed level plus half the long-run trend (Theta)"

    def fit(self, y):
        y = _check(y)
        n = y.size
        self.alpha_, self.level_, self.sigma_ = _fit_ses(y)
        t = np.arange(n, dtype=float)
        self.b0_ = float(np.polyfit(t, y, 1)[0]) if n > 2 else 0.0
        self.n_ = n
        return self

    def _mean(self, h):
        a = max(self.alpha_, 1e-3)
        k = np.arange(h, dtype=float)
        trend = 0.5 * self.b0_ * (k + 1 / a - ((1 - a) ** self.n_) / a)
        return self.level_ + trend

    def _sd(self, h):
        j = np.arange(h)
        return self.sigma_ * np.sqrt(1 + j * self.alpha_**2)


def _lfilter(b, a, x):
    from scipy.signal import lfilter

    return lfilter(b, a, x)


_IMP: dict[int, np.ndarray] = {}


def _impulse(den: np.ndarray, n: int) -> np.ndarray:
    imp = _IMP.get(n)
    if imp is None:
        imp = np.zeros(n)
        imp[0] = 1.0
        _IMP.clear()
        _IMP[n] = imp
    return _lfilter([1.0], den, imp)


def _holt_sse(params: np.ndarray, y: np.ndarray, damped: bool) -> tuple[float, np.ndarray]:
    """SSE of additive-trend exponential smoothing with optimal initial states.

    ETS(A,A[d],N) is a linear system, so the one-step forecasts are a linear filter of the data
    plus the free response to the initial (level, slope); the best initial states are then a
    2-column least-squares problem. Each evaluation costs a few microseconds per point, in C.
    """
    a, bs, phi = params[0], params[1], (params[2] if damped else 1.0)
    b = a * bs
    d11, d12, d21, d22 = 1 - a, phi * (1 - a), -b, phi * (1 - b)
    w1, w2, g1, g2 = 1.0, phi, a, b
    tr, det = d11 + d22, d11 * d22 - d12 * d21
    n1 = w1 * g1 + w2 * g2
    n0 = w1 * (-d22 * g1 + d12 * g2) + w2 * (d21 * g1 - d11 * g2)
    den = np.array([1.0, -tr, det])
    yhat0 = _lfilter([0.0, n1, n0], den, y)
    # free response w D^t e_j (s0 = w_j, s1 = (w D)_j) = b0*g_t + b1*g_{t-1}, g = impulse response of 1/den
    g = _impulse(den, y.size)
    gs = np.r_[0.0, g[:-1]]
    c1 = w1 * g + ((w1 * d11 + w2 * d21) - tr * w1) * gs
    c2 = w2 * g + ((w1 * d12 + w2 * d22) - tr * w2) * gs
    r = y - yhat0
    a11, a12, a22 = c1 @ c1, c1 @ c2, c2 @ c2
    r1, r2 = c1 @ r, c2 @ r
    det2 = a11 * a22 - a12 * a12
    if not np.isfinite(det2) or not np.isfinite(r1) or abs(det2) < 1e-12 * max(a11 * a22, 1e-300):
        return float("inf"), np.zeros(2)
    x0 = np.array([(a22 * r1 - a12 * r2) / det2, (a11 * r2 - a12 * r1) / det2])
    e = r - x0[0] * c1 - x0[1] * c2
    return float(np.dot(e, e)), x0


def _fit_holt(y: np.ndarray, damped: bool) -> dict[str, float]:
    from scipy.optimize import minimize

    bounds = [(0.01, 0.99), (0.01, 0.99)] + ([(0.8, 0.98)] if damped else [])
    x0 = np.array([0.3, 0.1, 0.9][: len(bounds)])
    best = minimize(
        lambda p: _holt_sse(p, y, damped)[0],
        x0,
        method="Nelder-Mead",
        bounds=bounds,
        options={"xatol": 5e-3, "fatol": 1e-6, "maxfev": 150},
    )
    params = best.x
    sse, (lev, slope) = _holt_sse(params, y, damped)
    a, b, phi = params[0], params[0] * params[1], (params[2] if damped else 1.0)
    for yt in y:  # run the recursion once to get the final states
        e = yt - (lev + phi * slope)
        lev = lev + phi * slope + a * e
        slope = phi * slope + b * e
    return {
        "alpha": float(a),
        "beta": float(params[1]),
        "phi": float(phi),
        "level": float(lev),
        "slope": float(slope),
        "sse": float(sse),
    }


class ETS(Model):
    """Exponential smoothing with additive errors; trend none / additive / damped chosen by AICc.

    Seasonality is handled by :class:`SeasonalAdjuster` before this model sees the series.
    """

    name, label = "ets", "exponential smoothing (ETS)"

    def __init__(self, trend: str = "auto"):
        self.trend = trend  # "auto" | "N" | "A" | "Ad"

    def spec(self):
        return {"trend": self.trend_}

    def _fit_one(self, y, trend):
        n = y.size
        if trend == "N":
            a, lev, sig = _fit_ses(y)
            sse = sig**2 * max(n - 1, 1)
            k = 2
            st = {"trend": "N", "alpha": a, "level": lev, "slope": 0.0, "beta": 0.0, "phi": 1.0, "sigma": sig}
        else:
            fit = _fit_holt(y, damped=(trend == "Ad"))
            sse = fit.pop("sse")
            k = 4 + (trend == "Ad")
            st = {"trend": trend, **fit, "sigma": math.sqrt(sse / n)}
        aicc = n * math.log(max(sse / n, 1e-300)) + 2 * k + (2 * k * (k + 1)) / max(n - k - 1, 1)
        return aicc, st

    def fit(self, y):
        y = _check(y)
        choices = ["N", "A", "Ad"] if self.trend == "auto" else [self.trend]
        if y.size < 10:
            choices = ["N"]
        best = None
        for c in choices:
            try:
                aicc, st = self._fit_one(y, c)
            except Exception:
                continue
            if best is None or aicc < best[0]:
                best = (aicc, st)
        if best is None:
            _, best_state = self._fit_one(y, "N")
        else:
            best_state = best[1]
        self.state_ = best_state
        self.trend_ = best_state["trend"]
        return self

    def _mean(self, h):
        s = self.state_
        k = np.arange(1, h + 1)
        if s["trend"] == "N":
            return np.full(h, s["level"])
        phi = s["phi"]
        if phi < 1.0:
            damp = phi * (1 - phi**k) / (1 - phi)
        else:
            damp = k.astype(float)
        return s["level"] + damp * s["slope"]

    def _sd(self, h):
        s = self.state_
        a, b, phi = s["alpha"], s["beta"], s["phi"]
        j = np.arange(1, h)
        if s["trend"] == "N":
            c = np.full(h - 1, a)
        elif phi < 1.0:
            c = a * (1 + b * phi * (1 - phi**j) / (1 - phi))
        else:
            c = a * (1 + b * j)
        var = 1 + np.concatenate([[0.0], np.cumsum(c**2)])
        return s["sigma"] * np.sqrt(var)


class ARIMA(Model):
    """ARIMA(p,d,q) fitted by conditional least squares, with a small order search by AICc.

    Differencing (d = 0, 1 or 2) is chosen by repeated KPSS tests, as R's auto.arima does; with
    d = 1 a drift term is kept if the mean change is clearly not zero (never with d = 2).
    Conditional least squares through a linear filter keeps each fit to a few milliseconds, so the
    search stays cheap even for hundreds of series.
    """

    name, label = "arima", "ARIMA"

    MAX_POINTS = 300

    def __init__(self, order: tuple[int, int, int] | str = "auto", drift: bool | None = None):
        self.order = order
        self.drift = drift

    def spec(self):
        return {"order": self.order_, "drift": self.drift_}

    MAX_D = 2
    MAX_PQ = 2

    @classmethod
    def _ndiffs(cls, y):
        """How many differences make the series stationary: KPSS at 5 %, repeated (as auto.arima does)."""
        from statsmodels.tsa.stattools import kpss

        if y.size < 12:
            return 1
        d, x = 0, y
        while d < cls.MAX_D and x.size >= 12 and np.ptp(x) > 0:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    # the short lag window of R's auto.arima; statsmodels' "auto" window grows with the
                    # persistence of the series and so calls smooth trends stationary
                    _, p, *_ = kpss(x, regression="c", nlags=max(1, int(3 * math.sqrt(x.size) / 13)))
            except Exception:
                return max(d, 1)
            if p >= 0.05:
                break
            d += 1
            x = np.diff(x)
        return d

    @staticmethod
    def _resid(params, x, p, q, mean):
        from scipy.signal import lfilter

        mu = params[p + q] if mean else 0.0
        ar = np.r_[1.0, -params[:p]]
        ma = np.r_[1.0, params[p : p + q]]
        e = lfilter(ar, ma, x - mu)
        return e[p:]

    @staticmethod
    def _stable(coefs):
        if coefs.size == 0:
            return True
        roots = np.roots(np.r_[1.0, -coefs][::-1])
        return bool(np.all(np.abs(roots) > 1.001))

    def _fit_one(self, x, p, q, mean):
        from scipy.optimize import least_squares

        k = p + q + int(mean)
        n = x.size - p
        if n <= k + 2:
            raise ValueError("too short")
        if k == 0:
            e = x.copy()
            params = np.zeros(0)
        else:
            x0 = np.full(k, 0.1)
            if mean:
                x0[-1] = x.mean() if abs(x.mean()) > 1e-6 else 0.0
            r = least_squares(
                self._resid, x0, args=(x, p, q, mean), method="lm" if n > k else "trf", max_nfev=200 * (k + 1)
            )
            params = r.x
            e = self._resid(params, x, p, q, mean)
        phi, theta = params[:p], params[p : p + q]
        if not (self._stable(phi) and self._stable(-theta)) or not np.isfinite(params).all():
            raise ValueError("not stationary/invertible")
        sse = float(np.dot(e, e))
        kk = k + 1
        aicc = n * math.log(max(sse / n, 1e-300)) + 2 * kk + 2 * kk * (kk + 1) / max(n - kk - 1, 1)
        return aicc, params, e

    def _search(self, x, d):
        """A small stepwise search over p, q <= MAX_PQ by AICc; None if no order fits."""
        if d == 2:  # a constant after two differences would be a quadratic trend: never
            mean = False
        elif d:  # drift if the mean change is clearly not zero
            mean = bool(abs(x.mean()) > 1.96 * x.std(ddof=1) / math.sqrt(max(x.size, 2)))
        else:
            mean = True
        best = None
        tried: set[tuple[int, int]] = set()

        def attempt(orders):
            nonlocal best
            for p, q in orders:
                if (p, q) in tried or (d == 0 and p == q == 0):
                    continue
                tried.add((p, q))
                try:
                    aicc, params, e = self._fit_one(x, p, q, mean)
                except Exception:
                    continue
                if best is None or aicc < best[0]:
                    best = (aicc, (p, d, q), mean, params, e)

        # the simple orders first, then neighbours of the best
        attempt([(0, 0), (1, 0), (0, 1), (1, 1)])
        for _ in range(self.MAX_PQ):
            if best is None:
                break
            p0, _, q0 = best[1]
            before = best[1]
            attempt([(min(p0 + 1, self.MAX_PQ), q0), (p0, min(q0 + 1, self.MAX_PQ))])
            if best[1] == before:
                break
        return best

    def fit(self, y):
        y = _check(y)[-self.MAX_POINTS :]
        self.scale_ = float(np.std(y)) or 1.0
        self.center_ = float(np.mean(y))
        ys = (y - self.center_) / self.scale_
        if self.order == "auto":
            best = None
            # no stationary, invertible model after the differences the test asked for: the series
            # needs one more (a trend the test missed)
            for d in range(self._ndiffs(ys), self.MAX_D + 1):
                x = np.diff(ys, n=d) if d else ys
                best = self._search(x, d)
                if best is not None:
                    break
            if best is None:
                raise RuntimeError("no ARIMA order could be fitted")
            _, self.order_, self.drift_, self.params_, e = best
        else:
            p, d, q = self.order
            x = np.diff(ys, n=d) if d else ys
            mean = bool(self.drift) if d else True
            _, self.params_, e = self._fit_one(x, p, q, mean)
            self.order_, self.drift_ = (p, d, q), mean
        self.x_ = x
        self.e_ = e
        self.tails_ = [float(np.diff(ys, n=j)[-1]) for j in range(self.order_[1])]
        self.sigma_ = float(np.sqrt(np.mean(e**2))) if e.size else 0.0
        return self

    def _mean(self, h):
        p, d, q = self.order_
        phi, theta = self.params_[:p], self.params_[p : p + q]
        mu = self.params_[p + q] if self.drift_ else 0.0
        xs = list(self.x_[-p:] - mu) if p else []
        es = list(np.r_[np.zeros(max(0, p)), self.e_][-q:]) if q else []
        out = []
        for _ in range(h):
            v = sum(phi[i] * xs[-1 - i] for i in range(p)) + sum(theta[i] * es[-1 - i] for i in range(q))
            out.append(v + mu)
            if p:
                xs.append(v)
            if q:
                es.append(0.0)
        out = np.array(out)
        for j in range(d - 1, -1, -1):  # undo the differences
            out = self.tails_[j] + np.cumsum(out)
        return out * self.scale_ + self.center_

    def _sd(self, h):
        from scipy.signal import lfilter

        p, d, q = self.order_
        phi, theta = self.params_[:p], self.params_[p : p + q]
        ar = np.r_[1.0, -phi]
        for _ in range(d):
            ar = np.convolve(ar, [1.0, -1.0])
        imp = np.zeros(h)
        imp[0] = 1.0
        psi = lfilter(np.r_[1.0, theta], ar, imp)
        return self.sigma_ * self.scale_ * np.sqrt(np.cumsum(psi**2))


class Croston(Model):
    """Croston's method with the Syntetos-Boylan correction (SBA) for intermittent demand."""

    name, label = "croston_sba", "intermittent-demand average (Croston/SBA)"

    def __init__(self, alpha: float = 0.1, sba: bool = True):
        self.alpha = alpha
        self.sba = sba

    def fit(self, y):
        y = _check(y)
        a = self.alpha
        nz = np.flatnonzero(y != 0)
        if nz.size == 0:
            self.rate_ = 0.0
            self.sigma_ = 0.0
            return self
        sizes = y[nz]
        gaps = np.diff(np.concatenate([[-1], nz])).astype(float)
        z = sizes[0]
        p = gaps[0]
        fitted = np.full(y.size, np.nan)
        for i in range(1, nz.size):
            fitted[nz[i - 1] + 1 : nz[i] + 1] = z / p
            z = a * sizes[i] + (1 - a) * z
            p = a * gaps[i] + (1 - a) * p
        fitted[nz[-1] + 1 :] = z / p
        factor = (1 - a / 2) if self.sba else 1.0
        self.rate_ = float(z / p * factor)
        e = y - fitted * factor
        self.sigma_ = _rmse(e)
        return self

    def _mean(self, h):
        return np.full(h, self.rate_)

    def _sd(self, h):
        return np.full(h, self.sigma_)


class HoltWinters(Model):
    """Holt-Winters: level, damped trend and a seasonal pattern that keeps learning (ETS(A,Ad,A)).

    The other models see the series with one fixed seasonal pattern removed (classical averages over
    the whole history). Over decades a pattern changes (couriers' December peak grew, a resort's
    season moved); here the seasonal states are updated every period, so recent seasons count
    most. Fitted by statsmodels; intervals from the ETS(A,Ad,A) variance (Hyndman et al. 2008, 6.1).
    """

    name, label = "holt_winters", "Holt-Winters (seasons that change)"

    def __init__(self, season: int = 12):
        self.season = season

    def fit(self, y):
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        y = _check(y)
        m = int(self.season)
        if m < 2 or y.size < 3 * m:
            raise ValueError(f"Holt-Winters needs at least three seasons ({3 * m} points)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = ExponentialSmoothing(
                y, trend="add", damped_trend=True, seasonal="add", seasonal_periods=m, initialization_method="estimated"
            ).fit()
        p = r.params
        self.alpha_, phi = float(p["smoothing_level"]), float(p["damping_trend"])
        self.phi_ = phi
        # statsmodels' Holt-Winters smoothing weights in the ETS form the variance formula uses
        self.beta_ = self.alpha_ * float(p["smoothing_trend"])
        self.gamma_ = (1 - self.alpha_) * float(p["smoothing_seasonal"])
        self.sigma_ = _rmse(np.asarray(r.resid, dtype=float)[m:])
        self.result_ = r
        return self

    def _mean(self, h):
        return np.asarray(self.result_.forecast(h), dtype=float)

    def _sd(self, h):
        j = np.arange(1, h)
        phi_j = np.cumsum(self.phi_ ** np.arange(1, h)) if h > 1 else np.array([])
        c = self.alpha_ + self.beta_ * phi_j + self.gamma_ * (j % int(self.season) == 0)
        return self.sigma_ * np.sqrt(1 + np.concatenate([[0.0], np.cumsum(c**2)]))


class SeasonalARIMA(Model):
    """The 'airline' seasonal ARIMA(0,1,1)(0,1,1)m: this season is last season plus the change since,
    both smoothed. A classic for monthly and quarterly data, strong where trend and season both
    drift (statsforecast's AutoARIMA led Keel on 80 years of US employment by month until this).
    Fitted by statsmodels on the latest ``max_points`` values (20 years of months): older seasons
    say little about the next one, and the fit stays well under a second."""

    name, label = "seasonal_arima", "seasonal ARIMA (airline model)"

    def __init__(self, season: int = 12, max_points: int = 240):
        self.season = season
        self.max_points = max_points

    def fit(self, y):
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        y = _check(y)[-self.max_points :]
        m = int(self.season)
        if m < 2 or y.size < 3 * m:
            raise ValueError(f"seasonal ARIMA needs at least three seasons ({3 * m} points)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.result_ = SARIMAX(y, order=(0, 1, 1), seasonal_order=(0, 1, 1, m)).fit(disp=False)
        return self

    def predict(self, h: int, level: float = 90.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        f = self.result_.get_forecast(h)
        ci = np.asarray(f.conf_int(alpha=1 - level / 100.0), dtype=float)
        return np.asarray(f.predicted_mean, dtype=float), ci[:, 0], ci[:, 1]


MODELS: dict[str, type[Model]] = {
    "naive": Naive,
    "seasonal_naive": SeasonalNaive,
    "mean": Mean,
    "ses": SES,
    "theta": Theta,
    "ets": ETS,
    "arima": ARIMA,
    "croston_sba": Croston,
    "holt_winters": HoltWinters,
    "seasonal_arima": SeasonalARIMA,
}
SELF_SEASONAL = {"seasonal_naive", "holt_winters", "seasonal_arima"}  # fitted to the raw series, not the adjusted one

LABELS = {k: v.label for k, v in MODELS.items()}
LABELS["combination"] = "average of the best models"


# --------------------------------------------------------------------------- seasonality


def centered_ma(y: np.ndarray, m: int) -> np.ndarray:
    """Centered moving average of order m (2xm for even m); NaN at the edges."""
    n = y.size
    if m % 2 == 0:
        w = np.r_[0.5, np.ones(m - 1), 0.5] / m
    else:
        w = np.ones(m) / m
    k = len(w)
    out = np.full(n, np.nan)
    if n >= k:
        out[k // 2 : n - k // 2] = np.convolve(y, w, mode="valid")
    return out


def season_history(period: float) -> int:
    """The least history that shows a season: 2 cycles and 2 points for a short one (the classical
    seasonal averages need them); exactly 2 cycles for a long one, whose Fourier terms need no extra
    point, so two calendar years of daily sales (731 days) show their yearly pattern."""
    m = int(round(period))
    return 2 * m + 2 if m <= 24 else math.ceil(2 * period)


def seasonality_test(y: np.ndarray, period: float) -> bool:
    """Is there a seasonal pattern of this length? (ACF at the season lag vs a 90 % band.)"""
    m = int(round(period))
    n = y.size
    if m < 2 or n < season_history(period):
        return False
    x = y - np.mean(y)
    if m > 24:
        # long seasons: remove the slow trend (centered MA over one season), then ask how much of
        # what is left a few Fourier terms of this period explain (seasonal strength)
        trend = centered_ma(y, m)
        ok = np.isfinite(trend)
        if ok.sum() < m + 2:
            return False
        t = np.arange(n)[ok]
        detr = (y - trend)[ok]
        detr = detr - detr.mean()
        k = int(min(10, max(2, m // 8)))
        X = SeasonalAdjuster._fourier(t, period, k)
        beta, *_ = np.linalg.lstsq(X, detr, rcond=None)
        var = float(np.var(detr))
        # the cycles must look alike beyond what a random walk's do by chance: its mean correlation of
        # consecutive cycles exceeds 0.5 / sqrt(cycles - 1) about 10 % of the time at every length
        # (2 to 25 cycles of 52 or 365 points, measured), so 25 years of noisy weekly fuel sales
        # (0.4-0.5) keep their summer peak while two years must repeat clearly
        repeat_level = 0.5 / math.sqrt(max(1.0, n // period - 1))
        return bool(var > 0 and 1 - np.var(detr - X @ beta) / var > 0.15) and cycles_repeat(y, period) > repeat_level
    n2 = x.size
    f = np.fft.rfft(x, 2 * n2)
    ac = np.fft.irfft(f * np.conj(f))[: m + 1]
    if ac[0] <= 0:
        return False
    ac = ac / ac[0]
    band = 1.645 * math.sqrt((1 + 2 * np.sum(ac[1:m] ** 2)) / n2)
    return bool(ac[m] > band) or _season_means_differ(y, m)


def cycles_repeat(y: np.ndarray, period: float, bins: int = 52) -> float:
    """How alike the last full cycles are: the mean correlation of consecutive cycles' shapes.

    Each cycle loses its own straight-line trend and is averaged into ``bins`` parts (weeks of a
    year of days). A long season's Fourier fit alone cannot tell a pattern from a wandering level:
    on two years of a random walk it "explained" a median 91 % of the detrended variation, so every
    share price looked yearly-seasonal. A real pattern comes back in the same shape each cycle; a
    random walk's years are unrelated: over two years it exceeds 0.5 for 10 % of random walks, while
    the shop sample's gift box scores 0.62, hot chocolate 0.87 and iced tea 0.82. NaN with fewer
    than two full cycles.
    """
    y = np.asarray(y, dtype=float)
    n = y.size
    k = int(n // period)
    if k < 2:
        return float("nan")
    shapes = []
    for j in range(k):
        seg = y[int(round(n - (k - j) * period)) : int(round(n - (k - j - 1) * period))]
        t = np.arange(seg.size)
        seg = seg - np.polyval(np.polyfit(t, seg, 1), t)
        b = min(bins, seg.size)
        part = t * b // seg.size
        shapes.append(np.bincount(part, weights=seg, minlength=b) / np.bincount(part, minlength=b))
    b = min(s.size for s in shapes)
    corr = []
    for a, c in zip(shapes[:-1], shapes[1:]):
        a, c = a[:b], c[:b]
        if np.std(a) > 0 and np.std(c) > 0:
            corr.append(float(np.corrcoef(a, c)[0, 1]))
    return float(np.mean(corr)) if corr else float("nan")


def _season_means_differ(y: np.ndarray, m: int, alpha: float = 0.01) -> bool:
    """One-way analysis of variance of the detrended values by point of the cycle (month of year).

    The autocorrelation test above has little power on a few years of history: a smooth yearly
    pattern correlates strongly at short lags too, which widens its band. Four years of monthly
    sales with an obvious summer peak failed it; comparing the months' means does not.
    """
    trend = centered_ma(y, m)
    ok = np.isfinite(trend)
    detr = (y - trend)[ok]
    slot = (np.arange(y.size) % m)[ok]
    n = detr.size
    if n < 2 * m or np.unique(slot).size < m:
        return False
    counts = np.bincount(slot, minlength=m)
    means = np.bincount(slot, weights=detr, minlength=m) / counts
    between = float(np.sum(counts * (means - detr.mean()) ** 2))
    within = float(np.sum((detr - means[slot]) ** 2))
    if within <= 0:
        return between > 0
    from scipy.stats import f as f_dist

    stat = (between / (m - 1)) / (within / (n - m))
    return bool(f_dist.sf(stat, m - 1, n - m) < alpha)


class SeasonalAdjuster:
    """Removes one or more additive seasonal patterns (work on log scale for multiplicative ones).

    Short integer seasons (<= 24) use classical seasonal averages; long or fractional seasons
    (52.18 weeks, 365.25 days) use a few Fourier terms, so they always fit in milliseconds.
    Learned on the training part only, then extrapolated.
    """

    def __init__(self, periods: tuple[float, ...] = ()):
        self.periods = periods

    @staticmethod
    def fits(n: int, period: float) -> bool:
        """Whether ``n`` points leave enough after the one-season moving average to learn this season."""
        m = int(round(period))
        return n - (m - 1 if m % 2 else m) >= m

    def fit(self, y: np.ndarray) -> SeasonalAdjuster:
        y = np.asarray(y, dtype=float)
        self.n_ = y.size
        self.parts_: list[tuple[float, np.ndarray, str]] = []
        rest = y.copy()
        t = np.arange(y.size)
        for period in sorted(self.periods, reverse=True):
            m = int(round(period))
            if not self.fits(y.size, period):
                continue
            trend = centered_ma(rest, m)
            ok = np.isfinite(trend)
            detr = rest - trend
            if m <= 24 and abs(period - m) < 1e-9:
                idx = t % m
                s = np.array(
                    [
                        np.nanmean(np.where(ok & (idx == j), detr, np.nan)) if (ok & (idx == j)).any() else 0.0
                        for j in range(m)
                    ]
                )
                s = s - s.mean()
                self.parts_.append((period, s, "classic"))
                rest = rest - s[idx]
            else:
                k = int(min(10, max(2, m // 8)))
                X = self._fourier(t, period, k)
                beta, *_ = np.linalg.lstsq(X[ok], detr[ok], rcond=None)
                self.parts_.append((period, beta, "fourier"))
                rest = rest - X @ beta
        return self

    @staticmethod
    def _fourier(t, period, k):
        cols = []
        for j in range(1, k + 1):
            cols.append(np.sin(2 * np.pi * j * t / period))
            cols.append(np.cos(2 * np.pi * j * t / period))
        return np.column_stack(cols)

    def component(self, t: np.ndarray) -> np.ndarray:
        out = np.zeros(t.size)
        for period, coef, kind in self.parts_:
            if kind == "classic":
                out += coef[t % int(round(period))]
            else:
                out += self._fourier(t, period, coef.size // 2) @ coef
        return out

    def transform(self, y: np.ndarray) -> np.ndarray:
        return np.asarray(y, dtype=float) - self.component(np.arange(len(y)))

    def future(self, h: int) -> np.ndarray:
        return self.component(np.arange(self.n_, self.n_ + h))
