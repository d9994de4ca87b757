"""tsattn's ARIMA, ETS and Theta side by side with statsforecast's on the demo folds.

The folds are those of ``tsattn demo``: the last 1,500 rows of the eight series
of the shipped exchange-rate panel, 20 rolling origins of horizon 5, five rows
apart, at the end of the data; every model is fitted once, at the first
cutoff, and carried to the later cutoffs without refitting (tsattn: a state
update; statsforecast: ``model.forward`` on the longer history, which keeps
the fitted parameters). MASE per series uses the in-sample one-step naive MAE
of the training rows; the table gives the mean over series and the ratio of
tsattn's model to statsforecast's.

statsforecast is not a tsattn dependency and changes pinned packages, so it
runs in its own environment: this file, started by that environment's Python
with ``--statsforecast-worker IN OUT``, reads the series and cutoffs and writes
its forecasts (no tsattn import on that path)::

    python -m venv /work/venv-sf && /work/venv-sf/bin/pip install statsforecast
    PYTHONPATH=. python benchmarks/bench_baselines.py \
        --sf-python /work/venv-sf/bin/python

(``PYTHONPATH=.`` from the repository root so that this checkout's tsattn is
the one measured; the script prints which one it imported.)

The models are deterministic (no seed): the spread reported is across series.
Also prints, per model, the largest jump of a first-step forecast away from
the last observed value, in units of the training rows' one-step change.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

HORIZON, N_FOLDS, N_ROWS = 5, 20, 1500
PAIRS = [("ARIMA", "AutoARIMA"), ("ETS", "AutoETS"), ("Theta", "AutoTheta")]


def _statsforecast_worker(path_in: str, path_out: str) -> None:
    """Fit statsforecast's models at the first cutoff, forward them to the rest."""
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

    data = np.load(path_in)
    values, cutoffs, h = data["values"], data["cutoffs"], int(data["horizon"])
    makers = {
        "AutoARIMA": lambda: AutoARIMA(season_length=1),
        "AutoETS": lambda: AutoETS(season_length=1),
        "AutoTheta": lambda: AutoTheta(season_length=1),
    }
    out: dict[str, np.ndarray] = {}
    for name, make in makers.items():
        fc = np.empty((values.shape[1], len(cutoffs), h))
        start = time.perf_counter()
        for j in range(values.shape[1]):
            y = values[:, j]
            model = make().fit(y[: cutoffs[0] + 1])
            for k, c in enumerate(cutoffs):
                fc[j, k] = model.forward(y=y[: c + 1], h=h)["mean"]
        out[name] = fc
        out[f"{name}_seconds"] = np.array(time.perf_counter() - start)
    np.savez(path_out, **out)


