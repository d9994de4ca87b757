"""ETS and Theta against statsmodels."""

import re

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.forecasting.theta import ThetaModel, ThetaModelResults
from statsmodels.tsa.holtwinters import ExponentialSmoothing

from baselines.helpers import point_forecast, quiet, series
from tsattn.baselines import ETSForecaster, ThetaForecaster

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
