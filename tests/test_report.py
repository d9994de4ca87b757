import base64
import math
import os
import re
import stat
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tsattn import metrics
from tsattn.report import detect_comparisons, render_report, save_report
from tsattn.report._frame import prepare_results
from tsattn.report._stats import leaderboard

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# name -> (skill, noise, n_params, fit seconds, peak MiB, has quantiles)
# skill: share of the true move the model foresees; noise: forecast noise in units
# of the series' daily volatility (grows with sqrt(step)).
NAIVE_WINS = {
    "naive": (0.0, 0.0, 0, 0.0004, math.nan, True),
    "arima": (0.0, 0.35, 3, 0.08, 4.1, True),
    "mha": (0.0, 0.9, 12_801, 2.6, 48.0, True),
    "sa": (0.0, 1.1, 9_473, 1.7, 39.5, True),
    "mha_multi_head_out": (0.0, 1.0, 13_921, 2.9, 51.2, False),
}
# The same models and costs, where the attention models foresee part of the move.
ATTENTION_SKILL = {
    "mha": (0.75, 0.15),
    "sa": (0.3, 0.6),
    "mha_multi_head_out": (0.7, 0.2),
}
ATTENTION_WINS = {
    name: (*ATTENTION_SKILL.get(name, row[:2]), *row[2:])
    for name, row in NAIVE_WINS.items()
}


def make_results(
    models=None,
    *,
    series=("EURUSD", "GBPUSD"),
    n_folds=10,
    horizon=5,
    step=5,
    seed=0,
):
    """A realistic backtest results frame over stock-like (log-normal) prices."""
    models = NAIVE_WINS if models is None else models
    rng = np.random.default_rng(seed)
    initial = 60
    n = initial + (n_folds - 1) * step + horizon
    index = pd.bdate_range("2023-01-02", periods=n)
    cutoffs = [initial - 1 + k * step for k in range(n_folds)]
    rows = []
    for s_i, name in enumerate(series):
        vol = 0.006 + 0.003 * s_i
        price = 1.1 * np.exp(np.cumsum(rng.normal(0.0, vol, n)))
        for model, (skill, noise, n_params, fit_s, mem, has_q) in models.items():
            for fold, c in enumerate(cutoffs):
                origin = price[c]
                fit = fit_s * (1 + 0.1 * rng.standard_normal()) if fit_s else 0.0
                pred_s = max(fit_s / 40, 1e-5)
                for h in range(1, horizon + 1):
                    truth = price[c + h]
                    scale = origin * vol * math.sqrt(h)
                    y_pred = origin + skill * (truth - origin)
                    y_pred += noise * scale * rng.standard_normal()
                    spread = 1.645 * scale * math.sqrt(1 + noise**2)
                    rows.append(
                        {
                            "model": model,
                            "series": name,
                            "fold": fold,
                            "cutoff": index[c],
                            "step": h,
                            "timestamp": index[c + h],
                            "y_true": truth,
                            "y_pred": y_pred,
                            "q0.05": y_pred - spread if has_q else math.nan,
                            "q0.95": y_pred + spread if has_q else math.nan,
                            "fit_seconds": abs(fit),
                            "predict_seconds": pred_s,
                            "n_params": float(n_params),
                            "peak_memory_mb": mem,
                        }
                    )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
