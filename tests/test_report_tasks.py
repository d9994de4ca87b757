"""The multi-task report (a results frame with a task column)."""

import base64
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from task_results import ATTENTION, make_task_results

from tsattn.report import render_report
from tsattn.report._pairs import architecture_pairs, architecture_table
from tsattn.report._task_text import task_headline
from tsattn.stats import task_leaderboard

PNG = b"\x89PNG\r\n\x1a\n"


class Page(HTMLParser):
    """Ids, verdict blocks, task tables, comparison articles, images and text."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.ids, self.images, self.text = set(), [], []
        self.verdicts, self.articles, self.tables = {}, [], {}
        self.tags = []
        self._table = self._row = self._cell = None
        self._verdict = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "img":
            self.images.append(attrs)
        if tag == "div" and "data-verdict" in attrs:
            self._verdict = {"kind": attrs["data-verdict"], "text": ""}
            self.verdicts[attrs["data-task"]] = self._verdict
        if tag == "article":
            self.articles.append(attrs)
        if tag == "table" and "task-board" in attrs.get("class", ""):
            self._table = {}
            self.tables[attrs["data-task"]] = self._table
        elif tag == "tr" and self._table is not None and attrs.get("data-model"):
            self._row = {}
            self._table[attrs["data-model"]] = self._row
        elif tag == "td" and self._row is not None:
            self._cell = attrs.get("data-col")
            self._row[self._cell] = ""

    def handle_endtag(self, tag):
        if tag == "td":
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "div" and self._verdict is not None:
            self._verdict = None

    def handle_data(self, data):
        self.text.append(data)
        if self._verdict is not None:
            self._verdict["text"] += data
        if self._cell is not None and self._row is not None:
            self._row[self._cell] += data

    @property
    def all_text(self):
        return " ".join("".join(self.text).split())


@pytest.fixture(scope="module")
def results():
    return make_task_results(n_origins=45, series=("A",))


@pytest.fixture(scope="module")
def page(results):
    return Page(render_report(results, title="Tasks <script>alert(1)</script>"))


# -- pairing logic ------------------------------------------------------------------


def test_architecture_table_reads_the_attention_models(results):
    arch = architecture_table(results)
    assert set(arch.index) == set(ATTENTION)
    assert arch.loc["sa_wide", "d_model"] == 24
    assert arch.loc["mha_multi", "output_head"] == "multi"
    assert arch.loc["mha", "n_params"] == 5_000


def test_pairs_equal_width_and_equal_budget():
    arch = pd.DataFrame(
        {
            "n_heads": [1, 4, 4, 1, 1],
            "output_head": ["single", "single", "multi", "single", "multi"],
            "d_model": [16, 16, 16, 24, 32],
            "n_params": [4_300, 5_000, 5_900, 5_200, 9_000],
        },
        index=["sa", "mha", "mha_multi", "sa_wide", "sa_multi_big"],
    )
    found = {(p.kind, p.a, p.b): p.labels for p in architecture_pairs(arch)}
    assert found == {
        # same output head, equal d_model -> equal width (4,300 vs 5,000: 16% apart)
        ("heads", "sa", "mha"): ("equal width",),
        # d_model differs, 5,000 vs 5,200 within 10% -> equal budget
        ("heads", "sa_wide", "mha"): ("equal parameter budget",),
        # same 4 heads, equal width; 5,000 vs 5,900 is 18% apart
        ("output", "mha", "mha_multi"): ("equal width",),
    }  # sa_multi_big: 9,000 params at d_model 32 matches nobody; sa_wide vs
    # mha_multi differ in heads and output head (two choices)
    same = architecture_pairs(arch.assign(n_params=[5_000, 5_000, 5_400, 5_200, 9_000]))
    labels = {(p.kind, p.a, p.b): p.label for p in same}
    assert labels[("heads", "sa", "mha")] == "equal width and equal parameter budget"
    assert labels[("output", "mha", "mha_multi")] == (
        "equal width and equal parameter budget"
    )
    # 10%: the larger at most 1.1 times the smaller
    edge = arch.loc[["sa_wide", "mha"]].assign(n_params=[5_500, 5_000])
    assert architecture_pairs(edge)[0].labels == ("equal parameter budget",)
    over = arch.loc[["sa_wide", "mha"]].assign(n_params=[5_501, 5_000])
    assert architecture_pairs(over) == []


def test_pairs_of_models_without_an_output_head_choice():
    arch = pd.DataFrame(
        {"n_heads": [1, 2], "output_head": [None, None], "d_model": [8, 8],
         "n_params": [100, 100]},
        index=["sa", "mha"],
    )  # fmt: skip
    (pair,) = architecture_pairs(arch)
    assert (pair.kind, pair.a, pair.b) == ("heads", "sa", "mha")


# -- the page ------------------------------------------------------------------------


def test_sections_and_tables(page, results):
    for sid in ("verdict", "task-return", "task-direction", "task-variance",
                "variance-plots", "calibration", "comparisons"):  # fmt: skip
        assert sid in page.ids
    assert set(page.verdicts) == {"return", "direction", "variance"}
    assert set(page.tables) == {"return", "direction", "variance"}
    assert set(page.tables["variance"]) == {"garch", "har", *ATTENTION}
    assert set(page.tables["return"]) == {"zero", *ATTENTION}
    # one variance figure (one series) and one calibration figure, real PNGs
    assert len(page.images) == 2
    for img in page.images:
        payload = img["src"].split(",", 1)[1]
        assert base64.b64decode(payload).startswith(PNG)
    # the price report's sections are not there
    assert "leaderboard-table" not in page.ids
    assert "forecasts" not in page.ids


def test_user_text_is_escaped(results):
    evil = results.replace({"model": {"sa_wide": "<img src=x onerror=alert(1)>"}})
    html = render_report(evil, title="<script>alert(1)</script>")
    parsed = Page(html)
    assert "script" not in parsed.tags
    assert "<script>alert(1)</script>" in parsed.all_text
    assert "<img src=x onerror=alert(1)>" in parsed.all_text
    assert len(parsed.images) == 2  # no image but the figures


def test_leaderboard_cells_are_the_seed_statistics(page, results):
    board = task_leaderboard(results).set_index(["task", "model"])
    for task in ("return", "direction", "variance"):
        row = board.loc[(task, "mha")]
        cells = page.tables[task]["mha"]
        assert cells["n_seeds"] == "3"
        assert cells["seeds_sig"] == (
            f"{int(row['n_better'])} / {int(row['n_worse'])} of 3"
        )
        expected = f"{100 * (row['ratio'] - 1):.1f}%".replace("-", "\u2212")
        assert cells["change"] == expected
        lo, hi = row["score_min"], row["score_max"]
        assert cells["score_range"] == f"{lo:.4g}–{hi:.4g}"
        assert cells["n_params"] == "5,000"
    # a single run shows its test; the reference shows none
    assert page.tables["variance"]["har"]["dm_pvalue_holm"] != "—"
    assert page.tables["variance"]["garch"]["change"] == ""


def test_headlines_answer_per_task_in_words(page, results):
    board = task_leaderboard(results)
    for task, block in page.verdicts.items():
        h = task_headline(board, task)
        assert block["kind"] == h.kind
        assert " ".join(h.lead.split()) in " ".join(block["text"].split())
    text = page.verdicts["variance"]["text"]
    assert "garch" in text
    assert re.search(r"QLIKE \d+\.\d% (lower|higher)", text)
    assert "seeds" in text


def test_headline_says_when_attention_loses():
    weak = {
        "mha": (4, "single", 16, 5_000, 0.0, 0.0, 1.2),
        "sa": (1, "single", 16, 4_300, 0.0, 0.0, 1.4),
    }
    res = make_task_results(n_origins=60, series=("A",), attention=weak)
    board = task_leaderboard(res)
    h = task_headline(board, "variance")
    assert h.kind in ("loses", "mixed", "tie")
    assert h.lead.startswith("No")
    assert "higher than garch" in h.lead
    page = Page(render_report(res))
    assert page.verdicts["variance"]["kind"] == h.kind


def test_comparisons_pair_by_architecture_side_by_side(page):
    pairs = {(a["data-task"], a["data-kind"], a["data-a"], a["data-b"])
             for a in page.articles}  # fmt: skip
    for task in ("return", "direction", "variance"):
        assert (task, "heads", "sa", "mha") in pairs
        assert (task, "heads", "sa_wide", "mha") in pairs
        assert (task, "output", "mha", "mha_multi") in pairs
    assert len(pairs) == 9
    text = page.all_text
    assert "sa vs mha equal width" in text
    assert "sa_wide vs mha equal parameter budget" in text
    assert "Parameters: sa_wide 5,200, mha 5,000." in text
    assert "as a function is the same as separate linear heads" in text
    assert "small MLPs of hidden width d_model" in text


def test_calibration_caption_counts_every_forecast(page, results):
    direction = results[results.task == "direction"]
    n = len(direction[direction.model == "mha"])
    assert f"mha: {n} forecasts in" in page.all_text
    assert "base_rate: 45 forecasts in 1 of 10 bins" in page.all_text


def test_missing_reference_says_the_test_is_not_possible(results):
    page = Page(render_report(results[results.model != "garch"]))
    block = page.verdicts["variance"]
    assert block["kind"] == "none"
    assert "No test is possible" in block["text"]
    assert "no 'garch' model" in page.all_text
    assert page.tables["variance"]["mha"]["dm"] == "—"
    # the other tasks are still tested
    assert page.verdicts["return"]["kind"] != "none"


def test_reference_override_by_mapping(results):
    page = Page(render_report(results, baseline={"variance": "har"}))
    assert "har" in page.tables["variance"]
    assert page.tables["variance"]["har"]["change"] == ""  # har is the reference
    assert "than har" in page.verdicts["variance"]["text"]


def test_frame_with_price_rows_also_renders(results):
    from test_report import small

    price = small(("naive", "mha")).assign(task="price")
    both = pd.concat([results, price], ignore_index=True)
    page = Page(render_report(both))
    assert "task-price" in page.ids
    assert set(page.tables["price"]) == {"naive", "mha"}
    assert "price report" in page.all_text
    # attention told by name on rows without architecture columns; 3 origins
    # are too few for a test with h = 5, and the headline says so
    price_verdict = page.verdicts["price"]
    assert price_verdict["kind"] == "none"
    assert "Untested: mha has MAE" in price_verdict["text"]
    assert "needs at least 10 forecast origins" in price_verdict["text"]


def test_bad_task_frames():
    res = make_task_results(n_origins=20, series=("A",), seeds=(0,))
    with pytest.raises(ValueError, match=r"unknown task kind\(s\) \['volatilty'\]"):
        render_report(res.replace({"task": {"variance": "volatilty"}}))
    with pytest.raises(ValueError, match="repeat a forecast"):
        render_report(pd.concat([res, res[res.model == "mha"]]))
    with pytest.raises(ValueError, match=r"missing required column\(s\) \['y_pred'\]"):
        render_report(res.drop(columns="y_pred"))
    with pytest.raises(TypeError, match="baseline must be a model name, a mapping"):
        render_report(res, baseline=3)
    nan_task = res.astype({"task": object})
    nan_task.loc[0, "task"] = None
    msg = "'task' has missing values (rows [0]); every row needs a model, a series"
    with pytest.raises(ValueError, match=re.escape(msg + " and a task.")):
        render_report(nan_task)


def test_volatility_rows_are_plotted_and_scored_without_qlike():
    res = make_task_results(n_origins=30, series=("A",), seeds=(0, 1))
    var = res[res.task == "variance"]
    vol = var.assign(
        task="volatility", y_true=np.sqrt(var.y_true), y_pred=np.sqrt(var.y_pred)
    )
    page = Page(render_report(vol))
    assert "variance-plots" in page.ids
    assert "task-volatility" in page.ids
    assert "Volatility forecasts against realized" in page.all_text
    assert "qlike" not in {k for row in page.tables["volatility"].values() for k in row}


def test_renders_backtest_tasks_output():
    # the real frame: string dtypes, None architecture of baselines, and a
    # list of failures in attrs (pandas compares attrs inside merges)
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.linear_model import LinearRegression, LogisticRegression

    from tsattn import make_stock_like, make_targets
    from tsattn.backtesting import backtest_tasks

    prices = make_stock_like("garch", n_steps=300, random_state=3)
    y = make_targets(
        prices["Close"], kind=["log_return", "direction", "volatility"], vol_window=5
    )
    X = np.log(prices[["Close"]]).diff().fillna(0.0).rename(columns={"Close": "r"})
    ret, up, vol = y.columns
    models = {
        "zero": (DummyRegressor(strategy="constant", constant=0.0), ret),
        "ar": (LinearRegression(), ret),
        "base_rate": (DummyClassifier(strategy="prior"), up),
        "logit": (LogisticRegression(), up),
        "garch": (DummyRegressor(), vol),
        "linear_vol": (LinearRegression(), vol),
    }
    res = backtest_tasks(models, X, y, n_folds=3, test_size=15)
    assert res.attrs["failures"] == []
    page = Page(render_report(res))
    assert set(page.verdicts) == {"return", "direction", "volatility"}
    assert page.verdicts["volatility"]["kind"] == "none"  # no attention model
    assert "No attention model forecasts this task" in page.all_text
    assert page.tables["volatility"]["linear_vol"]["dm"] != "—"
    assert "comparisons" not in page.ids  # no attention pairs
