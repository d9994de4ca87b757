"""ARIMA, ETS and Theta against statsmodels."""

import re

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.forecasting.theta import ThetaModel, ThetaModelResults
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.statespace.sarimax import SARIMAX
from statsmodels.tsa.stattools import kpss

from baselines.helpers import H, frame, point_forecast, quiet, series
from tsattn.baselines import (
    ARIMAForecaster,
    ETSForecaster,
    ThetaForecaster,
)

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


# -- ETS against statsmodels -----------------------------------------------------


ETS_SPEC = {
    "trend": "add",
    "damped_trend": True,
    "seasonal": "add",
    "seasonal_periods": 4,
}


def assert_forecast_matches(fc, frame_):
    """The mean and 90% interval of ``fc`` equal a statsmodels summary frame's."""
    np.testing.assert_allclose(fc["y"], frame_["mean"], rtol=1e-10)
    np.testing.assert_allclose(fc["y_q0.05"], frame_["pi_lower"], rtol=1e-10)
    np.testing.assert_allclose(fc["y_q0.95"], frame_["pi_upper"], rtol=1e-10)


def test_ets_forecast_matches_statsmodels():
    y = series(96)
    est = ETSForecaster(**ETS_SPEC, horizon=5).fit(y)
    ref = quiet(ETSModel(pd.Series(y), **ETS_SPEC).fit, disp=False)
    frame_ = ref.get_prediction(start=96, end=100).summary_frame(alpha=0.1)
    assert_forecast_matches(est.forecast(), frame_)


def test_ets_simulated_intervals_match_statsmodels():
    y = series(60)
    spec = {"error": "mul", "seasonal": "mul", "seasonal_periods": 4}
    est = ETSForecaster(**spec, horizon=3, n_simulations=200, random_state=7).fit(y)
    ref = quiet(ETSModel(pd.Series(y), **spec).fit, disp=False)
    pred = ref.get_prediction(
        start=60, end=62, simulate_repetitions=200, rng=np.random.default_rng(7)
    )
    frame_ = pred.summary_frame(alpha=0.1)
    assert_forecast_matches(est.forecast(), frame_)


def test_ets_update_refilters_with_fixed_params():
    y = series(96)
    est = ETSForecaster(**ETS_SPEC, horizon=3).fit(y[:80])
    params = np.asarray(est.models_[0].params).copy()
    est.update(y[80:90]).update(y[90:])
    ref = ETSModel(pd.Series(y), **ETS_SPEC).smooth(params)
    frame_ = ref.get_prediction(start=96, end=98).summary_frame(alpha=0.1)
    fc = est.forecast()
    np.testing.assert_allclose(fc["y"], frame_["mean"], rtol=1e-10)
    np.testing.assert_allclose(fc["y_q0.95"], frame_["pi_upper"], rtol=1e-10)
    np.testing.assert_array_equal(np.asarray(est.models_[0].params), params)


def test_ets_predict_matches_dynamic_prediction_from_each_row():
    y = series(60)
    est = ETSForecaster(**ETS_SPEC, horizon=6).fit(y[:40])
    params = est.models_[0].params
    alone = est.predict(y[40:])
    cont = est.predict(pd.Series(y, name="y").iloc[40:]).to_numpy()
    ref_alone = ETSModel(pd.Series(y[40:]), **ETS_SPEC).smooth(params)
    ref_cont = ETSModel(pd.Series(y), **ETS_SPEC).smooth(params)
    for t in (0, 3, 11, 18):
        # dynamic prediction from t + 1 conditions on the data up to row t
        expected = ref_alone.predict(start=t + 1, end=t + 6, dynamic=0)
        np.testing.assert_allclose(alone[t], expected, rtol=1e-10)
        expected = ref_cont.predict(start=41 + t, end=46 + t, dynamic=0)
        np.testing.assert_allclose(cont[t], expected, rtol=1e-10)


