import numpy as np
import pytest

from tsattn.metrics import (
    brier_score,
    calibration_table,
    direction_accuracy,
    direction_mcc,
    directional_accuracy,
    log_loss,
    mae,
    mse,
    rmse,
    sign_mcc,
    smape,
)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: mae([1.0, 2.0], [1.0]),
            ValueError,
            r"len\(y_true\) = 2, len\(y_pred\) = 1",
        ),
        (lambda: mae([], []), ValueError, "is empty"),
        (lambda: rmse([1.0, np.nan], [1.0, 2.0]), ValueError, "NaN or infinite"),
        (lambda: mae(["a"], ["b"]), TypeError, "must be numeric"),
        (lambda: direction_accuracy([0, 1], [0.2]), ValueError, r"len\(y_true\) = 2"),
    ],
)
def test_inputs_are_checked_once_for_every_metric(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    "metric",
    [
        mae,
        mse,
        rmse,
        smape,
        directional_accuracy,
        sign_mcc,
        direction_accuracy,
        direction_mcc,
        brier_score,
        log_loss,
        calibration_table,
    ],
)
def test_shared_docstrings_document_every_parameter_and_the_return(metric):
    import inspect

    doc = inspect.getdoc(metric)
    params = doc.split("Parameters\n----------\n")[1].split("\n\nReturns\n")[0]
    documented = [
        name.strip()
        for line in params.splitlines()
        if not line.startswith(" ")
        for name in line.split(" : ")[0].split(",")
    ]
    assert documented == list(inspect.signature(metric).parameters)
    returns = doc.split("Returns\n-------\n")[1].splitlines()
    assert returns[0] in ("float", "pandas.DataFrame")
    assert returns[1].startswith("    ")
    assert doc.splitlines()[0].endswith(".")
