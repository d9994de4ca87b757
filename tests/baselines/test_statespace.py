"""The statistical models keep the import path they first had."""

import tsattn.baselines as baselines
import tsattn.baselines.statespace as statespace


def test_statespace_path_names_the_package_classes():
    assert statespace.__all__ == ["ARIMAForecaster", "ETSForecaster", "ThetaForecaster"]
    for name in statespace.__all__:
        assert getattr(statespace, name) is getattr(baselines, name)