def test_ets_rejects_bad_configurations():
    y = series(30)
    with pytest.raises(ValueError, match="strictly positive"):
        ETSForecaster(error="mul").fit(y - 100)
    with pytest.raises(ValueError, match="needs a trend"):
        ETSForecaster(damped_trend=True).fit(y)
    with pytest.raises(ValueError, match="needs seasonal_periods"):
        ETSForecaster(seasonal="add").fit(y)
    with pytest.raises(ValueError, match=re.escape("2 * seasonal_periods = 24")):
        ETSForecaster(seasonal="add", seasonal_periods=12).fit(y[:20])


# -- Theta against statsmodels ---------------------------------------------------


@pytest.mark.parametrize("deseasonalize", [True, False])
def test_theta_forecast_matches_statsmodels(deseasonalize):
    y = series(96)
    est = ThetaForecaster(period=4, deseasonalize=deseasonalize, horizon=6).fit(y)
    ref = ThetaModel(y, period=4, deseasonalize=deseasonalize).fit()
    fc = est.forecast()
    np.testing.assert_allclose(fc["y"], ref.forecast(6), rtol=1e-10)
    pi = ref.prediction_intervals(6, alpha=0.1)
    np.testing.assert_allclose(fc["y_q0.05"], pi["lower"], rtol=1e-10)
    np.testing.assert_allclose(fc["y_q0.95"], pi["upper"], rtol=1e-10)


def test_theta_update_keeps_parameters_and_advances_ses():
    y = series(90)
    est = ThetaForecaster(deseasonalize=False, horizon=4).fit(y[:70])
    est.update(y[70:])
    res0 = ThetaModel(y[:70], deseasonalize=False).fit()
    b0, alpha = res0.params["b0"], res0.params["alpha"]
    ses = ExponentialSmoothing(y, initial_level=y[0], initialization_method="known")
    one_step = ses.fit(smoothing_level=alpha, optimized=False).forecast(1)[0]
    expected = ThetaModelResults(
        b0,
        alpha,
        res0.sigma2,
        one_step,
        np.empty(0),
        False,
        ThetaModel(y, deseasonalize=False),
    )
    fc = est.forecast()
    np.testing.assert_allclose(fc["y"], expected.forecast(4), rtol=1e-9)
    pi = expected.prediction_intervals(4, alpha=0.1)
    np.testing.assert_allclose(fc["y_q0.05"], pi["lower"], rtol=1e-9)


def test_theta_period_from_business_day_index_and_short_series():
    idx = pd.bdate_range("2024-01-01", periods=40)
    est = ThetaForecaster().fit(pd.Series(series(40), index=idx, name="p"))
    assert est.period_ == 5
    with pytest.raises(ValueError, match=re.escape("2 * period = 10")):
        ThetaForecaster().fit(pd.Series(series(8), index=idx[:8]))
    with pytest.raises(ValueError, match="'theta' parameter"):
        ThetaForecaster(theta=0.5).fit(series(20))


def test_ets_auto_keeps_the_smallest_aicc_of_statsmodels_fits():
    y = series(80)
    est = ETSForecaster(error="auto", trend="auto", damped_trend="auto", horizon=2)
    est.fit(y)
    fits = {}
    for error in ("add", "mul"):
        for trend, damped in ((None, False), ("add", False), ("add", True)):
            model = ETSModel(
                pd.Series(y), error=error, trend=trend, damped_trend=damped
            )
            res = quiet(model.fit, disp=False)
            if res.mle_retvals.get("converged", True) is not False:
                name = {"add": "A", "mul": "M"}[error]
                name += {None: "N", "add": "A"}[trend] + ("d" if damped else "") + "N"
                fits[name] = res
    best = min(fits, key=lambda k: fits[k].aicc)
    assert est.specs_ == [best]
    np.testing.assert_allclose(
        point_forecast(est).ravel(), fits[best].forecast(2), rtol=1e-6
    )


def test_ets_auto_skips_multiplicative_models_on_non_positive_data():
    y = series(60) - 60  # crosses zero
    est = ETSForecaster(error="auto", seasonal="auto", seasonal_periods=4).fit(y)
    assert y.min() <= 0
    assert est.specs_[0][0] == "A"
    assert est.specs_[0][-1] in "NA"
