"""ARIMA against statsmodels."""

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.statespace.sarimax import SARIMAX
from statsmodels.tsa.stattools import kpss

from baselines.helpers import H, frame, point_forecast, quiet, series
from tsattn.baselines import ARIMAForecaster

# -- ARIMA against statsmodels ---------------------------------------------------


def test_arima_forecast_matches_sarimax():
    y = series(120)
    est = ARIMAForecaster(order=(1, 1, 1), horizon=4).fit(y)
    ref = quiet(SARIMAX(y, order=(1, 1, 1)).fit, disp=False)
    fc = est.forecast()
    direct = ref.get_forecast(4)
    np.testing.assert_allclose(fc["y"], direct.predicted_mean, rtol=1e-10)
    ci = direct.conf_int(alpha=0.1)
    np.testing.assert_allclose(fc["y_q0.05"], ci[:, 0], rtol=1e-10)
    np.testing.assert_allclose(fc["y_q0.95"], ci[:, 1], rtol=1e-10)
    assert est.orders_ == [(1, 1, 1)]


def test_arima_update_is_a_state_update():
    y = series(120)
    est = ARIMAForecaster(order=(1, 1, 1), horizon=3).fit(y[:100])
    params = est.models_[0].params.copy()
    est.update(y[100:110]).update(y[110:])
    ref = quiet(SARIMAX(y[:100], order=(1, 1, 1)).fit, disp=False)
    appended = ref.append(y[100:], refit=False).get_forecast(3)
    filtered = SARIMAX(y, order=(1, 1, 1)).filter(ref.params).get_forecast(3)
    fc = est.forecast()
    np.testing.assert_allclose(fc["y"], appended.predicted_mean, rtol=1e-9)
    np.testing.assert_allclose(fc["y"], filtered.predicted_mean, rtol=1e-9)
    np.testing.assert_allclose(
        fc["y_q0.95"], appended.conf_int(alpha=0.1)[:, 1], rtol=1e-9
    )
    np.testing.assert_array_equal(est.models_[0].params, params)  # no refit


def test_arima_predict_is_a_filter_pass_without_lookahead():
    y = series(80)
    est = ARIMAForecaster(order=(1, 1, 1), horizon=H).fit(y[:60])
    params = est.models_[0].params
    alone = est.predict(y[60:])  # not continuing: filter y[60:] alone
    for t in (0, 5, 19):
        ref = quiet(SARIMAX(y[60 : 61 + t], order=(1, 1, 1)).filter, params)
        np.testing.assert_allclose(alone[t], ref.forecast(H), rtol=1e-8, atol=1e-8)
    X = pd.Series(y, index=pd.RangeIndex(80), name="y")
    cont = est.predict(X.iloc[60:]).to_numpy()
    for t in (0, 7, 19):
        ref = SARIMAX(y[: 61 + t], order=(1, 1, 1)).filter(params)
        np.testing.assert_allclose(cont[t], ref.forecast(H), rtol=1e-8)


def test_arima_time_trend_uses_row_by_row_path():
    y = series(70)
    est = ARIMAForecaster(order=(1, 0, 0), trend="ct", horizon=2).fit(y[:50])
    X = pd.Series(y, name="y")
    cont = est.predict(X.iloc[50:]).to_numpy()
    ref = est.models_[0]
    for t in (0, 10, 19):
        direct = ref.append(y[50 : 51 + t], refit=False).forecast(2)
        np.testing.assert_allclose(cont[t], direct, rtol=1e-8)
    est.update(y[50:])
    np.testing.assert_allclose(
        point_forecast(est).ravel(),
        ref.append(y[50:], refit=False).forecast(2),
        rtol=1e-8,
    )


def _kpss_d(z, max_d=2):
    """ndiffs by hand: difference while KPSS (level, Hobijn lags) rejects at 5%."""
    d = 0
    while d < max_d:
        out = quiet(kpss, z, regression="c", nlags=int(3 * np.sqrt(len(z)) / 13))
        if out[0] <= out[3]["5%"]:
            break
        z, d = np.diff(z), d + 1
    return d


@pytest.mark.parametrize("stepwise", [False, True])
def test_arima_order_selection_matches_manual_aicc_search(stepwise):
    y = series(100) / 1000  # a small scale, as exchange rates have
    est = ARIMAForecaster(max_p=1, max_q=1, stepwise=stepwise).fit(y)
    d = _kpss_d(y)
    n_eff = len(y) - d
    scale = np.std(np.diff(y, n=d))
    fits = {}
    for p in (0, 1):
        for q in (0, 1):
            for const in (True, False) if d <= 1 else (False,):
                trend = "c" if const else "n"
                model = SARIMAX(
                    y / scale, order=(p, d, q), trend=trend, simple_differencing=True
                )
                res = quiet(model.fit, disp=False)
                k = len(res.params)
                fits[(p, q, trend)] = (
                    -2 * res.llf + 2 * k + 2 * k * (k + 1) / (n_eff - k - 1),
                    res,
                )
    p, q, trend = min(fits, key=lambda key: fits[key][0])
    assert est.orders_ == [(p, d, q)]
    assert est.trends_ == [trend]
    params = fits[(p, q, trend)][1].params.copy()
    params[: int(trend == "c")] *= scale
    params[-1] *= scale**2
    twin = SARIMAX(y, order=(p, d, q), trend=trend).filter(params)
    np.testing.assert_allclose(point_forecast(est).ravel(), twin.forecast(1), rtol=1e-8)


def test_near_random_walk_is_differenced_and_forecast_from_its_last_value():
    from tsattn.datasets import load_exchange_rate

    # Series "5" of the shipped panel: ADF kept d = 0 here and ARIMA forecast a
    # jump back to the window mean.
    y = load_exchange_rate()["5"].to_numpy()[-600:]
    est = ARIMAForecaster(horizon=5).fit(y)
    assert est.orders_[0][1] == 1
    gap = np.abs(point_forecast(est).ravel() - y[-1]).max()
    step_sd = np.std(np.diff(y))
    assert gap < 0.5 * step_sd, (gap, step_sd)


def test_arima_fits_one_model_per_column():
    X = frame(80)
    est = ARIMAForecaster(order=(0, 1, 1), horizon=2).fit(X)
    fc = est.forecast()
    for col in X.columns:
        ref = quiet(SARIMAX(X[col].to_numpy(), order=(0, 1, 1)).fit, disp=False)
        np.testing.assert_allclose(fc[col], ref.forecast(2), rtol=1e-8)
