import numpy as np
import pytest

from tsattn.metrics import direction, point


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: point.mae([1.0, 2.0], [1.0]),
            ValueError,
            r"len\(y_true\) = 2, len\(y_pred\) = 1",
        ),
        (lambda: point.mae([], []), ValueError, "is empty"),
        (lambda: point.rmse([1.0, np.nan], [1.0, 2.0]), ValueError, "NaN or infinite"),
        (lambda: point.mae(["a"], ["b"]), TypeError, "must be numeric"),
        (
            lambda: direction.direction_accuracy([0, 1], [0.2]),
            ValueError,
            r"len\(y_true\) = 2",
        ),
    ],
)
def test_inputs_are_checked_once_for_every_metric(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    "metric",
    [
        *(point.mae, point.mse, point.rmse, point.smape),
        *(direction.directional_accuracy, direction.sign_mcc),
        *(direction.direction_accuracy, direction.direction_mcc),
        *(direction.brier_score, direction.log_loss, direction.calibration_table),
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
