"""Grid-search the attention heads inside a scikit-learn Pipeline.

Run: python examples/sklearn_pipeline_grid_search.py

AttentionForecaster is a plain scikit-learn regressor: rows of X are time steps,
y holds what to predict from each row (built by make_targets, no hand-made
shifts). Here it predicts two tasks at once, tomorrow's log return and whether
the close goes up, and GridSearchCV with TimeSeriesSplit chooses between one and
four attention heads, and between one shared output layer and a head per task.
The folds never train on the future of their test rows.
"""

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import make_scorer, mean_squared_error
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from tsattn import AttentionForecaster, make_targets
from tsattn.datasets import make_stock_like

torch.set_num_threads(1)  # small networks train fastest on one CPU thread

# AR(1) returns: the one simulated process whose next return is partly predictable.
bars = make_stock_like("ar1", n_steps=1200, phi=0.3, random_state=0)
close = bars["Close"]

# Features known at the close of each day.
X = pd.DataFrame(
    {
        "log_return": np.log(close).diff(),
        "log_range": np.log(bars["High"] / bars["Low"]),
        "log_volume": np.log(bars["Volume"]),
    }
).iloc[1:]
# Targets of each row: the next log return and the next-day direction (1 = up).
y = make_targets(close, kind=["log_return", "direction"], horizon=1).loc[X.index]
X, y = X.iloc[:-1], y.iloc[:-1]  # the last row has no next day

n_test = 200
X_train, X_test = X.iloc[:-n_test], X.iloc[-n_test:]
y_train, y_test = y.iloc[:-n_test], y.iloc[-n_test:]


def return_mse(y_true, y_pred):
    """Mean squared error of the next-return column (the first target)."""
    return mean_squared_error(np.asarray(y_true)[:, 0], np.asarray(y_pred)[:, 0])


pipe = Pipeline(
    [
        ("scale", StandardScaler()),
        (
            "model",
            AttentionForecaster(
                window_length=32,
                d_model=16,
                n_layers=1,
                patch_len=4,
                tasks={"log_return_h1": "mse", "up_h1": {"loss": "bce", "weight": 0.5}},
                max_epochs=10,
                max_steps_per_epoch=30,
                batch_size=64,
                random_state=0,
            ),
        ),
    ]
)
search = GridSearchCV(
    pipe,
    {"model__n_heads": [1, 4], "model__output_head": ["single", "multi"]},
    cv=TimeSeriesSplit(n_splits=3),
    scoring=make_scorer(return_mse, greater_is_better=False),
)
search.fit(X_train, y_train)

results = pd.DataFrame(search.cv_results_)
table = results[["param_model__n_heads", "param_model__output_head"]].copy()
table.columns = ["n_heads", "output_head"]
table["cv_return_mse"] = -results["mean_test_score"]
table["fit_s"] = results["mean_fit_time"]
print(table.sort_values("cv_return_mse").to_string(index=False, float_format="%.3g"))
print(f"\nbest: {search.best_params_}")

# Hold-out check against the forecast to beat: a zero return.
pred = np.asarray(search.predict(X_test))
actual = y_test["log_return_h1"].to_numpy()
mse_model = np.mean((actual - pred[:, 0]) ** 2)
mse_zero = np.mean(actual**2)
hit = np.mean((pred[:, 1] > 0.5) == (y_test["up_h1"].to_numpy() == 1.0))
print(f"hold-out return MSE: model {mse_model:.3g}, zero forecast {mse_zero:.3g}")
print(f"hold-out direction hit rate: {hit:.1%} ({n_test} days)")
