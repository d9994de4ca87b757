import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.forecasting.theta import ThetaModel, ThetaModelResults
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.statespace.sarimax import SARIMAX
from statsmodels.tsa.stattools import adfuller

from tsattn._base import BaseForecaster, UnivariateForecaster
from tsattn.baselines import (
    ARIMAForecaster,
    DriftForecaster,
    ETSForecaster,
    EWMAVolatilityForecaster,
    MeanForecaster,
    NaiveForecaster,
    SeasonalNaiveForecaster,
    ThetaForecaster,
)

Z90 = 1.6448536269514722  # norm.ppf(0.95)
H = 3


def series(n=96, m=4, seed=1):
    """Positive, trending, seasonal (period m) random-walk-like data."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    noise = np.cumsum(rng.normal(scale=0.5, size=n))
    return 50 + 0.05 * t + 2 * np.sin(2 * np.pi * t / m) + noise


def frame(n=96, columns=("a", "b")):
    data = {c: series(n, seed=i + 1) for i, c in enumerate(columns)}
    return pd.DataFrame(data, index=pd.date_range("2024-01-01", periods=n, freq="D"))


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def all_models():
    return [
        NaiveForecaster(horizon=H),
        SeasonalNaiveForecaster(season_length=4, horizon=H),
        DriftForecaster(horizon=H),
        MeanForecaster(horizon=H),
        MeanForecaster(window=10, horizon=H),
        ARIMAForecaster(order=(1, 1, 1), horizon=H),
        ETSForecaster(horizon=H),
        ETSForecaster(
            trend="add",
            damped_trend=True,
            seasonal="add",
            seasonal_periods=4,
            horizon=H,
        ),
        ThetaForecaster(period=4, horizon=H),
        EWMAVolatilityForecaster(init_window=5, horizon=H),
    ]


MODELS = all_models()
IDS = [f"{type(m).__name__}-{i}" for i, m in enumerate(MODELS)]  # unique test ids


def point_forecast(est):
    return est.forecast()[est.columns_].to_numpy()


# -- naive family against hand-computed values ---------------------------------------


def test_naive_hand_computed():
    fc = NaiveForecaster(horizon=3).fit([1.0, 2.0, 4.0, 3.0]).forecast()
    sd = np.sqrt(2.0 * np.arange(1, 4))  # mean of squared diffs (1, 2, -1) is 2
    np.testing.assert_allclose(fc["y"], [3.0, 3.0, 3.0])
    np.testing.assert_allclose(fc["y_q0.05"], 3.0 - Z90 * sd)
    np.testing.assert_allclose(fc["y_q0.95"], 3.0 + Z90 * sd)


def test_seasonal_naive_hand_computed():
    est = SeasonalNaiveForecaster(season_length=2, horizon=3)
    fc = est.fit([1.0, 5.0, 2.0, 6.0, 3.0]).forecast()
    np.testing.assert_allclose(fc["y"], [6.0, 3.0, 6.0])
    # seasonal differences (1, 1, 1): sigma = 1; sd = sqrt(k + 1), k = (h-1)//m
    np.testing.assert_allclose(fc["y_q0.95"] - fc["y"], Z90 * np.sqrt([1.0, 1.0, 2.0]))


def test_drift_hand_computed():
    y = np.array([1.0, 2.0, 5.0, 6.0])
    fc = DriftForecaster(horizon=2).fit(y).forecast()
    drift = 5.0 / 3.0
    np.testing.assert_allclose(fc["y"], [6.0 + drift, 6.0 + 2 * drift])
    resid = np.array([1.0, 3.0, 1.0]) - drift
    sigma2 = np.sum(resid**2) / 2  # T - 2 degrees of freedom
    h = np.array([1.0, 2.0])
    sd = np.sqrt(sigma2 * h * (1 + h / 3))
    np.testing.assert_allclose(fc["y_q0.05"], fc["y"] - Z90 * sd)


def test_mean_hand_computed():
    y = [1.0, 2.0, 4.0, 7.0]
    fc = MeanForecaster(horizon=2).fit(y).forecast()
    np.testing.assert_allclose(fc["y"], [3.5, 3.5])
    sd = np.std(y, ddof=1) * np.sqrt(1 + 1 / 4)
    np.testing.assert_allclose(fc["y_q0.95"], 3.5 + Z90 * sd)
    fc = MeanForecaster(window=2).fit(y).forecast()
    assert fc["y"].iloc[0] == pytest.approx(5.5)
    sd = np.std([4.0, 7.0], ddof=1) * np.sqrt(1.5)
    assert fc["y_q0.05"].iloc[0] == pytest.approx(5.5 - Z90 * sd)


@pytest.mark.parametrize(
    "make",
    [
        lambda: NaiveForecaster(horizon=2, quantiles=None),
        lambda: DriftForecaster(horizon=2, quantiles=None),
        lambda: MeanForecaster(horizon=2, quantiles=None),
        lambda: MeanForecaster(window=3, horizon=2, quantiles=None),
        lambda: SeasonalNaiveForecaster(season_length=3, horizon=2, quantiles=None),
        lambda: EWMAVolatilityForecaster(init_window=4, horizon=2),
    ],
)
def test_predict_row_equals_fit_on_prefix(make):
    y = series(20)
    pred = make().fit(y).predict(y)  # an array: X alone is the history
    for t in range(len(y)):
        est = make()
        need, _ = est._min_length()
        if t + 1 < need:
            assert np.isnan(pred[t]).all()
        else:
            np.testing.assert_allclose(
                pred[t], point_forecast(est.fit(y[: t + 1])).ravel()
            )


def test_ewma_hand_recursion():
    r = np.array([0.01, -0.02, 0.015, 0.0, -0.03])
    s = np.mean(r[:2] ** 2)
    for x in r:
        s = 0.9 * s + 0.1 * x**2
    est = EWMAVolatilityForecaster(decay=0.9, init_window=2, horizon=2).fit(r)
    np.testing.assert_allclose(est.forecast()["y"], [s, s])
    assert list(est.forecast().columns) == ["y"]  # no quantiles for variances


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


def test_arima_order_selection_matches_manual_search():
    y = series(100)
    est = ARIMAForecaster(max_p=1, max_q=1, information_criterion="bic").fit(y)
    d, z = 0, y
    while d < 2 and quiet(adfuller, z, autolag="AIC")[1] > 0.05:
        z, d = np.diff(z), d + 1
    trend = "c" if d == 0 else "n"
    fits = {
        (p, q): quiet(SARIMAX(y, order=(p, d, q), trend=trend).fit, disp=False)
        for p in (0, 1)
        for q in (0, 1)
    }
    converged = {k: r for k, r in fits.items() if r.mle_retvals["converged"]}
    p, q = min(converged, key=lambda k: converged[k].bic)
    assert est.orders_ == [(p, d, q)]
    np.testing.assert_allclose(
        point_forecast(est).ravel(), converged[(p, q)].forecast(1), rtol=1e-8
    )


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


def test_ets_forecast_matches_statsmodels():
    y = series(96)
    est = ETSForecaster(**ETS_SPEC, horizon=5).fit(y)
    ref = quiet(ETSModel(pd.Series(y), **ETS_SPEC).fit, disp=False)
    frame_ = ref.get_prediction(start=96, end=100).summary_frame(alpha=0.1)
    fc = est.forecast()
    np.testing.assert_allclose(fc["y"], frame_["mean"], rtol=1e-10)
    np.testing.assert_allclose(fc["y_q0.05"], frame_["pi_lower"], rtol=1e-10)
    np.testing.assert_allclose(fc["y_q0.95"], frame_["pi_upper"], rtol=1e-10)


def test_ets_simulated_intervals_match_statsmodels():
    y = series(60)
    spec = {"error": "mul", "seasonal": "mul", "seasonal_periods": 4}
    est = ETSForecaster(**spec, horizon=3, n_simulations=200, random_state=7).fit(y)
    ref = quiet(ETSModel(pd.Series(y), **spec).fit, disp=False)
    pred = ref.get_prediction(
        start=60, end=62, simulate_repetitions=200, rng=np.random.default_rng(7)
    )
    frame_ = pred.summary_frame(alpha=0.1)
    fc = est.forecast()
    np.testing.assert_allclose(fc["y"], frame_["mean"], rtol=1e-10)
    np.testing.assert_allclose(fc["y_q0.05"], frame_["pi_lower"], rtol=1e-10)
    np.testing.assert_allclose(fc["y_q0.95"], frame_["pi_upper"], rtol=1e-10)


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


# -- contract shared by every baseline --------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_vectorised_predict_equals_generic_update_path(model):
    X = frame(72)
    est = quiet(clone(model).fit, X.iloc[:48])
    for data, continuing in ((X.iloc[48:], True), (X.iloc[48:].to_numpy(), False)):
        values = np.asarray(data, dtype=np.float64)
        fast = quiet(est._predict_path, values, pd.RangeIndex(len(values)), continuing)
        slow = quiet(
            BaseForecaster._predict_path,
            est,
            values,
            pd.RangeIndex(len(values)),
            continuing,
        )
        per_column = np.stack(
            [
                quiet(UnivariateForecaster._path_one, est, s, values[:, j], continuing)
                for j, s in enumerate(est.models_)
            ],
            axis=1,
        )
        np.testing.assert_allclose(slow, per_column, rtol=1e-8, atol=1e-10)
        if not continuing and isinstance(est, EWMAVolatilityForecaster):
            continue  # fits each prefix instead (test_predict_row_equals_fit_on_prefix)
        # The generic path starts once a full fit is possible (intervals
        # included); the vectorised one as soon as a point forecast is.
        defined = ~np.isnan(slow)
        assert not np.isnan(fast[defined]).any()
        assert defined[-10:].all()
        np.testing.assert_allclose(fast[defined], slow[defined], rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_future_data_never_changes_past_predictions(model):
    X = frame(72)
    est = quiet(clone(model).fit, X.iloc[:48])
    changed = X.copy()
    changed.iloc[60:] *= 1.5
    for a, b in (
        (X.iloc[48:], changed.iloc[48:]),
        (X.iloc[48:].to_numpy(), changed.iloc[48:].to_numpy()),
    ):
        pa = np.asarray(quiet(est.predict, a))
        pb = np.asarray(quiet(est.predict, b))
        np.testing.assert_array_equal(pa[:12], pb[:12])
        assert not np.allclose(pa[12:], pb[12:], equal_nan=True)


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_update_then_forecast_equals_last_predict_row(model):
    X = frame(72)
    est = quiet(clone(model).fit, X.iloc[:48])
    pred = quiet(est.predict, X.iloc[48:])
    quiet(est.update, X.iloc[48:])
    fc = est.forecast()
    assert fc.index[0] == pd.Timestamp("2024-03-13")
    np.testing.assert_allclose(
        pred.iloc[-1].to_numpy(), point_forecast(est).T.ravel(), rtol=1e-8
    )


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_columns_are_modelled_independently(model):
    X = frame(60)
    both = quiet(clone(model).fit, X).forecast()
    for col in X.columns:
        alone = quiet(clone(model).fit, X[[col]]).forecast()
        pd.testing.assert_frame_equal(both[alone.columns], alone)


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_clone_and_params(model):
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    assert twin is not model
    with pytest.raises(NotFittedError):
        twin.forecast()
    with pytest.raises(NotFittedError):
        twin.predict(series(10))


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_bad_input_errors(model):
    X = frame(60)
    bad = X.copy()
    bad.iloc[5, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        clone(model).fit(bad)
    est = quiet(clone(model).fit, X.iloc[:40])
    with pytest.raises(ValueError, match="does not continue"):
        est.update(X.iloc[42:50])
    with pytest.raises(ValueError, match="steps must be an int >= 1"):
        est.forecast(0)
    with pytest.raises(ValueError, match="NaN or infinite"):
        est.predict(bad)


def test_short_series_for_seasonal_period():
    with pytest.raises(
        ValueError, match=re.escape("needs at least 8 (season_length + 1")
    ):
        SeasonalNaiveForecaster(season_length=7).fit(np.arange(7.0))
    fc = SeasonalNaiveForecaster(season_length=7, quantiles=None).fit(np.arange(7.0))
    assert fc.forecast()["y"].iloc[0] == 0.0


@pytest.mark.parametrize(
    ("est", "error", "match"),
    [
        (SeasonalNaiveForecaster(season_length=0), ValueError, "'season_length'"),
        (MeanForecaster(window=1), ValueError, "must be >= 2 when quantiles"),
        (MeanForecaster(window=0), ValueError, "'window'"),
        (EWMAVolatilityForecaster(decay=1.0), ValueError, r"'decay'.*\(0.0, 1.0\)"),
        (EWMAVolatilityForecaster(decay="x"), TypeError, "'decay'"),
        (ARIMAForecaster(order=(1, 1)), ValueError, "tuple of 3 non-negative ints"),
        (ARIMAForecaster(information_criterion="aik"), ValueError, "'aic'"),
        (ARIMAForecaster(trend="linear"), ValueError, "'trend'"),
        (ETSForecaster(trend="mul"), ValueError, "'trend'"),
    ],
)
def test_parameter_errors(est, error, match):
    with pytest.raises(error, match=match):
        est.fit(series(30))
