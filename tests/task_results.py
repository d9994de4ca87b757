"""A synthetic results frame of a supervised multi-task backtest, with seeds.

No training: forecasts are the truth plus noise, so that who beats whom is
known. Returns are Gaussian with a known, slowly varying variance.
"""

import numpy as np
import pandas as pd

# name -> (n_heads, output_head, d_model, n_params, return skill, P(up) slope,
#          log-variance noise); None: a baseline.
ATTENTION = {
    "mha": (4, "single", 16, 5_000, 0.30, 40.0, 0.10),
    "sa": (1, "single", 16, 4_300, 0.10, 10.0, 0.45),
    "mha_multi": (4, "multi", 16, 5_900, 0.30, 40.0, 0.12),
    "sa_wide": (1, "single", 24, 5_200, 0.10, 10.0, 0.40),
}
BASELINES = ("zero", "base_rate", "garch", "har")


def make_task_results(
    n_origins=90, series=("A", "B"), seeds=(0, 1, 2), models=None, random_state=0
):
    """Return a tidy frame like ``backtest_tasks`` + a ``seed`` column."""
    rng = np.random.default_rng(random_state)
    models = list(BASELINES) + list(ATTENTION) if models is None else list(models)
    index = pd.bdate_range("2024-01-01", periods=n_origins + 200)
    rows = []
    for s_i, name in enumerate(series):
        t = np.arange(n_origins)
        var = 1e-4 * (1.0 + 0.8 * np.sin(t / 9.0 + s_i)) + 2e-5
        ret = rng.normal(0.0, np.sqrt(var))
        up = (ret > 0).astype(float)
        realized = var * rng.chisquare(1, n_origins) + 1e-7
        for model in models:
            runs = seeds if model in ATTENTION else (None,)
            for seed in runs:
                r = np.random.default_rng(
                    [random_state, s_i, models.index(model), 99 if seed is None else seed]
                )
                arch = ATTENTION.get(model)
                if arch is None:
                    pred = {
                        "return": np.zeros(n_origins),
                        "direction": np.full(n_origins, 0.5),
                        "variance": var * np.exp(r.normal(0, 0.3, n_origins)),
                    }
                    if model == "har":
                        pred["variance"] = var * np.exp(r.normal(0, 0.35, n_origins))
                    tasks = {"zero": ["return"], "base_rate": ["direction"]}.get(
                        model, ["variance"]
                    )
                    heads, out, width, n_params = None, None, np.nan, 2
                else:
                    heads, out, width, n_params, skill, slope, noise = arch
                    ret_pred = skill * ret + r.normal(0, 0.5 * np.sqrt(var))
                    pred = {
                        "return": ret_pred,
                        "direction": np.clip(0.5 + slope * ret_pred, 0.02, 0.98),
                        "variance": var * np.exp(r.normal(0, noise, n_origins)),
                    }
                    tasks = ["return", "direction", "variance"]
                for task in tasks:
                    truth = {"return": ret, "direction": up, "variance": realized}[task]
                    target = {"return": "log_return_h1", "direction": "up_h1",
                              "variance": "realized_var_k1"}[task]  # fmt: skip
                    rows.append(
                        pd.DataFrame(
                            {
                                "model": model,
                                "series": name,
                                "task": task,
                                "target": target,
                                "fold": t // 30,
                                "cutoff": index[100 + t],
                                "cutoff_pos": 100 + t,
                                "step": 1,
                                "timestamp": index[101 + t],
                                "y_true": truth,
                                "y_pred": pred[task],
                                "fit_seconds": np.where(t % 30 == 0, 1.5, 0.0),
                                "predict_seconds": 0.001,
                                "n_params": n_params,
                                "peak_memory_mb": 30.0 if arch else np.nan,
                                "n_heads": heads,
                                "output_head": out,
                                "d_model": width,
                                "seed": np.nan if seed is None else seed,
                            }
                        )
                    )
    return pd.concat(rows, ignore_index=True)
