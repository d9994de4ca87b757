"""The model names of the command line and the forecasters they stand for."""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Sequence
from typing import Any

from tsattn.cli.columns import split_list

#: Model names understood by ``tsattn backtest --models`` and what they stand for.
MODELS = {
    "mha": "multi-head attention (AttentionForecaster)",
    "mha_multi": "multi-head attention with an output head of its own per task",
    "sa": "single-head self-attention (SelfAttentionForecaster)",
    "sa_multi": "self-attention with an output head of its own per task",
    "naive": "random walk: every future value equals the last one",
    "seasonal_naive": "seasonal random walk, period 5 (one business week)",
    "drift": "random walk with drift",
    "mean": "historical mean",
    "arima": "ARIMA, order chosen by unit-root tests and AIC",
    "ets": "exponential smoothing (ETS, additive error)",
    "theta": "the Theta method",
}
ATTENTION = ("mha", "mha_multi", "sa", "sa_multi")
_QUANTILES = (0.05, 0.95)

#: The command's one departure from the estimator's defaults: runs are
#: reproducible unless --seed says otherwise (the estimator's random_state is None).
SEED = 0

#: The demo's attention settings, where they depart from the estimator's
#: defaults: smaller and shorter so that it trains in minutes on two CPU cores
#: (prices, and the multi-task part), or in seconds with --quick. Not tuned.
_DEMO_SPEED: dict[str, dict[str, Any]] = {
    "prices": {
        "d_model": 32,
        "max_epochs": 10,
        "max_steps_per_epoch": 25,
        "batch_size": 64,
        "n_iter_no_change": 3,
    },
    "tasks": {
        "d_model": 16,
        "n_layers": 1,
        "max_epochs": 10,
        "max_steps_per_epoch": 25,
        "batch_size": 64,
        "n_iter_no_change": 3,
    },
    "quick": {
        "window_length": 16,
        "d_model": 8,
        "n_heads": 2,
        "n_layers": 1,
        "patch_len": 4,
        "max_epochs": 2,
        "max_steps_per_epoch": 4,
        "batch_size": 32,
        "n_iter_no_change": 2,
    },
}
_DEMO_KEYS = tuple(_DEMO_SPEED["quick"])


def network_defaults() -> dict[str, Any]:
    """Return the parameters of a default ``AttentionForecaster``.

    They are the defaults of the command's network options, so that the
    command and the estimator agree.
    """
    from tsattn.estimators import AttentionForecaster

    return AttentionForecaster().get_params()


def demo_attention(part: str, quick: bool) -> dict[str, Any]:
    """Return the demo's attention settings for ``part`` ("prices" or "tasks")."""
    defaults = network_defaults()
    speed = _DEMO_SPEED["quick" if quick else part]
    return {**{key: defaults[key] for key in _DEMO_KEYS}, **speed}


def network_params(args: argparse.Namespace) -> dict[str, Any]:
    """Return the network options of the command line as estimator parameters."""
    return {
        "window_length": args.window_length,
        "d_model": args.d_model,
        "n_heads": args.heads,
        "n_layers": args.layers,
        "patch_len": args.patch_len,
        "max_epochs": args.epochs,
        "max_steps_per_epoch": args.max_steps_per_epoch,
        "device": args.device,
    }


def parse_models(text: str) -> list[str]:
    """Return the model names of ``--models``, checked against :data:`MODELS`."""
    names = split_list(text)
    if not names:
        raise ValueError(f"--models is empty; choose from {', '.join(MODELS)}.")
    for name in names:
        if name not in MODELS:
            close = difflib.get_close_matches(name, list(MODELS), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"unknown model {name!r}; choose from {', '.join(MODELS)}.{hint}"
            )
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"--models names {dupes} more than once.")
    return names


def make_model(
    name: str,
    horizon: int,
    attention: dict[str, Any],
    *,
    arima_order: tuple[int, int, int] | None = None,
) -> Any:
    """Return a fresh, unfitted forecaster for a name of :data:`MODELS`."""
    from tsattn import baselines

    if name in ATTENTION:
        from tsattn.estimators import AttentionForecaster, SelfAttentionForecaster

        params = {**attention, "horizon": horizon, "quantiles": _QUANTILES}
        params["output_head"] = "multi" if name.endswith("_multi") else "single"
        if name.startswith("sa"):
            params.pop("n_heads", None)
            return SelfAttentionForecaster(**params)
        return AttentionForecaster(**params)
    simple = {
        "naive": baselines.NaiveForecaster,
        "drift": baselines.DriftForecaster,
        "mean": baselines.MeanForecaster,
        "ets": baselines.ETSForecaster,
        "theta": baselines.ThetaForecaster,
    }
    if name in simple:
        return simple[name](horizon=horizon)
    if name == "seasonal_naive":
        return baselines.SeasonalNaiveForecaster(horizon=horizon, season_length=5)
    return baselines.ARIMAForecaster(horizon=horizon, order=arima_order)


def model_comparisons(models: Sequence[str]) -> list[tuple[str, str, str]] | None:
    """Head-to-head pairs among the :data:`MODELS` names; None lets the report look."""
    present = set(models)
    if not present & set(ATTENTION):
        return None
    pairs = []
    if {"sa", "mha"} <= present:
        pairs.append(("Self-attention vs multi-head attention", "sa", "mha"))
    if {"sa_multi", "mha_multi"} <= present:
        pairs.append(
            (
                "Self-attention vs multi-head attention (multi output head)",
                "sa_multi",
                "mha_multi",
            )
        )
    for base in ("mha", "sa"):
        if {base, f"{base}_multi"} <= present:
            pairs.append(
                (f"Single vs multi output head ({base})", base, f"{base}_multi")
            )
    return pairs
