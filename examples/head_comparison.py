"""Self-attention vs multi-head attention, single vs multi output head.

Run: python examples/head_comparison.py

Four networks differ in one thing each: one attention head (sa) or four (mha)
over the same width, and one shared output layer or an output head of its own
for the forecast (_multi). They forecast the daily log returns of three
simulated stocks whose returns are AR(1) (some momentum to learn), on the same
folds, beside the historical mean (the random walk in prices), and are compared
pairwise with a Diebold-Mariano test on the forecasts both made.
"""

import numpy as np
import torch

from tsattn import AttentionForecaster, MeanForecaster, SelfAttentionForecaster
from tsattn.backtesting import backtest
from tsattn.datasets import make_stock_like
from tsattn.metrics import evaluate

torch.set_num_threads(1)  # small networks train fastest on one CPU thread

panel = make_stock_like("ar1", n_steps=900, n_series=3, random_state=11, phi=0.4)
closes = panel.pivot(index="date", columns="ticker", values="Close")
returns = np.log(closes).diff().dropna()

horizon = 5
# The default architecture (a 64-step window in patches of 8, two layers) at
# width 32, trained briefly. Heads split the width: four heads of 8 or one of 32.
net = dict(d_model=32, max_epochs=10, max_steps_per_epoch=30, random_state=0)
models = {
    "mean": MeanForecaster(quantiles=None),
    "sa": SelfAttentionForecaster(**net),
    "mha": AttentionForecaster(n_heads=4, **net),
    "sa_multi": SelfAttentionForecaster(output_head="multi", **net),
    "mha_multi": AttentionForecaster(n_heads=4, output_head="multi", **net),
}
results = backtest(models, returns, horizon=horizon, n_folds=20, refit=False)

board = evaluate(
    results, by="model", metrics=["mae", "rmse"], baseline="mean", dm_loss="absolute"
)
# Cost per fit: the networks fit all series at once, once (refit=False).
fits = results[results["fit_seconds"] > 0].drop_duplicates(["model", "series", "fold"])
cost = fits.groupby("model").agg(
    n_params=("n_params", "first"), fit_seconds=("fit_seconds", "mean")
)
board = board.set_index("model").join(cost)
board["n_params"] = board["n_params"].astype("Int64")
print("Accuracy on 20 folds x 3 stocks x 5 steps (DM test against the mean):")
print(board.sort_values("mae").to_string(float_format="%.4g"))


def compare(a, b):
    """Print which of models a and b is more accurate, and how surely."""
    pair = results[results["model"].isin([a, b])]
    table = evaluate(
        pair, by="model", metrics=["mae"], baseline=a, dm_loss="absolute"
    ).set_index("model")
    mae_a, mae_b = table.loc[a, "mae"], table.loc[b, "mae"]
    p = table.loc[b, "dm_pvalue"]
    if np.isnan(p):
        print(f"{a:>9} vs {b:<9} identical forecasts (MAE {mae_a:.4g})")
        return
    better = a if mae_a < mae_b else b
    verdict = "significant" if p < 0.05 else "not significant"
    print(
        f"{a:>9} vs {b:<9} MAE {mae_a:.4g} vs {mae_b:.4g}: {better} is better by "
        f"{abs(mae_a - mae_b) / max(mae_a, mae_b):.1%}, {verdict} (DM p = {p:.3f})"
    )


print("\nSelf-attention vs multi-head attention:")
compare("sa", "mha")
compare("sa_multi", "mha_multi")
print("\nSingle vs multi output head:")
compare("mha", "mha_multi")
compare("sa", "sa_multi")
params = board["n_params"]
print(
    f"\nParameters: sa {params['sa']:,}, mha {params['mha']:,} (heads split d_model "
    f"rather than add weights); sa_multi {params['sa_multi']:,}, mha_multi "
    f"{params['mha_multi']:,}."
)
