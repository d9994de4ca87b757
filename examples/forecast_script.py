"""Fit an attention forecaster on daily prices and forecast with 90% intervals.

Run: python examples/forecast_script.py

The model learns from the closes of a simulated stock (GARCH volatility
clustering), forecasts the ten business days after the data with the 5% and
95% quantiles, and is checked against what happened and against the random
walk, the forecast to beat on prices.
"""

import numpy as np
import pandas as pd
import torch

from tsattn import AttentionForecaster, NaiveForecaster
from tsattn.datasets import make_stock_like

# Networks this small train fastest on one CPU thread.
torch.set_num_threads(1)

HORIZON = 10

prices = make_stock_like("garch", n_steps=1500, random_state=7)[["Close"]]
train, future = prices.iloc[:-HORIZON], prices.iloc[-HORIZON:]

# The default architecture (a 64-step window in patches of 8, four heads, two
# layers) at width 32, with the 5% and 95% quantiles, trained briefly.
model = AttentionForecaster(
    horizon=HORIZON,
    d_model=32,
    quantiles=(0.05, 0.95),
    max_epochs=15,
    max_steps_per_epoch=30,
    random_state=0,
)
model.fit(train)
print(
    f"trained {model.n_epochs_} epochs (best {model.best_epoch_}, "
    f"{model.stopped_reason_}), {model.n_params_:,} parameters, "
    f"{model.fit_time_:.1f} s"
)

forecast = model.forecast()  # next HORIZON business days, in price units
naive = NaiveForecaster(horizon=HORIZON).fit(train).forecast()

table = pd.DataFrame(
    {
        "actual": future["Close"].to_numpy(),
        "attention": forecast["Close"].to_numpy(),
        "low_5%": forecast["Close_q0.05"].to_numpy(),
        "high_95%": forecast["Close_q0.95"].to_numpy(),
        "naive": naive["Close"].to_numpy(),
    },
    index=forecast.index,
)
print(table.round(2).to_string())

actual = table["actual"].to_numpy()
inside = (actual >= table["low_5%"]) & (actual <= table["high_95%"])
print(f"\nMAE attention: {np.mean(np.abs(actual - table['attention'])):.3f}")
print(f"MAE naive:     {np.mean(np.abs(actual - table['naive'])):.3f}")
print(f"actuals inside the 90% interval: {int(inside.sum())} of {HORIZON}")
print(
    "One forecast says little: tsattn backtest (or tsattn.backtesting.backtest) "
    "compares models over many cutoffs."
)

# The fitted model keeps forecasting as new closes arrive, without refitting.
model.update(future)
print("\nnext five days after the data:")
print(model.forecast(5).round(2).to_string())
