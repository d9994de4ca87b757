"""Backtest attention models and baselines on your own price file; write a report.

Run: python examples/backtest_report_from_csv.py [PRICES.csv] [--out report.html]

PRICES.csv is a daily OHLCV file as a broker or finance site exports it (Date,
Open, High, Low, Close, Volume; headers such as "Close/Last" or "Adj Close" and
values such as "$1,234.50" are understood). Without a file, one is simulated
first, so the script runs as is. The same in one command:
tsattn backtest PRICES.csv --models naive,drift,ets,theta,mha,sa --report r.html
"""

import argparse
from pathlib import Path

import torch

from tsattn import (
    AttentionForecaster,
    DriftForecaster,
    ETSForecaster,
    NaiveForecaster,
    SelfAttentionForecaster,
    ThetaForecaster,
)
from tsattn.backtesting import backtest
from tsattn.datasets import load_ohlcv_csv, make_stock_like
from tsattn.metrics import evaluate
from tsattn.report import save_report

torch.set_num_threads(1)  # small networks train fastest on one CPU thread

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("csv", nargs="?", help="daily OHLCV CSV file")
parser.add_argument("--out", default="backtest_report.html", help="HTML report")
args = parser.parse_args()

if args.csv is None:
    # A stand-in for a downloaded file: 750 business days of a jump-diffusion stock.
    args.csv = Path(args.out).with_name("simulated_prices.csv")
    bars = make_stock_like("jump", n_steps=750, random_state=3)
    bars.round(2).to_csv(args.csv, index_label="Date")
    print(f"no CSV given; simulated one at {args.csv}")

# sort=True: many sites export the newest day first.
prices = load_ohlcv_csv(args.csv, sort=True)
close = prices[["Close"]].dropna()
print(f"{len(close)} days from {close.index[0].date()} to {close.index[-1].date()}")

horizon = 5
# The default architecture (a 64-step window in patches of 8, two layers) at
# width 32, trained briefly, with the 5% and 95% quantiles: a 90% interval.
net = dict(
    d_model=32,
    quantiles=(0.05, 0.95),
    max_epochs=10,
    max_steps_per_epoch=30,
    random_state=0,
)
models = {
    "naive": NaiveForecaster(),
    "drift": DriftForecaster(),
    "ets": ETSForecaster(),
    "theta": ThetaForecaster(),
    "mha": AttentionForecaster(n_heads=4, **net),
    "sa": SelfAttentionForecaster(**net),
}
# 20 cutoffs, 5 business days apart, at the end of the data. Every model is fitted
# at the first cutoff and fed the new rows by update() at each later cutoff
# (refit=False, advance="update": every forecast keeps its quantiles).
results = backtest(
    models, close, horizon=horizon, n_folds=20, refit=False, advance="update"
)

board = evaluate(
    results, by="model", metrics=["mae", "rmse", "coverage"], dm_loss="absolute"
)
print(board.sort_values("mae").to_string(index=False, float_format="%.4g"))

# Attention maps of one forecast: an mha model fitted like the backtest's, fed the
# rows up to the last cutoff.
last_cutoff = results["cutoff"].max()
first_cutoff = results["cutoff"].min()
mha = AttentionForecaster(n_heads=4, horizon=horizon, **net)
mha.fit(close.loc[:first_cutoff]).update(close.loc[first_cutoff:last_cutoff].iloc[1:])
maps = mha.attention_weights()

path = save_report(
    results,
    args.out,
    title=f"Backtest of {Path(args.csv).name}",
    attention={**maps, "model": "mha", "series": "Close", "cutoff": last_cutoff},
    notes=f"Data: {Path(args.csv).name}, daily closes. Horizon {horizon}, 20 folds.",
)
print(f"report written to {path}")
