"""Assembly of the report's HTML sections from the results, stats and figures."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from importlib import resources
from string import Template
from typing import Any

import numpy as np
import pandas as pd

import tsattn
from tsattn.report import _plots
from tsattn.report._frame import PreparedResults, prepare_results
from tsattn.report._stats import compare_pair, leaderboard, step_errors
from tsattn.report._text import (
    ALPHA,
    column_decimals,
    comparison_sentence,
    fmt_num,
    fmt_p,
    fmt_pct,
    significance_marker,
    verdict,
)

__all__ = ["build_html", "detect_comparisons"]

_ATTENTION_KEYS = (
    "model",
    "timestamps",
    "weights",
    "query_timestamps",
    "series",
    "cutoff",
    "all_layers",
)


def _resource(name: str) -> str:
    return resources.files("tsattn.report").joinpath(name).read_text("utf-8")


def _img(fig: Any, alt: str) -> str:
    uri, width, height = _plots.to_data_uri(fig)
    return (
        f'<img src="{uri}" width="{width}" height="{height}" alt="{escape(alt)}">'
    )


def _figure(fig: Any, alt: str, caption: str) -> str:
    return f"<figure>{_img(fig, alt)}<figcaption>{caption}</figcaption></figure>"


def _name(model: str) -> str:
    """Escaped model name that may wrap after underscores in narrow cells."""
    return escape(model).replace("_", "_<wbr>")


def _fmt_label(value: Any) -> str:
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        value = pd.Timestamp(value)
        return value.strftime("%Y-%m-%d" if value == value.normalize() else "%c")
    return str(value)


# ---------------------------------------------------------------------------
# comparisons
# ---------------------------------------------------------------------------
def _swap_token(name: str, old: str, new: str) -> str | None:
    parts = re.split(r"([^A-Za-z0-9]+)", name)
    if not any(p.lower() == old for p in parts):
        return None
    return "".join(new if p.lower() == old else p for p in parts)


def _strip_from_token(name: str, token: str) -> str | None:
    parts = re.split(r"([^A-Za-z0-9]+)", name)
    lowered = [p.lower() for p in parts]
    if token not in lowered:
        return None
    head = "".join(parts[: lowered.index(token)])
    return re.sub(r"[^A-Za-z0-9]+$", "", head) or None


def detect_comparisons(models: Sequence[str]) -> list[tuple[str, str, str]]:
    """Find self- vs multi-head attention and single vs multi output-head pairs.

    ``sa`` pairs with ``mha`` (also inside longer names, e.g. ``sa_big`` with
    ``mha_big``); a name with a ``multi`` token pairs with the same name using
    ``single`` instead, or else with the part before ``multi``
    (``mha_multi_head_out`` with ``mha``).
    """
    present = set(models)
    pairs: list[tuple[str, str, str]] = []
    for model in models:
        partner = _swap_token(model, "sa", "mha")
        if partner is not None and partner in present:
            pairs.append(("Self-attention vs multi-head attention", model, partner))
    for model in models:
        candidates = (
            _swap_token(model, "multi", "single"),
            _strip_from_token(model, "multi"),
        )
        partner = next((c for c in candidates if c in present and c != model), None)
        if partner is None:
            continue
        tokens = set(re.split(r"[^a-z0-9]+", model.lower()))
        kind = "output head" if tokens & {"out", "output", "outputs"} else "head"
        pairs.append((f"Single vs multi {kind}", partner, model))
    unique: list[tuple[str, str, str]] = []
    for pair in pairs:
        if all({pair[1], pair[2]} != {p[1], p[2]} for p in unique):
            unique.append(pair)
    return unique


def _check_comparisons(
    comparisons: Any, models: Sequence[str]
) -> list[tuple[str, str, str]]:
    if isinstance(comparisons, (str, bytes)) or not isinstance(comparisons, Sequence):
        raise TypeError(
            "comparisons must be a list of (title, model_a, model_b) tuples; got "
            f"{type(comparisons).__name__}."
        )
    checked = []
    for item in comparisons:
        if (
            not isinstance(item, Sequence)
            or isinstance(item, str)
            or len(item) != 3
            or not all(isinstance(v, str) for v in item)
        ):
            raise TypeError(
                "each comparison must be a (title, model_a, model_b) tuple of "
                f"strings; got {item!r}."
            )
        title, a, b = item
        unknown = [m for m in (a, b) if m not in models]
        if unknown:
            raise ValueError(
                f"comparison {title!r} names model(s) {unknown} that are not in "
                f"the results; models present: {list(models)}."
            )
        if a == b:
            raise ValueError(
                f"comparison {title!r} compares {a!r} with itself; name two "
                "different models."
            )
        checked.append((title, a, b))
    return checked


# ---------------------------------------------------------------------------
# attention
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Attention:
    model: str
    weights: np.ndarray  # (n_layers, n_heads, Lq, Lk)
    keys: list[Any]
    queries: list[Any]
    series: Any
    cutoff: Any
    all_layers: bool


def _check_attention(attention: Any) -> _Attention:
    if not isinstance(attention, Mapping):
        raise TypeError(
            "attention must be a mapping with keys 'model', 'timestamps' and "
            f"'weights'; got {type(attention).__name__}."
        )
    unknown = [k for k in attention if k not in _ATTENTION_KEYS]
    if unknown:
        hints = [difflib.get_close_matches(str(k), _ATTENTION_KEYS, n=1) for k in unknown]
        hint = "; ".join(
            f"{k!r}: did you mean {h[0]!r}?" for k, h in zip(unknown, hints) if h
        )
        raise ValueError(
            f"attention has unknown key(s) {unknown}; allowed keys are "
            f"{list(_ATTENTION_KEYS)}." + (f" {hint}" if hint else "")
        )
    missing = [k for k in ("model", "timestamps", "weights") if k not in attention]
    if missing:
        raise ValueError(
            f"attention is missing key(s) {missing}; pass a mapping with 'model' "
            "(str), 'timestamps' (length L) and 'weights' (n_layers, n_heads, Lq, Lk)."
        )
    model = attention["model"]
    if not isinstance(model, str):
        raise TypeError(f"attention['model'] must be a str; got {model!r}.")
    try:
        weights = np.asarray(attention["weights"], dtype="float64")
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"attention['weights'] must be a numeric array; conversion failed: {exc}"
        ) from exc
    if weights.ndim == 3:
        weights = weights[None]
    if weights.ndim != 4 or 0 in weights.shape:
        raise ValueError(
            "attention['weights'] must have shape (n_layers, n_heads, Lq, Lk) "
            f"(or (n_heads, Lq, Lk) for one layer); got shape {weights.shape}."
        )
    finite = weights[np.isfinite(weights)]
    if finite.size and (finite.min() < -1e-6 or finite.max() > 1 + 1e-6):
        raise ValueError(
            "attention['weights'] must be attention probabilities in [0, 1]; found "
            f"values from {finite.min():.3g} to {finite.max():.3g}. Pass the "
            "softmax-normalised weights, not raw scores."
        )
    keys = list(attention["timestamps"])
    if len(keys) != weights.shape[3]:
        raise ValueError(
            f"attention['timestamps'] has length {len(keys)} but the weights have "
            f"Lk = {weights.shape[3]} key positions; pass one timestamp per key."
        )
    queries = attention.get("query_timestamps")
    if queries is not None:
        queries = list(queries)
        if len(queries) != weights.shape[2]:
            raise ValueError(
                f"attention['query_timestamps'] has length {len(queries)} but the "
                f"weights have Lq = {weights.shape[2]} query positions."
            )
    elif weights.shape[2] == weights.shape[3]:
        queries = keys
    else:
        queries = [f"query {i + 1}" for i in range(weights.shape[2])]
    return _Attention(
        model=model,
        weights=weights,
        keys=keys,
        queries=queries,
        series=attention.get("series"),
        cutoff=attention.get("cutoff"),
        all_layers=bool(attention.get("all_layers", False)),
    )


# ---------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------
_ACCURACY = [
    ("mae", "MAE", "mean absolute error", 4),
    ("rmse", "RMSE", "root mean squared error", 4),
    ("mase", "MASE", "MAE divided by the baseline's MAE on the same forecasts", 3),
    ("smape", "sMAPE", "symmetric mean absolute percentage error", "pct"),
    ("dir_acc", "Direction", "share of forecasts with the right direction", "pct"),
    ("coverage", "Coverage", "share of actuals inside the interval", "pct"),
]
_COST = [
    ("n_params", "Params", "number of fitted parameters", "int"),
    ("fit_seconds", "Fit s", "mean fit time per fold, seconds", 3),
    ("predict_seconds", "Predict&nbsp;s", "mean predict time per fold, seconds", 3),
    ("peak_memory_mb", "Peak&nbsp;MB", "peak memory while fitting, MiB", 3),
]


def _best_mask(values: np.ndarray, column: str, nominal: float | None) -> np.ndarray:
    finite = np.isfinite(values)
    if not finite.any():
        return np.zeros_like(finite)
    if column == "coverage" and nominal is not None:
        score = np.abs(values - nominal)
    elif column == "dir_acc":
        score = -values
    else:
        score = values
    best = np.nanmin(np.where(finite, score, np.nan))
    return finite & np.isclose(score, best, rtol=1e-9, atol=0.0)


def _cells(board: pd.DataFrame, column: str, kind: Any) -> list[str]:
    values = board[column].to_numpy(dtype="float64")
    if kind == "pct":
        return [fmt_pct(v) for v in values]
    if kind == "int":
        return [fmt_num(v, 0, thousands=True) for v in values]
    return [fmt_num(v, column_decimals(values, kind)) for v in values]


def _leaderboard_section(board: pd.DataFrame, prep: PreparedResults) -> str:
    base = prep.baseline
    # MASE stays (blank without a baseline) beside DM; others only with values.
    accuracy = [
        c for c in _ACCURACY if c[0] == "mase" or np.isfinite(board[c[0]]).any()
    ]
    cost = [c for c in _COST if np.isfinite(board[c[0]]).any()]
    nominal = prep.interval[2] if prep.interval else None
    show_missing = bool((board["n_missing"] > 0).any())
    base_label = escape(base or prep.baseline_requested or "baseline")

    groups = ['<th scope="col"></th>']
    groups.append(f'<th scope="colgroup" colspan="{len(accuracy)}">Accuracy</th>')
    groups.append(f'<th scope="colgroup" colspan="2">vs {base_label}</th>')
    if cost:
        groups.append(f'<th scope="colgroup" colspan="{len(cost)}">Cost</th>')
    if show_missing:
        groups.append('<th scope="col"></th>')
    head = ['<th scope="col" class="model">Model</th>']
    for key, label, tip, _ in accuracy:
        if key == "coverage" and nominal is not None:
            label = f"Coverage {nominal:.0%}"
        head.append(
            f'<th scope="col" data-col="{key}" title="{escape(tip)}">{label}</th>'
        )
    head.append(
        '<th scope="col" data-col="dm" title="Diebold–Mariano statistic on absolute '
        'error (negative: more accurate than the baseline)">DM</th>'
    )
    head.append('<th scope="col" data-col="dm_pvalue">p</th>')
    for key, label, tip, _ in cost:
        head.append(
            f'<th scope="col" data-col="{key}" title="{escape(tip)}">{label}</th>'
        )
    if show_missing:
        head.append(
            '<th scope="col" data-col="n_missing" title="forecasts that are NaN '
            'where an actual exists">Missing</th>'
        )

    columns: list[tuple[str, list[str], np.ndarray]] = []
    for key, _, _, kind in [*accuracy, *cost]:
        cells = _cells(board, key, kind)
        mask = _best_mask(board[key].to_numpy(dtype="float64"), key, nominal)
        columns.append((key, cells, mask))
    dm_stat = board["dm_stat"].to_numpy(dtype="float64")
    dm_best = _best_mask(np.where(dm_stat < 0, dm_stat, np.nan), "dm_stat", None)

    body = []
    for i, (model, row) in enumerate(board.iterrows()):
        is_base = model == base
        cls = ' class="baseline"' if is_base else ""
        tags = ' <span class="tag">baseline</span>' if is_base else ""
        cells = [
            f'<th scope="row" class="model">{_name(str(model))}{tags}</th>'
        ]
        for key, texts, mask in columns[: len(accuracy)]:
            cells.append(_cell(key, texts[i], bool(mask[i])))
        p = float(row["dm_pvalue"])
        sig = ""
        if np.isfinite(p) and p < ALPHA:
            sig = " sig-better" if row["dm_stat"] < 0 else " sig-worse"
        stars = significance_marker(p)
        star_html = f'<sup class="stars">{stars}</sup>' if stars else ""
        dm_text = fmt_num(float(row["dm_stat"]), 2)
        if not np.isfinite(row["dm_stat"]) and row["dm_reason"]:
            dm_text = f'<span title="{escape(str(row["dm_reason"]))}">—</span>'
        cells.append(
            _cell("dm", dm_text + star_html, bool(dm_best[i]), extra=sig, raw=True)
        )
        cells.append(_cell("dm_pvalue", fmt_p(p), False, extra=sig))
        for key, texts, mask in columns[len(accuracy) :]:
            cells.append(_cell(key, texts[i], bool(mask[i])))
        if show_missing:
            n_miss = int(row["n_missing"])
            extra = " warn" if n_miss else ""
            cells.append(_cell("n_missing", f"{n_miss:,}", False, extra=extra))
        body.append(
            f'<tr data-model="{escape(str(model))}"{cls}>{"".join(cells)}</tr>'
        )

    notes = [
        "Sorted by MAE; <strong>bold</strong> marks the best value in each column.",
        "MASE is MAE divided by the baseline’s MAE on the same forecasts "
        "(below 1: better than the baseline).",
        "Direction: share of forecasts on the correct side of the last observed "
        "value.",
    ]
    if prep.interval is not None:
        lo, hi, cov = prep.interval
        notes.append(
            f"Coverage: share of actuals inside [{escape(lo)}, {escape(hi)}] "
            f"(nominal {cov:.0%}; best is closest to it)."
        )
    notes.append(
        "DM: Diebold–Mariano test of equal absolute error against the baseline, "
        "one loss difference per cutoff (averaged over series and steps), "
        "Newey–West variance for overlapping windows, Harvey–Leybourne–Newbold "
        "correction. Negative favours the model; "
        '<sup class="stars">*</sup> p&nbsp;&lt;&nbsp;0.05, '
        '<sup class="stars">**</sup> p&nbsp;&lt;&nbsp;0.01, '
        '<sup class="stars">***</sup> p&nbsp;&lt;&nbsp;0.001.'
    )
    if base is None:
        notes.append(
            f"No baseline model ({base_label}) in the results: MASE and DM are blank."
        )
    untested = board[(board["dm_reason"] != "") & (board.index != base)]
    for reason, group in untested.groupby("dm_reason", sort=False):
        names = ", ".join(escape(str(m)) for m in group.index)
        notes.append(f"No DM test for {names}: {escape(str(reason))}.")
    if cost:
        notes.append(
            "Fit and predict times are means per fold (folds without a refit "
            "count as 0 s of fitting)."
        )
    table = (
        '<div class="table-wrap"><table class="leaderboard" id="leaderboard-table">'
        f"<thead><tr class=\"groups\">{''.join(groups)}</tr>"
        f"<tr>{''.join(head)}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )
    foot = "".join(f"<li>{n}</li>" for n in notes)
    return (
        '<section id="leaderboard"><h2>Leaderboard</h2>'
        f'{table}<ul class="footnotes">{foot}</ul></section>'
    )


def _cell(key: str, text: str, best: bool, *, extra: str = "", raw: bool = False) -> str:
    content = text if raw else escape(text)
    if best:
        content = f"<strong>{content}</strong>"
    cls = f"num{' best' if best else ''}{extra}"
    return f'<td class="{cls}" data-col="{key}">{content}</td>'


def _header(prep: PreparedResults, title: str, board: pd.DataFrame) -> str:
    cutoffs = np.sort(prep.frame["cutoff"].unique())
    parts = [
        f"{len(prep.models)} model{'s' * (len(prep.models) != 1)}",
        f"{len(prep.series)} series",
        f"{prep.n_folds} fold{'s' * (prep.n_folds != 1)}",
        f"horizon {prep.horizon}",
    ]
    if len(cutoffs):
        first, last = _fmt_label(cutoffs[0]), _fmt_label(cutoffs[-1])
        parts.append(f"cutoffs {first} → {last}" if first != last else f"cutoff {first}")
    meta = " · ".join(escape(p) for p in parts)
    return (
        f'<header class="masthead">'
        f"<h1>{escape(title)}</h1><p class=\"meta\">{meta}</p></header>"
    )


def _verdict_section(board: pd.DataFrame, prep: PreparedResults) -> str:
    v = verdict(board, prep.baseline, prep.baseline_requested)
    details = "".join(f"<li>{d}</li>" for d in v.details)
    listing = f"<ul>{details}</ul>" if details else ""
    return (
        f'<section id="verdict" class="verdict verdict-{v.kind}" '
        f'data-verdict="{v.kind}"><h2 class="sr-only">Verdict</h2>'
        f'<p class="lead">{v.lead}</p>{listing}</section>'
    )


def _forecast_section(
    prep: PreparedResults,
    order: list[str],
    colors: dict[str, str],
    forecast_folds: int,
    max_series: int,
) -> str:
    shown = prep.series[:max_series]
    n = min(forecast_folds, prep.n_folds)
    interval = ""
    if prep.interval is not None:
        lo, hi, cov = prep.interval
        interval = f" Shaded: the {cov:.0%} interval between {lo} and {hi}."
    parts = [
        '<section id="forecasts"><h2>Forecasts against actuals</h2>',
        f"<p>The last {n} forecasts of each model (coloured) against what happened "
        "(black). Dotted lines mark the cutoffs.</p>",
    ]
    if len(prep.series) > len(shown):
        parts.append(
            f"<p class=\"note\">Showing the first {len(shown)} of "
            f"{len(prep.series)} series.</p>"
        )
    for series in shown:
        fig = _plots.forecast_figure(prep, series, order, colors, n)
        caption = f"<b>{escape(series)}</b>: last {n} forecasts.{escape(interval)}"
        parts.append(_figure(fig, f"Forecasts and actuals for {series}", caption))
    parts.append("</section>")
    return "".join(parts)


def _horizon_section(
    prep: PreparedResults, order: list[str], colors: dict[str, str]
) -> str:
    table = step_errors(prep)
    table = table.reindex(columns=[m for m in order if m in table.columns])
    if table.empty:
        return ""
    fig = _plots.horizon_figure(table, colors, prep.baseline)
    text = "Mean absolute error at each step after the cutoff, over all series and folds."
    if prep.baseline is not None:
        text += (
            f" On the right, the same relative to {escape(prep.baseline)}: below the "
            "dashed line is better."
        )
    return (
        f'<section id="horizon"><h2>Error by horizon</h2><p>{text}</p>'
        f"{_figure(fig, 'MAE by horizon step', 'MAE by horizon step.')}</section>"
    )


def _cumulative_section(
    prep: PreparedResults, order: list[str], colors: dict[str, str]
) -> str:
    if prep.baseline is not None and all(m == prep.baseline for m in order):
        return ""
    fig = _plots.cumulative_figure(prep, order, colors)
    if prep.baseline is not None:
        base = escape(prep.baseline)
        text = (
            f"Error accumulated over the cutoffs, minus what {base} accumulated on "
            f"the same forecasts. A line that falls is gaining on {base}; one that "
            f"rises is losing to it. A steady slope means a steady edge; a jump "
            "means one period decided the result."
        )
    else:
        text = "Error accumulated over the cutoffs, summed over series and steps."
    return (
        f'<section id="cumulative"><h2>Cumulative error over time</h2><p>{text}</p>'
        f"{_figure(fig, 'Cumulative error over time', 'Cumulative error by cutoff.')}"
        "</section>"
    )


def _cost_section(board: pd.DataFrame, colors: dict[str, str]) -> str:
    columns = [
        (key, title)
        for key, title in (
            ("n_params", "Parameters"),
            ("fit_seconds", "Fit s / fold"),
            ("predict_seconds", "Predict s / fold"),
            ("peak_memory_mb", "Peak memory, MiB"),
        )
        if np.isfinite(board[key]).any()
    ]
    head = '<section id="cost"><h2>Cost</h2>'
    if not columns:
        return (
            f"{head}<p>The results carry no cost figures (n_params, fit_seconds, "
            "predict_seconds, peak_memory_mb).</p></section>"
        )
    fig = _plots.cost_figure(board, colors, columns)
    text = (
        "What each model costs to fit and run, beside what it buys in accuracy "
        "(leaderboard order). n/a: not measured."
    )
    return f"{head}<p>{text}</p>{_figure(fig, 'Cost per model', 'Cost per model.')}</section>"


def _comparison_table(board: pd.DataFrame, a: str, b: str) -> str:
    rows = board.loc[[a, b]]
    spec = [
        ("mae", "MAE", 4),
        ("rmse", "RMSE", 4),
        ("mase", "MASE", 3),
        ("dir_acc", "Direction", "pct"),
        ("n_params", "Params", "int"),
        ("fit_seconds", "Fit s", 3),
        ("predict_seconds", "Predict s", 3),
        ("peak_memory_mb", "Peak MB", 3),
    ]
    spec = [s for s in spec if np.isfinite(rows[s[0]]).any()]
    head = "".join(f'<th scope="col">{label}</th>' for _, label, _ in spec)
    cells = {key: _cells(board.loc[[a, b]], key, kind) for key, _, kind in spec}
    body = []
    for i, model in enumerate((a, b)):
        tds = []
        for key, _, _ in spec:
            values = rows[key].to_numpy(dtype="float64")
            best = _best_mask(values, key, None)[i] and np.isfinite(values).sum() == 2
            tds.append(_cell(key, cells[key][i], bool(best)))
        body.append(
            f'<tr data-model="{escape(model)}"><th scope="row" class="model">'
            f"{_name(model)}</th>{''.join(tds)}</tr>"
        )
    return (
        '<div class="table-wrap"><table class="compare">'
        f'<thead><tr><th scope="col" class="model">Model</th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _comparisons_section(
    prep: PreparedResults,
    board: pd.DataFrame,
    pairs: list[tuple[str, str, str]],
) -> str:
    parts = ['<section id="comparisons"><h2>Head-to-head comparisons</h2>']
    if not pairs:
        parts.append(
            "<p>No pair of models to compare. Name the models <code>sa</code> and "
            "<code>mha</code> (or <code>…_single…</code> / <code>…_multi…</code>), "
            "or pass <code>comparisons=[(title, model_a, model_b)]</code>.</p>"
        )
    for title, a, b in pairs:
        ratio, dm = compare_pair(prep, a, b)
        sentence = comparison_sentence(a, b, ratio, dm, board)
        parts.append(
            f'<article class="comparison" data-a="{escape(a)}" data-b="{escape(b)}">'
            f"<h3>{escape(title)}: {escape(a)} vs {escape(b)}</h3>"
            f"<p>{sentence}</p>{_comparison_table(board, a, b)}</article>"
        )
    parts.append("</section>")
    return "".join(parts)


def _attention_section(spec: _Attention | None) -> str:
    if spec is None:
        return ""
    head = '<section id="attention"><h2>Attention maps</h2>'
    n_layers, n_heads = spec.weights.shape[:2]
    if spec.all_layers:
        weights = spec.weights
        names = [f"layer {i + 1}" for i in range(n_layers)]
    else:
        weights = spec.weights[-1:]
        names = [f"layer {n_layers}"]
    fig = _plots.attention_figure(
        weights,
        [_fmt_label(k) for k in spec.keys],
        [_fmt_label(q) for q in spec.queries],
        layer_names=names,
    )
    where = []
    if spec.series is not None:
        where.append(f"series {escape(str(spec.series))}")
    if spec.cutoff is not None:
        where.append(f"cutoff {escape(_fmt_label(spec.cutoff))}")
    place = f" ({', '.join(where)})" if where else ""
    layer_text = (
        f"every layer ({n_layers})" if spec.all_layers else f"the last layer of {n_layers}"
    )
    text = (
        f"How {escape(spec.model)} weighed the past for one forecast{place}: one "
        f"panel per head ({n_heads}) of {layer_text}. Rows are query positions, "
        "columns the time steps attended to; brighter means more weight. Heads "
        "that look at different lags add information; near-identical panels "
        "suggest redundant heads."
    )
    caption = f"Attention weights per head, {escape(spec.model)}."
    return (
        f"{head}<p>{text}</p>"
        f"{_figure(fig, f'Attention heatmaps for {spec.model}', caption)}</section>"
    )


def _notes_section(notes: str | None) -> str:
    if notes is None:
        return ""
    if not isinstance(notes, str):
        raise TypeError(f"notes must be a str or None; got {type(notes).__name__}.")
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", notes) if p.strip()]
    body = "".join(f'<p class="notes-text">{escape(p)}</p>' for p in paragraphs)
    return f'<section id="notes"><h2>Notes</h2>{body}</section>'


def _toc(sections: list[tuple[str, str]]) -> str:
    links = "".join(f'<li><a href="#{sid}">{label}</a></li>' for sid, label in sections)
    return f'<nav class="toc" aria-label="Contents"><ol>{links}</ol></nav>'


def build_html(
    results: pd.DataFrame,
    *,
    title: str,
    baseline: str | None,
    attention: Mapping[str, Any] | None,
    comparisons: Sequence[tuple[str, str, str]] | None,
    notes: str | None,
    forecast_folds: int,
    max_series: int,
) -> str:
    """Validate the inputs and return the whole HTML document."""
    if not isinstance(title, str):
        raise TypeError(f"title must be a str; got {type(title).__name__}.")
    for name, value in (("forecast_folds", forecast_folds), ("max_series", max_series)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an int >= 1; got {value!r}.")
        if value < 1:
            raise ValueError(f"{name} must be >= 1; got {name}={value}.")
    if notes is not None and not isinstance(notes, str):
        raise TypeError(f"notes must be a str or None; got {type(notes).__name__}.")
    prep = prepare_results(results, baseline)
    spec = _check_attention(attention) if attention is not None else None
    if comparisons is None:
        pairs = detect_comparisons(prep.models)
    else:
        pairs = _check_comparisons(comparisons, prep.models)

    board = leaderboard(prep)
    order = [str(m) for m in board.index]
    colors = _plots.model_colors(order, prep.baseline)
    sections = [
        ("leaderboard", "Leaderboard", _leaderboard_section(board, prep)),
        ("forecasts", "Forecasts", _forecast_section(
            prep, order, colors, int(forecast_folds), int(max_series)
        )),
        ("horizon", "Error by horizon", _horizon_section(prep, order, colors)),
        ("cumulative", "Error over time", _cumulative_section(prep, order, colors)),
        ("cost", "Cost", _cost_section(board, colors)),
        ("comparisons", "Comparisons", _comparisons_section(prep, board, pairs)),
        ("attention", "Attention", _attention_section(spec)),
        ("notes", "Notes", _notes_section(notes)),
    ]
    sections = [s for s in sections if s[2]]
    body = "".join(
        [
            _header(prep, title, board),
            _verdict_section(board, prep),
            _toc([(sid, label) for sid, label, _ in sections]),
            *(html for _, _, html in sections),
            f'<footer><p>Made with tsattn {escape(tsattn.__version__)}. '
            "A self-contained file: no scripts, no network.</p></footer>",
        ]
    )
    template = Template(_resource("template.html"))
    return template.substitute(
        title=escape(title),
        css=_resource("report.css"),
        body=body,
        version=escape(tsattn.__version__),
    )
