"""The package re-exports every public name under one module path."""

import pickle

import tsattn
import tsattn.baselines as baselines
from tsattn.baselines import NaiveForecaster


def test_every_public_name_is_importable_from_the_package_and_tsattn():
    assert baselines.__all__
    for name in baselines.__all__:
        cls = getattr(baselines, name)
        assert cls.__module__ == "tsattn.baselines"
        if name in tsattn._LAZY:
            assert getattr(tsattn, name) is cls


def test_fitted_baseline_pickles_under_the_public_path():
    est = NaiveForecaster(horizon=2, quantiles=None).fit([1.0, 2.0, 3.0])
    blob = pickle.dumps(est)
    assert b"tsattn.baselines" in blob
    assert b"tsattn.baselines.naive" not in blob
    again = pickle.loads(blob)
    assert again.forecast()["y"].tolist() == [3.0, 3.0]
