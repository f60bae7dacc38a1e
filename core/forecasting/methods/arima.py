"""ARIMA: a small automatic search (as R's auto.arima) and the 'airline' seasonal model."""

from __future__ import annotations

import math
import warnings

import numpy as np

from core.forecasting.methods.base import Model, checked


class ARIMA(Model):
    """ARIMA(p,d,q) fitted by conditional least squares, with auto.arima's stepwise order search by AICc.

    Differencing (d = 0, 1 or 2) is chosen by repeated KPSS tests, as R's auto.arima does; with
    d = 1 a drift term is kept if the mean change is clearly not zero (never with d = 2).
    Conditional least squares through a linear filter keeps each fit to a few milliseconds, so the
    search stays cheap even for hundreds of series.
    """

    alias, label = "arima", "ARIMA"
    min_points = 12

    MAX_POINTS = 300

    def __init__(self, season: int = 1, order: tuple[int, int, int] | str = "auto", drift: bool | None = None) -> None:
        super().__init__(season)
        self.order = order
        self.drift = drift

    def spec(self):
        return {"order": self.order_, "drift": self.drift_}

    MAX_D = 2
    # auto.arima's max.p and max.q where the series has no season: long cycles (sunspots, livestock)
    # need more than two AR or MA terms. With a season (removed before this model sees the series) the
    # dynamics left are short: the small upward search stays, which is cheaper on long daily tables and
    # did as well on the benchmarks' seasonal series.
    MAX_PQ = 5
    MAX_PQ_SEASONAL = 2

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
        """A stepwise search over p and q by AICc (wider without a season); None if no order fits."""
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

        if self.season > 1:  # the season was removed first: the simple orders, then p or q one up, to 2
            top, rounds, first = self.MAX_PQ_SEASONAL, self.MAX_PQ_SEASONAL, []
            moves = [(1, 0), (0, 1)]
        else:  # auto.arima's stepwise search: (2, 2) too, then p and q each one up, one down or kept, to 5
            top, rounds, first = self.MAX_PQ, 4 * self.MAX_PQ, [(2, 2)]
            moves = [(a, b) for a in (-1, 0, 1) for b in (-1, 0, 1) if a or b]
        attempt([*first, (0, 0), (1, 0), (0, 1), (1, 1)])
        for _ in range(rounds):  # move to the best neighbour until none is better
            if best is None:
                break
            p0, _, q0 = best[1]
            before = best[1]
            attempt([(p0 + a, q0 + b) for a, b in moves if 0 <= p0 + a <= top and 0 <= q0 + b <= top])
            if best[1] == before:
                break
        return best

    def fit(self, y):
        y = checked(y)[-self.MAX_POINTS :]
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
            assert not isinstance(self.order, str)  # a (p, d, q) order when not "auto"
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
        steps: list[float] = []
        for _ in range(h):
            v = sum(phi[i] * xs[-1 - i] for i in range(p)) + sum(theta[i] * es[-1 - i] for i in range(q))
            steps.append(v + mu)
            if p:
                xs.append(v)
            if q:
                es.append(0.0)
        out = np.array(steps)
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


class SeasonalARIMA(Model):
    """The 'airline' seasonal ARIMA(0,1,1)(0,1,1)m: this season is last season plus the change since,
    both smoothed. A classic for monthly and quarterly data, strong where trend and season both
    drift (statsforecast's AutoARIMA led Keel on 80 years of US employment by month until this).
    Fitted by statsmodels on the latest ``max_points`` values (20 years of months): older seasons
    say little about the next one, and the fit stays well under a second."""

    alias, label = "seasonal_arima", "seasonal ARIMA (airline model)"
    seasonal = True
    self_seasonal = True
    season_lengths = (4, 12)  # see HoltWinters
    min_seasons = 3

    def __init__(self, season: int = 12, max_points: int = 240) -> None:
        super().__init__(season)
        self.max_points = max_points

    def fit(self, y):
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        y = checked(y)[-self.max_points :]
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
