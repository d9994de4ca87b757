"""Stock-like oracle benchmark: the attention model against known optimal forecasts.

Four checks on series from :func:`tsattn.datasets.make_stock_like`, each split in
time order into a training part (the first ``--train-fraction`` of the rows) and
a test part that the model never sees in ``fit``:

1. **AR(1) returns with GARCH(1,1) noise** (``kind="ar1"``): one-step MSE of the
   next log return, the model against the oracle (the true conditional mean,
   :func:`tsattn.datasets.stock_like_oracle`), the zero forecast (the random
   walk in prices) and the training mean. Target: within 3% of the oracle.
2. **Regime-switching mean** (``kind="regime"``): the same, the oracle being
   the Hamilton filter under the true parameters.
3. **Volatility** (``kind="garch"``): the model trained with the QLIKE loss on
   the squared next return, against RiskMetrics EWMA (lambda 0.94,
   :class:`tsattn.baselines.EWMAVolatilityForecaster`), a GARCH(1,1) fitted by
   Gaussian maximum likelihood on the training part (``scipy.optimize``), and
   the GARCH recursion with the generator's true parameters (the oracle, an
   upper bound). Scored by QLIKE against the squared next return.
4. **Pure random walk** (``kind="gbm"``, ``mu=0``): the model in forecasting
   mode on log prices against the naive (last value) forecast, with the MSE
   ratio and a Diebold-Mariano test; the model must not do worse than naive.

In the supervised checks the inputs are the log returns (and, for volatility,
their squares) divided by the training part's standard deviation, a fixed
transform fitted on training rows only, like a ``StandardScaler``. Instance
normalisation is off there (``revin=False``): it divides each window by its
own standard deviation and supervised outputs are not scaled back, so the
volatility level that the variance target depends on is lost (for the return
mean it makes no measurable difference).

Examples
--------
    python benchmarks/oracle.py --quick
    python benchmarks/oracle.py --n-steps 20000
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from typing import Any

import numpy as np
import pandas as pd
from attention_runs import LABELS, add_network_arguments, build, start_run
from scipy.optimize import minimize
from scipy.signal import lfilter

from tsattn.baselines import EWMAVolatilityForecaster, NaiveForecaster
from tsattn.datasets import make_stock_like, stock_like_oracle
from tsattn.metrics import diebold_mariano, qlike


# ------------------------------------------------------------------ helpers
def split_point(n: int, fraction: float) -> int:
    return int(n * fraction)


def log_returns(df: pd.DataFrame) -> pd.Series:
    """Log returns r_t = log(Close_t / Close_{t-1}), the first from start_price."""
    return stock_like_oracle(df)["log_return"]


def build_model(kind: str, args: argparse.Namespace, **params: Any) -> Any:
    """The attention model of a check: one output head per step (``"multi"``)."""
    return build(kind, args, output_head="multi", **params)


def dm(e_model: np.ndarray, e_ref: np.ndarray, loss: str = "squared") -> str:
    stat, p = diebold_mariano(e_model, e_ref, h=1, loss=loss)
    return f"{stat:+.2f} (p={p:.3f})"


def mean_table(rows: list[tuple[str, float, str]], ref: float, title: str) -> None:
    print(f"\n### {title}\n")
    print("| forecast | test MSE | / oracle | DM vs oracle (stat, p) |")
    print("|---|---|---|---|")
    for name, mse, dm_text in rows:
        print(f"| {name} | {mse:.4e} | {mse / ref:.4f} | {dm_text} |")
    sys.stdout.flush()


# ------------------------------------------------------------ mean oracles
def mean_check(kind: str, args: argparse.Namespace) -> dict[str, float]:
    """One-step log-return MSE of the attention models against the oracle."""
    df = make_stock_like(kind, n_steps=args.n_steps, random_state=args.seed)
    o = stock_like_oracle(df)
    r = o["log_return"]
    n_train = split_point(len(df), args.train_fraction)
    sd = float(r.iloc[:n_train].std())
    X = (r / sd).to_frame("r")
    y = o["target"].rename("log_return_h1")
    test = slice(n_train, len(df) - 1)  # rows with a next return
    target = o["target"].to_numpy()[test]
    e_oracle = target - o["forecast"].to_numpy()[test]
    oracle_mse = float(np.mean(e_oracle**2))
    train_mean = float(r.iloc[:n_train].mean())
    rows = [
        ("oracle (true conditional mean)", oracle_mse, "-"),
        (
            "zero (random walk in prices)",
            float(np.mean(target**2)),
            dm(target, e_oracle),
        ),
        (
            "training mean",
            float(np.mean((target - train_mean) ** 2)),
            dm(target - train_mean, e_oracle),
        ),
    ]
    out = {"oracle": oracle_mse}
    for model_kind in args.models:
        model = build_model(model_kind, args, revin=False)
        start = time.perf_counter()
        model.fit(X.iloc[:n_train], y.iloc[:n_train])
        fit_s = time.perf_counter() - start
        pred = np.asarray(model.predict(X.iloc[n_train:]), dtype=np.float64).ravel()
        e = target - pred[: len(target)]
        mse = float(np.mean(e**2))
        name = LABELS[model_kind]
        rows.append(
            (
                f"{name} ({model.n_params_:,} params, fit {fit_s:.0f}s, "
                f"epochs {model.best_epoch_}/{model.n_epochs_})",
                mse,
                dm(e, e_oracle),
            )
        )
        out[name] = mse
    mean_table(
        rows,
        oracle_mse,
        f"{kind}: one-step log-return MSE, {len(target)} test rows "
        f"(train {n_train} rows, seed {args.seed})",
    )
    return out


# -------------------------------------------------------------- volatility
def garch_filter(
    r: np.ndarray, mu: float, omega: float, alpha: float, beta: float, h0: float
) -> np.ndarray:
    """Conditional variances h_t of r_t given r_{<t}; returns n + 1 values."""
    eps = r - mu
    drive = np.concatenate([[h0], omega + alpha * eps**2])  # (n + 1,)
    # h[0] = h0, h[t + 1] = omega + alpha * eps[t]^2 + beta * h[t]
    return lfilter([1.0], [1.0, -beta], drive)


def fit_garch(r: np.ndarray) -> dict[str, float]:
    """GARCH(1,1) with a constant mean by Gaussian maximum likelihood (L-BFGS-B)."""
    var = float(np.var(r))

    def unpack(theta: np.ndarray) -> tuple[float, float, float, float]:
        mu, log_omega, a, b = theta
        alpha = 1 / (1 + math.exp(-a))
        beta = (1 - alpha) / (1 + math.exp(-b))  # alpha + beta < 1
        return mu, math.exp(log_omega), alpha, beta

    def nll(theta: np.ndarray) -> float:
        mu, omega, alpha, beta = unpack(theta)
        h = garch_filter(r, mu, omega, alpha, beta, var)[:-1]
        return 0.5 * float(np.sum(np.log(h) + (r - mu) ** 2 / h))

    # start: alpha 0.05, beta 0.9, omega from the unconditional variance
    a0 = math.log(0.05 / 0.95)
    b0 = math.log((0.9 / 0.95) / (1 - 0.9 / 0.95))
    theta0 = np.array([float(np.mean(r)), math.log(var * 0.05), a0, b0])
    res = minimize(nll, theta0, method="L-BFGS-B")
    mu, omega, alpha, beta = unpack(res.x)
    return {"mu": mu, "omega": omega, "alpha": alpha, "beta": beta, "h0": var}


def volatility_check(args: argparse.Namespace) -> dict[str, float]:
    """QLIKE of variance forecasts for the next squared log return."""
    df = make_stock_like("garch", n_steps=args.n_steps, random_state=args.seed)
    p = df.attrs["tsattn"]["params"]
    o = stock_like_oracle(df)
    r = o["log_return"].to_numpy()
    n_train = split_point(len(df), args.train_fraction)
    test = slice(n_train, len(df) - 1)
    realized = r[1:][test] ** 2  # r_{t+1}^2 for the test rows t

    # forecasts of E[r_{t+1}^2 | r_{<=t}]: variance + squared mean
    forecasts: dict[str, np.ndarray] = {}
    oracle_m2 = (o["variance"] + o["forecast"] ** 2).to_numpy()
    forecasts["oracle (GARCH, true parameters)"] = oracle_m2[test]

    start = time.perf_counter()
    g = fit_garch(r[:n_train])
    h = garch_filter(r, g["mu"], g["omega"], g["alpha"], g["beta"], g["h0"])
    forecasts[
        f"GARCH(1,1) MLE on train (alpha {g['alpha']:.3f}, beta {g['beta']:.3f})"
    ] = (h[1:] + g["mu"] ** 2)[test]
    garch_s = time.perf_counter() - start

    ewma = EWMAVolatilityForecaster(decay=0.94)
    ewma.fit(r[:n_train])
    ewma_pred = np.asarray(ewma.predict(r), dtype=np.float64).ravel()
    forecasts["EWMA RiskMetrics (lambda 0.94)"] = ewma_pred[test]
    train_var = float(np.mean(r[:n_train] ** 2))
    forecasts["constant (training mean square)"] = np.full(len(realized), train_var)

    sd = float(np.std(r[:n_train]))
    X = pd.DataFrame({"r": r / sd, "r2": (r / sd) ** 2}, index=df.index)
    y = pd.Series(np.append(r[1:] ** 2, np.nan), index=df.index, name="sq_return_h1")
    fit_info = {}
    for model_kind in args.models:
        model = build_model(
            model_kind,
            args,
            revin=False,
            window_length=args.vol_window_length,
            tasks={"sq_return_h1": "qlike"},
        )
        start = time.perf_counter()
        model.fit(X.iloc[:n_train], y.iloc[:n_train])
        fit_s = time.perf_counter() - start
        pred = np.asarray(model.predict(X.iloc[n_train:]), dtype=np.float64).ravel()
        name = LABELS[model_kind]
        label = (
            f"{name} (QLIKE loss, {model.n_params_:,} params, fit {fit_s:.0f}s, "
            f"epochs {model.best_epoch_}/{model.n_epochs_})"
        )
        forecasts[label] = pred[: len(realized)]
        fit_info[name] = fit_s

    q_oracle = qlike(realized, forecasts["oracle (GARCH, true parameters)"])
    print(
        f"\n### garch: one-step variance forecasts, QLIKE on r_(t+1)^2, "
        f"{len(realized)} test rows (train {n_train} rows, seed {args.seed}; "
        f"true alpha {p['alpha']}, beta {p['beta']}; GARCH MLE {garch_s:.1f}s)\n"
    )
    print("| forecast | QLIKE | minus oracle | DM vs EWMA (stat, p) |")
    print("|---|---|---|---|")
    ewma_key = "EWMA RiskMetrics (lambda 0.94)"
    ql_ewma = realized / forecasts[ewma_key] - np.log(realized / forecasts[ewma_key])
    out = {}
    for name, f in forecasts.items():
        q = qlike(realized, f)
        loss = realized / f - np.log(realized / f)
        # QLIKE terms are positive, so the "absolute" loss of these values is
        # the values themselves: a DM test on the per-row QLIKE differential.
        stat, pv = diebold_mariano(loss, ql_ewma, h=1, loss="absolute")
        dm_text = "-" if name == ewma_key else f"{stat:+.2f} (p={pv:.3f})"
        print(f"| {name} | {q:.4f} | {q - q_oracle:+.4f} | {dm_text} |")
        out[name] = q
    sys.stdout.flush()
    return out


# ------------------------------------------------------------- random walk
def random_walk_check(args: argparse.Namespace) -> dict[str, float]:
    """Forecasting mode on log prices of a driftless random walk, against naive."""
    df = make_stock_like("gbm", n_steps=args.n_steps, random_state=args.seed, mu=0.0)
    logp = np.log(df["Close"].to_numpy())
    n_train = split_point(len(df), args.train_fraction)
    H = args.rw_horizon
    X = pd.DataFrame({"log_close": logp}, index=df.index)
    rows_test = np.arange(n_train, len(df) - H)  # forecasts made at these rows
    future = np.lib.stride_tricks.sliding_window_view(logp[n_train + 1 :], H)
    future = future[: len(rows_test)]  # (n, H): rows t+1..t+H

    naive = NaiveForecaster(horizon=H).fit(X.iloc[:n_train])
    naive_pred = np.asarray(naive.predict(X.iloc[n_train:]), dtype=np.float64)
    naive_pred = naive_pred[: len(rows_test)].reshape(len(rows_test), -1)
    e_naive = future - naive_pred
    mse_naive = float(np.mean(e_naive**2))
    print(
        f"\n### gbm (mu=0): {H}-step forecasts of log prices, {len(rows_test)} test "
        f"origins (train {n_train} rows, seed {args.seed})\n"
    )
    print(
        "| forecast | MSE (x1e4) | / naive | DM vs naive, step 1 (stat, p) | "
        "DM, mean over steps |"
    )
    print("|---|---|---|---|---|")
    print(f"| naive (last value) | {mse_naive * 1e4:.4f} | 1.0000 | - | - |")
    out = {"naive": mse_naive}
    for model_kind in args.models:
        model = build_model(model_kind, args, horizon=H, revin=True)
        start = time.perf_counter()
        model.fit(X.iloc[:n_train])
        fit_s = time.perf_counter() - start
        pred = np.asarray(model.predict(X.iloc[n_train:]), dtype=np.float64)
        pred = pred[: len(rows_test)].reshape(len(rows_test), -1)
        e = future - pred
        mse = float(np.mean(e**2))
        step1 = dm(e[:, 0], e_naive[:, 0])
        # loss differential averaged over the H steps; errors overlap up to H - 1 rows
        d_stat, d_p = diebold_mariano(
            np.sqrt(np.mean(e**2, axis=1)), np.sqrt(np.mean(e_naive**2, axis=1)), h=H
        )
        name = LABELS[model_kind]
        print(
            f"| {name} ({model.n_params_:,} params, fit {fit_s:.0f}s, epochs "
            f"{model.best_epoch_}/{model.n_epochs_}) | {mse * 1e4:.4f} | "
            f"{mse / mse_naive:.4f} | {step1} | {d_stat:+.2f} (p={d_p:.3f}) |"
        )
        out[name] = mse
    sys.stdout.flush()
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--checks",
        nargs="+",
        default=["ar1", "regime", "volatility", "random_walk"],
        choices=("ar1", "regime", "volatility", "random_walk"),
    )
    p.add_argument("--n-steps", type=int, default=20000)
    p.add_argument("--train-fraction", type=float, default=0.8)
    p.add_argument("--window-length", type=int, default=32)
    p.add_argument("--vol-window-length", type=int, default=64)
    p.add_argument("--rw-horizon", type=int, default=5)
    add_network_arguments(
        p, patch_len=4, d_model=32, dropout=0.1, epochs=20, batch_size=256, patience=4
    )
    p.add_argument("--quick", action="store_true", help="tiny smoke test")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.quick:
        args.n_steps, args.epochs, args.max_steps = 1500, 1, 3
        args.d_model, args.n_layers = 16, 1
    print(
        f"{start_run('oracle', args)}; n_steps={args.n_steps}, "
        f"L={args.window_length}, patch_len={args.patch_len}, d_model={args.d_model}, "
        f"layers={args.n_layers}, epochs={args.epochs}, max_steps={args.max_steps}"
    )
    start = time.perf_counter()
    for check in args.checks:
        t0 = time.perf_counter()
        if check in ("ar1", "regime"):
            mean_check(check, args)
        elif check == "volatility":
            volatility_check(args)
        else:
            random_walk_check(args)
        print(f"\n# {check}: {time.perf_counter() - t0:.0f}s")
    print(f"\n# total wall time {time.perf_counter() - start:.0f}s")


if __name__ == "__main__":
    main()