def _tsattn_forecasts(data, cutoffs, models, ets_auto):
    """Backtest tsattn's models as the demo builds them; forecasts (series, fold, h)."""
    from tsattn import backtest
    from tsattn.baselines import ETSForecaster
    from tsattn.cli.models import make_model

    def make(name):
        if name == "ets" and ets_auto:
            auto = {"error": "auto", "trend": "auto", "damped_trend": "auto"}
            return ETSForecaster(horizon=HORIZON, **auto)
        return make_model(name, HORIZON, {})

    out, seconds = {}, {}
    for short, name in (("ARIMA", "arima"), ("ETS", "ets"), ("Theta", "theta")):
        if short not in models:
            continue
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = backtest(
                [make(name)],
                data,
                horizon=HORIZON,
                n_folds=N_FOLDS,
                refit=False,
            )
        seconds[short] = time.perf_counter() - start
        fc = np.empty((data.shape[1], len(cutoffs), HORIZON))
        for j, col in enumerate(data.columns):
            rows = res[res["series"] == col].sort_values(["fold", "step"])
            fc[j] = rows["y_pred"].to_numpy().reshape(len(cutoffs), HORIZON)
        if short == "ARIMA":
            est = make_model(name, HORIZON, {})
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est.fit(data.iloc[: cutoffs[0] + 1])
            print("tsattn ARIMA orders at the first cutoff:", est.orders_)
            print("  trends:", est.trends_)
        out[short] = fc
    return out, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sf-python", default="/work/venv-sf/bin/python")
    parser.add_argument("--statsforecast-worker", nargs=2, metavar=("IN", "OUT"))
    parser.add_argument(
        "--models", default="ARIMA,ETS,Theta", help="subset of ARIMA,ETS,Theta"
    )
    parser.add_argument(
        "--ets-auto",
        action="store_true",
        help="tsattn ETS with error, trend and damping chosen by AICc (the demo "
        "uses the default simple exponential smoothing, ANN)",
    )
    args = parser.parse_args()
    if args.statsforecast_worker:
        _statsforecast_worker(*args.statsforecast_worker)
        return

    import tsattn
    from tsattn import load_exchange_rate
    from tsattn.splitters import BacktestSplitter

    print("tsattn from", tsattn.__file__)

    data = load_exchange_rate().iloc[-N_ROWS:]
    values = data.to_numpy(dtype=np.float64)
    folds = list(
        BacktestSplitter(horizon=HORIZON, n_folds=N_FOLDS).split(np.arange(N_ROWS))
    )
    cutoffs = np.array([train[-1] for train, _ in folds])

    with tempfile.TemporaryDirectory() as tmp:
        path_in, path_out = Path(tmp, "in.npz"), Path(tmp, "out.npz")
        np.savez(path_in, values=values, cutoffs=cutoffs, horizon=HORIZON)
        subprocess.run(
            [args.sf_python, __file__, "--statsforecast-worker", path_in, path_out],
            check=True,
        )
        sf = dict(np.load(path_out))
    models = args.models.split(",")
    ts, ts_seconds = _tsattn_forecasts(data, cutoffs, models, args.ets_auto)
    pairs = [(a, b) for a, b in PAIRS if a in models]

    train = values[: cutoffs[0] + 1]
    scale = np.mean(np.abs(np.diff(train, axis=0)), axis=0)  # (series,)
    truth = np.stack(
        [values[c + 1 : c + 1 + HORIZON] for c in cutoffs], axis=1
    ).T  # (series, fold, h)
    last = values[cutoffs].T  # (series, fold)

    def mase(fc):
        return np.mean(np.abs(fc - truth), axis=(1, 2)) / scale  # per series

    naive = mase(np.repeat(last[:, :, None], HORIZON, axis=2))
    print(
        f"\nMASE on the demo folds ({data.shape[1]} series, {N_FOLDS} folds, h = "
        f"{HORIZON}); naive: mean {naive.mean():.3f}\n"
    )
    header = (
        f"{'model':<10}{'tsattn':>9}{'statsforecast':>15}{'ratio':>8}"
        f"{'ratio min..max over series':>30}{'max jump t/sf':>16}"
    )
    print(header)
    for mine, theirs in pairs:
        a, b = mase(ts[mine]), mase(sf[theirs])
        ratio = a / b
        jump_a = np.max(np.abs(ts[mine][:, :, 0] - last) / scale[:, None])
        jump_b = np.max(np.abs(sf[theirs][:, :, 0] - last) / scale[:, None])
        print(
            f"{mine:<10}{a.mean():>9.3f}{b.mean():>15.3f}"
            f"{a.mean() / b.mean():>8.3f}"
            f"{f'{ratio.min():.3f}..{ratio.max():.3f}':>30}"
            f"{f'{jump_a:.2f}/{jump_b:.2f}':>16}"
        )
    print(
        "\nPer series MASE (naive | tsattn "
        + " ".join(m for m, _ in pairs)
        + " | statsforecast "
        + " ".join(t for _, t in pairs)
        + "):"
    )
    for j, col in enumerate(data.columns):
        row = [naive[j]] + [mase(ts[m])[j] for m, _ in pairs]
        row += [mase(sf[t])[j] for _, t in pairs]
        print(f"  {col:>3}: " + " ".join(f"{v:.3f}" for v in row))
    print(
        "\nSeconds (loaded machine): tsattn "
        + ", ".join(f"{k} {v:.1f}" for k, v in ts_seconds.items())
        + "; statsforecast "
        + ", ".join(f"{t} {float(sf[t + '_seconds']):.1f}" for _, t in PAIRS)
    )


if __name__ == "__main__":
    sys.exit(main())