class Page(HTMLParser):
    """Collects what the tests look at: tags, tables, images, text."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.images = []
        self.text = []
        self.tables = {}
        self.verdict = None
        self.ids = set()
        self._table = None
        self._row = None
        self._cell = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if attrs.get("data-verdict"):
            self.verdict = attrs["data-verdict"]
        if tag == "img":
            self.images.append(attrs)
        elif tag == "table":
            self._table = {"head": [], "rows": []}
            self.tables[attrs.get("id") or f"table{len(self.tables)}"] = self._table
        elif tag == "tr" and self._table is not None:
            self._row = {"model": attrs.get("data-model"), "cells": {}, "attrs": attrs}
        elif tag in ("td", "th") and self._row is not None:
            self._cell = {"tag": tag, "attrs": attrs, "text": ""}

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            cell, self._cell = self._cell, None
            key = cell["attrs"].get("data-col", f"_{len(self._row['cells'])}")
            self._row["cells"][key] = cell
            if self._row["model"] is None and cell["tag"] == "th":
                self._table["head"].append(cell)
        elif tag == "tr" and self._row is not None:
            if self._row["model"] is not None:
                self._table["rows"].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell["text"] += data

    @property
    def all_text(self):
        return " ".join("".join(self.text).split())

    def leaderboard(self):
        return self.tables["leaderboard-table"]["rows"]


def small(names=("naive", "mha"), **kw):
    """A quick frame: few models, one series, few folds."""
    kw.setdefault("series", ("EURUSD",))
    kw.setdefault("n_folds", 3)
    return make_results({k: NAIVE_WINS[k] for k in names}, **kw)


def render(results, **kw):
    kw.setdefault("comparisons", None)
    return Page(render_report(results, **kw))


def attention_spec(n_layers=2, n_heads=4, length=16):
    rng = np.random.default_rng(3)
    w = np.tril(rng.random((n_layers, n_heads, length, length)) ** 3)
    w /= w.sum(-1, keepdims=True)
    ts = pd.bdate_range("2023-03-01", periods=length)
    return {"model": "mha", "timestamps": ts, "weights": w, "series": "EURUSD"}


@pytest.fixture(scope="module")
def naive_wins():
    results = make_results(NAIVE_WINS)
    html = render_report(results, attention=attention_spec(), notes="Synthetic.")
    return results, html, Page(html)


@pytest.fixture(scope="module")
def attention_wins():
    results = make_results(ATTENTION_WINS, seed=1)
    html = render_report(results)
    return results, html, Page(html)


def reference_mae(results):
    ok = results.dropna(subset=["y_true", "y_pred"])
    return (ok.y_pred - ok.y_true).abs().groupby(ok.model).mean()


# ---------------------------------------------------------------------------
# structure of the page
# ---------------------------------------------------------------------------
def test_page_is_self_contained(naive_wins):
    _, html, page = naive_wins
    assert html.startswith("<!DOCTYPE html>")
    names = [tag for tag, _ in page.tags]
    assert "script" not in names
    assert not [a for t, a in page.tags if t == "link" and a.get("rel") == "stylesheet"]
    for _, attrs in page.tags:
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            assert not re.match(r"(?i)(https?:)?//", value), value
    assert "<style>" in html
    assert "--column" in html  # the package stylesheet, inlined
    csp = [a for t, a in page.tags if a.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in csp[0]["content"]


def test_sections_in_reading_order(naive_wins):
    _, html, _ = naive_wins
    order = [
        'id="verdict"',
        'id="leaderboard"',
        'id="forecasts"',
        'id="horizon"',
        'id="cumulative"',
        'id="cost"',
        'id="comparisons"',
        'id="attention"',
        'id="notes"',
    ]
    positions = [html.index(marker) for marker in order]
    assert positions == sorted(positions)


def test_leaderboard_has_one_row_per_model(naive_wins):
    results, _, page = naive_wins
    rows = page.leaderboard()
    assert sorted(r["model"] for r in rows) == sorted(results.model.unique())
    # sorted by MAE, as computed by hand
    assert [r["model"] for r in rows] == list(
        reference_mae(results).sort_values().index
    )


def test_leaderboard_values_match_reference(naive_wins):
    results, _, page = naive_wins
    mae = reference_mae(results)
    e = results.y_pred - results.y_true
    smape = (
        (200 * e.abs() / (results.y_true.abs() + results.y_pred.abs()))
        .groupby(results.model)
        .mean()
    )
    for row in page.leaderboard():
        shown = float(row["cells"]["mae"]["text"])
        assert shown == pytest.approx(mae[row["model"]], abs=5e-6)
        text = row["cells"]["smape"]["text"]
        assert text.endswith("%")
        assert float(text[:-1]) == pytest.approx(smape[row["model"]], abs=0.005)


def test_best_value_is_marked(naive_wins):
    results, _, page = naive_wins
    rows = {r["model"]: r for r in page.leaderboard()}
    best = reference_mae(results).idxmin()
    for model, row in rows.items():
        cell = row["cells"]["mae"]
        assert ("best" in cell["attrs"]["class"].split()) == (model == best)
    # the fewest parameters: the naive model with 0
    assert "best" in rows["naive"]["cells"]["n_params"]["attrs"]["class"]
    assert "best" not in rows["mha"]["cells"]["n_params"]["attrs"]["class"]


def test_dm_column_against_naive(naive_wins):
    _, _, page = naive_wins
    head = [
        c["attrs"].get("data-col") for c in page.tables["leaderboard-table"]["head"]
    ]
    assert "dm" in head
    assert "dm_pvalue" in head
    rows = {r["model"]: r for r in page.leaderboard()}
    assert rows["naive"]["cells"]["dm"]["text"] == "—"
    # mha is much worse than naive on this fixture: positive and significant
    dm_text = rows["mha"]["cells"]["dm"]["text"]
    assert float(dm_text.rstrip("*")) > 0
    assert dm_text.endswith("*")
    assert "sig-worse" in rows["mha"]["cells"]["dm"]["attrs"]["class"]


def test_images_are_valid_pngs(naive_wins):
    results, _, page = naive_wins
    # one forecast figure per series + horizon + cumulative + cost + attention
    assert len(page.images) == results.series.nunique() + 4
    for img in page.images:
        src = img["src"]
        assert src.startswith("data:image/png;base64,")
        data = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert data[:8] == PNG_SIGNATURE
        width, height = (
            int.from_bytes(data[16:20], "big"),
            int.from_bytes(data[20:24], "big"),
        )
        # drawn at twice the displayed size for sharp high-density screens
        assert width == 2 * int(img["width"])
        assert height == 2 * int(img["height"])
        assert img["alt"]


# ---------------------------------------------------------------------------
# the headline
# ---------------------------------------------------------------------------
def test_headline_says_naive_wins(naive_wins):
    _, _, page = naive_wins
    assert page.verdict == "loses"
    text = page.all_text
    assert "No model beats the naive baseline" in text
    assert "mha loses to naive" in text
    assert "sa loses to naive" in text


def test_headline_says_attention_wins(attention_wins):
    results, _, page = attention_wins
    assert page.verdict == "wins"
    ratio = reference_mae(results)
    gain = (1 - ratio["mha"] / ratio["naive"]) * 100
    assert (
        f"mha beats the naive baseline: its MAE is {gain:.1f}% lower" in page.all_text
    )


def test_verdict_tie_when_not_significant():
    from tsattn.report._text import headline

    board = pd.DataFrame(
        {
            "rel_mae": [1.0, 0.98],
            "dm_stat": [np.nan, -0.6],
            "dm_pvalue": [np.nan, 0.55],
            "dm_reason": ["", ""],
            "n_missing": [0, 0],
            "n_rows": [100, 100],
        },
        index=["naive", "mha"],
    )
    v = headline(board, "naive", "naive")
    assert v.kind == "tie"
    assert "No model reliably beats the naive baseline" in v.lead
    assert "2.0% lower MAE" in v.lead
    assert "not statistically significant" in v.lead


def _three_model_board(p_drift, p_mha):
    return pd.DataFrame(
        {
            "rel_mae": [1.0, 0.985, 0.989],
            "dm_stat": [np.nan, -1.5, -2.4],
            "dm_pvalue": [np.nan, p_drift, p_mha],
            "dm_reason": ["", "", ""],
            "n_missing": [0, 0, 0],
            "n_rows": [100, 100, 100],
        },
        index=["naive", "drift", "mha"],
    )


def test_verdict_names_a_significant_winner_over_a_closer_insignificant_one():
    from tsattn.report._text import headline

    v = headline(_three_model_board(0.15, 0.01), "naive", "naive")
    assert v.kind == "wins"
    assert "mha beats the naive baseline" in v.lead
    # Holm over 2 tests: 0.01 -> 0.02
    assert "Holm-corrected for the 2 models tested against naive" in v.lead
    assert "p&nbsp;=&nbsp;0.020" in v.lead


def test_verdict_is_holm_corrected():
    from tsattn.report._text import headline

    # p = 0.03 alone would be significant; Holm over 2 tests makes it 0.06
    v = headline(_three_model_board(0.15, 0.03), "naive", "naive")
    assert v.kind == "tie"
    assert "No model reliably beats the naive baseline" in v.lead
    assert "The best, drift" in v.lead
    (mha,) = v.details
    assert "not significant after Holm's correction" in mha
    assert "p&nbsp;=&nbsp;0.030" in mha


# ---------------------------------------------------------------------------
# numbers: reference implementations
# ---------------------------------------------------------------------------
def test_leaderboard_metrics_match_numpy():
    results = make_results(NAIVE_WINS, n_folds=6)
    board = leaderboard(prepare_results(results, "naive"), "absolute")
    naive = results[results.model == "naive"].set_index(["series", "cutoff", "step"])
    naive_mae = (naive.y_pred - naive.y_true).abs().mean()
    origin = naive.xs(1, level="step").y_pred  # random walk = last observed value
    for model, grp in results.groupby("model"):
        e = grp.y_pred - grp.y_true
        row = board.loc[model]
        assert row.mae == pytest.approx(e.abs().mean())
        assert row.rmse == pytest.approx(np.sqrt((e**2).mean()))
        smape = 200 * (e.abs() / (grp.y_true.abs() + grp.y_pred.abs())).mean()
        assert row.smape == pytest.approx(smape)
        assert row.mase == pytest.approx(e.abs().mean() / naive_mae)
        assert row.rel_mae == pytest.approx(e.abs().mean() / naive_mae)
        if grp["q0.05"].notna().any():
            inside = (grp["q0.05"] <= grp.y_true) & (grp.y_true <= grp["q0.95"])
            assert row.coverage == pytest.approx(inside.mean())
        else:
            assert np.isnan(row.coverage)
        index = pd.MultiIndex.from_frame(grp[["series", "cutoff"]])
        ref = origin.reindex(index).to_numpy()
        up_true = grp.y_true.to_numpy() > ref
        up_pred = grp.y_pred.to_numpy() > ref
        assert row.dir_acc == pytest.approx(np.mean(up_true == up_pred))
        per_fold = grp.groupby(["series", "fold"]).fit_seconds.first().mean()
        assert row.fit_seconds == pytest.approx(per_fold)
        assert row.n_params == NAIVE_WINS[model][2]


def test_mase_uses_in_sample_scale_when_given():
    results = small(series=("EURUSD", "GBPUSD"))
    results[metrics.SCALE_COLUMN] = results.series.map({"EURUSD": 0.01, "GBPUSD": 0.02})
    board = leaderboard(prepare_results(results, "naive"), "absolute")
    mha = results[results.model == "mha"]
    expected = ((mha.y_pred - mha.y_true).abs() / mha[metrics.SCALE_COLUMN]).mean()
    assert board.loc["mha", "mase"] == pytest.approx(expected)
    page = render(results, comparisons=[])
    assert f"in-sample naive MAE ({metrics.SCALE_COLUMN})" in page.all_text


def test_dm_matches_tsattn_metrics(naive_wins):
    results, _, page = naive_wins
    table = metrics.evaluate(
        results, by="model", metrics=["mae"], baseline="naive", dm_loss="absolute"
    ).set_index("model")
    for row in page.leaderboard():
        if row["model"] == "naive":
            continue
        shown = float(row["cells"]["dm"]["text"].rstrip("*").replace("\u2212", "-"))
        assert shown == pytest.approx(table.loc[row["model"], "dm_stat"], abs=0.005)


def test_dm_with_horizon_one_is_a_t_test():
    # With one step per origin the HLN-corrected DM statistic is the one-sample t
    # statistic of the loss differentials: an independent reference.
    results = make_results(
        {k: NAIVE_WINS[k] for k in ("naive", "arima")}, n_folds=15, horizon=1, step=1
    )
    board = leaderboard(prepare_results(results, "naive"), "absolute")
    wide = results.pivot_table(
        index=["series", "cutoff"], columns="model", values=["y_true", "y_pred"]
    )
    loss = (wide["y_pred"] - wide["y_true"]).abs()
    d = (loss["arima"] - loss["naive"]).groupby(level="cutoff").mean()
    ref = stats.ttest_1samp(d, 0.0)
    assert board.loc["arima", "dm_stat"] == pytest.approx(ref.statistic)
    assert board.loc["arima", "dm_pvalue"] == pytest.approx(ref.pvalue)


# ---------------------------------------------------------------------------
# escaping
# ---------------------------------------------------------------------------
def test_user_text_is_escaped():
    evil = "<script>alert(1)</script>"
    models = {
        "naive": NAIVE_WINS["naive"],
        '<img src=x onerror="alert(2)">': NAIVE_WINS["sa"],
        "cost_$\\frac{1}$": NAIVE_WINS["arima"],  # not matplotlib mathtext either
    }
    results = make_results(models, series=(evil, "ok"), n_folds=3)
    html = render_report(
        results,
        title="<b>title</b>",
        notes=f"notes {evil}",
        attention={**attention_spec(1, 2, 6), "series": evil},
    )
    page = Page(html)
    assert "script" not in [t for t, _ in page.tags]
    assert not [a for t, a in page.tags if t == "img" and a.get("src") == "x"]
    assert not [t for t, _ in page.tags if t == "b" and "title" in page.all_text[:0]]
    assert evil in page.all_text
    assert '<img src=x onerror="alert(2)">' in page.all_text
    assert "<b>title</b>" in page.all_text
    assert evil not in html  # only its escaped form is in the source


# ---------------------------------------------------------------------------
# edge cases
# ---------------------------------------------------------------------------
def test_no_naive_model():
    page = render(small(("arima", "mha")), comparisons=[])
    assert page.verdict == "none"
    assert "No baseline: the results have no model named “naive”" in page.all_text
    for row in page.leaderboard():
        assert row["cells"]["dm"]["text"] == "—"
        assert row["cells"]["dm_pvalue"]["text"] == "—"
        assert row["cells"]["mase"]["text"] == "—"


def test_baseline_none_is_allowed():
    page = render(small(), baseline=None, comparisons=[])
    assert page.verdict == "none"
    assert "No baseline was chosen" in page.all_text


def test_single_fold():
    page = render(small(n_folds=1), comparisons=[])
    rows = {r["model"]: r for r in page.leaderboard()}
    assert rows["mha"]["cells"]["dm"]["text"] == "—"
    assert "forecast origins" in page.all_text
    assert "got 1" in page.all_text
    assert page.verdict in ("loses", "tie")
    assert "1 fold" in page.all_text


def test_nan_predictions_are_counted_and_shown():
    results = small(n_folds=4, series=("EURUSD", "GBPUSD"))
    hole = results.index[(results.model == "mha")][[0, 3, 7]]
    results.loc[hole, "y_pred"] = np.nan
    page = render(results, comparisons=[])
    rows = {r["model"]: r for r in page.leaderboard()}
    assert rows["mha"]["cells"]["n_missing"]["text"] == "3"
    assert rows["naive"]["cells"]["n_missing"]["text"] == "0"
    assert "mha has 3 missing (NaN) forecasts out of 40" in page.all_text
    assert float(rows["mha"]["cells"]["mae"]["text"]) == pytest.approx(
        reference_mae(results)["mha"], abs=5e-6
    )


def test_model_without_any_forecast():
    from tsattn.report._text import headline

    results = small()
    results.loc[results.model == "mha", "y_pred"] = np.nan
    board = leaderboard(prepare_results(results, "naive"), "absolute")
    assert np.isnan(board.loc["mha", "mae"])
    assert board.loc["mha", "n_missing"] == 15
    v = headline(board, "naive", "naive")
    assert v.kind == "none"
    assert any("all 15 are missing (NaN)" in d for d in v.details)


def test_missing_columns_error():
    results = make_results(n_folds=2).drop(columns=["y_pred", "cutoff"])
    with pytest.raises(
        ValueError, match=re.escape("missing required column(s) ['cutoff', 'y_pred']")
    ):
        render_report(results)


def test_bad_inputs_errors():
    results = make_results({"naive": NAIVE_WINS["naive"]}, n_folds=2)
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        render_report(results.to_numpy())
    with pytest.raises(ValueError, match="has no rows"):
        render_report(results.iloc[:0])
    unnamed = results.astype({"series": object})
    unnamed.loc[3, "series"] = None
    msg = "'series' has missing values (rows [3]); every row needs a model and a"
    with pytest.raises(ValueError, match=re.escape(msg + " series.")):
        render_report(unnamed)
    with pytest.raises(ValueError, match="repeat a \\(model, series, cutoff, step\\)"):
        render_report(pd.concat([results, results.iloc[:1]]))
    bad = results.assign(step=results.step - 1)
    with pytest.raises(ValueError, match="'step' must hold integers >= 1"):
        render_report(bad)
    with pytest.raises(TypeError, match="'y_pred' must be numeric"):
        render_report(results.assign(y_pred="x"))
    with pytest.raises(ValueError, match="outside \\(0, 1\\)"):
        render_report(results.assign(q1=1.0))
    with pytest.raises(TypeError, match="notes must be a str"):
        render_report(results, notes=3)


def test_attention_errors():
    results = make_results({"naive": NAIVE_WINS["naive"]}, n_folds=2)
    spec = attention_spec(1, 2, 6)
    with pytest.raises(ValueError, match="has length 5 but the weights have Lk = 6"):
        render_report(results, attention={**spec, "timestamps": spec["timestamps"][:5]})
    with pytest.raises(ValueError, match="attention probabilities in \\[0, 1\\]"):
        render_report(results, attention={**spec, "weights": spec["weights"] * 5})
    with pytest.raises(ValueError, match="did you mean 'weights'"):
        render_report(results, attention={**spec, "weight": 1})
    with pytest.raises(
        ValueError, match="must have shape \\(n_layers, n_heads, Lq, Lk\\)"
    ):
        render_report(results, attention={**spec, "weights": np.ones((2, 2))})


def test_attention_heatmaps_per_head():
    from tsattn.report._attention import attention_section, check_attention

    html = attention_section(check_attention(attention_spec(3, 2, 8)))
    page = Page(html)
    assert "one panel per head (2) of the last layer of 3" in page.all_text
    assert len(page.images) == 1
    spec = {**attention_spec(2, 2, 8), "all_layers": True}
    page = Page(attention_section(check_attention(spec)))
    assert "every layer (2)" in page.all_text
    # a single layer may be passed as (n_heads, Lq, Lk)
    spec = {**attention_spec(1, 3, 8)}
    spec["weights"] = spec["weights"][0]
    page = Page(attention_section(check_attention(spec)))
    assert "one panel per head (3) of the last layer of 1" in page.all_text


# ---------------------------------------------------------------------------
# comparisons
# ---------------------------------------------------------------------------
def test_detect_comparisons():
    pairs = detect_comparisons(["naive", "sa", "mha", "mha_multi_head_out", "arima"])
    assert pairs == [
        ("Self-attention vs multi-head attention", "sa", "mha"),
        ("Single vs multi output head", "mha", "mha_multi_head_out"),
    ]
    assert detect_comparisons(["mha_single", "mha_multi"]) == [
        ("Single vs multi head", "mha_single", "mha_multi")
    ]
    assert detect_comparisons(["naive", "arima"]) == []


def test_comparison_section_says_which_is_better(attention_wins):
    results, _, page = attention_wins
    text = page.all_text
    assert "Self-attention vs multi-head attention: sa vs mha" in text
    assert "Single vs multi output head: mha vs mha_multi_head_out" in text
    mae = reference_mae(results)
    gain = (1 - mae["mha"] / mae["sa"]) * 100
    assert f"mha is more accurate: its MAE is {gain:.1f}% lower than sa’s" in text
    assert "statistically significant" in text


def test_explicit_comparisons_are_checked():
    results = small()
    with pytest.raises(ValueError, match="not in the results; models present"):
        render_report(results, comparisons=[("x", "mha", "sa")])
    with pytest.raises(TypeError, match="\\(title, model_a, model_b\\)"):
        render_report(results, comparisons=[("mha", "naive")])
    page = render(results, comparisons=[("Attention vs random walk", "mha", "naive")])
    assert "Attention vs random walk: mha vs naive" in page.all_text


# ---------------------------------------------------------------------------
# saving
# ---------------------------------------------------------------------------
def test_save_report_is_atomic(tmp_path):
    results = small(("naive", "arima"))
    target = tmp_path / "report.html"
    target.write_text("old report")
    os.chmod(target, 0o640)
    out = save_report(results, target, title="New")
    assert out == target
    text = target.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "<title>New</title>" in text
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    # a failing render leaves the old file alone and no temporary file behind
    with pytest.raises(ValueError, match="missing required column"):
        save_report(results.drop(columns="y_true"), target)
    assert target.read_text(encoding="utf-8") == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_save_report_bad_paths(tmp_path):
    results = make_results({"naive": NAIVE_WINS["naive"]}, n_folds=2)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_report(results, tmp_path / "missing" / "r.html")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        save_report(results, tmp_path)


def test_no_global_matplotlib_state(naive_wins):
    import matplotlib

    before = dict(matplotlib.rcParams)
    render_report(small(("naive",)))
    assert dict(matplotlib.rcParams) == before
    import sys

    if "matplotlib.pyplot" in sys.modules:
        assert sys.modules["matplotlib.pyplot"].get_fignums() == []


# ---------------------------------------------------------------------------
# the DM lag from the fold spacing, and Holm's correction
# ---------------------------------------------------------------------------
def _with_positions(results, step):
    """Add cutoff_pos: the folds of make_results start at row 59, ``step`` apart."""
    order = {c: 59 + i * step for i, c in enumerate(sorted(results.cutoff.unique()))}
    return results.assign(cutoff_pos=results.cutoff.map(order))


@pytest.mark.parametrize(("step", "h"), [(1, 5), (2, 3), (5, 1)])
def test_dm_lag_follows_the_fold_spacing(step, h):
    results = _with_positions(make_results(NAIVE_WINS, n_folds=12), step)
    page = render(results, comparisons=[])
    assert f"h = ⌈H / spacing⌉ = {h}" in page.all_text
    board = leaderboard(prepare_results(results, "naive"), "absolute")
    # independent: per-cutoff mean absolute-loss differential, dm_test with h
    from tsattn.stats import dm_test

    for model in ("arima", "mha"):
        a = results[results.model == model].sort_values(["cutoff", "series", "step"])
        b = results[results.model == "naive"].sort_values(["cutoff", "series", "step"])
        d = (a.y_true - a.y_pred).abs().to_numpy() - (
            b.y_true - b.y_pred
        ).abs().to_numpy()
        d = pd.Series(d).groupby(a.cutoff.to_numpy()).mean().to_numpy()
        stat, p = dm_test(d, h)
        assert board.loc[model, "dm_stat"] == pytest.approx(stat)
        assert board.loc[model, "dm_pvalue"] == pytest.approx(p)


def test_dm_lag_fallback_is_said_and_holm_column_shown():
    results = make_results(NAIVE_WINS, n_folds=12)
    page = render(results, comparisons=[])
    assert "no cutoff_pos column" in page.all_text
    assert "h = H = 5" in page.all_text
    board = leaderboard(prepare_results(results, "naive"), "absolute")
    from tsattn.stats import holm

    tested = board.index != "naive"
    np.testing.assert_allclose(
        board.loc[tested, "dm_pvalue_holm"], holm(board.loc[tested, "dm_pvalue"])
    )
    rows = {r["model"]: r for r in page.leaderboard()}
    assert rows["mha"]["cells"]["dm_pvalue_holm"]["text"] != ""
    assert rows["naive"]["cells"]["dm_pvalue_holm"]["text"] == "—"


def test_bad_cutoff_pos_is_refused():
    results = small().assign(cutoff_pos=np.nan)
    with pytest.raises(ValueError, match="'cutoff_pos' must hold integers >= 0"):
        render_report(results)


def test_templates_autoescape_and_ship_as_package_data():
    from pathlib import Path

    from tsattn.report._html import part, resource

    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

    assert str(part("model_name", name="<a>_b")) == "&lt;a&gt;_<wbr>b"
    for name in ("page.html.j2", "parts.html.j2", "report.css"):
        assert resource(name)
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    data = tomllib.loads(pyproject.read_text("utf-8"))
    patterns = data["tool"]["setuptools"]["package-data"]["tsattn.report"]
    folder = Path(__file__).resolve().parents[1] / "tsattn" / "report"
    shipped = {p.name for pattern in patterns for p in folder.glob(pattern)}
    assert {"page.html.j2", "parts.html.j2", "report.css"} <= shipped


def test_comparison_names_and_titles_are_escaped():
    evil = "<script>x</script>"
    models = {"naive": NAIVE_WINS["naive"], evil: NAIVE_WINS["mha"]}
    results = make_results(models, series=("s",), n_folds=3)
    html = render_report(results, comparisons=[("<i>t</i>", evil, "naive")])
    page = Page(html)
    assert "script" not in [t for t, _ in page.tags]
    assert "i" not in [t for t, _ in page.tags]
    assert f"<i>t</i>: {evil} vs naive" in page.all_text
    article = next(a for t, a in page.tags if t == "article")
    assert article["data-a"] == evil


def test_direction_origin_never_comes_from_a_non_naive_baseline():
    # The first fold's origin has no actual in the frame: only the naive model's
    # first step may stand in for it. With arima as the baseline, its (noisy)
    # forecast used to be taken as the last value, changing every direction.
    results = make_results(NAIVE_WINS, series=("s",), n_folds=6)
    by_naive = leaderboard(prepare_results(results, "naive"), "absolute")
    by_arima = leaderboard(prepare_results(results, "arima"), "absolute")
    np.testing.assert_allclose(by_arima["dir_acc"], by_naive["dir_acc"])
    # without a naive model the first fold has no known origin: scored on the rest
    no_naive = results[results.model != "naive"]
    board = leaderboard(prepare_results(no_naive, "arima"), "absolute")
    # independent: the origin is the actual at the cutoff (earlier folds' rows)
    actual = results.drop_duplicates("timestamp").set_index("timestamp")["y_true"]
    rows = no_naive[(no_naive.model == "mha") & (no_naive.fold > 0)]
    o = actual.reindex(rows.cutoff).to_numpy()
    expected = np.mean((rows.y_true.to_numpy() > o) == (rows.y_pred.to_numpy() > o))
    assert board.loc["mha", "dir_acc"] == pytest.approx(expected)
