import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from presets import TINY_CLI, TINY_NETWORK, write_csvs
from sklearn.dummy import DummyRegressor

import tsattn.cli.tasks as cli_tasks
from tsattn.cli import main
from tsattn.cli.tasks import (
    describe_targets,
    equal_budget,
    make_attention,
    parse_losses,
    parse_tasks,
    task_targets,
)
from tsattn.datasets import make_stock_like

TINY = [*TINY_CLI, "--folds", "3", "--horizon", "5"]
TINY_PARAMS = {**TINY_NETWORK, "max_epochs": 1, "max_steps_per_epoch": 2}


@pytest.fixture(scope="module")
def bars():
    return make_stock_like("garch", n_steps=300, random_state=2)


@pytest.fixture(scope="module")
def ohlcv(tmp_path_factory, bars):
    folder = tmp_path_factory.mktemp("tasks")
    return {**write_csvs(folder, ohlcv=bars, close=bars[["Close"]]), "folder": folder}


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])


@pytest.fixture(scope="module")
def task_run(ohlcv):
    report = ohlcv["folder"] / "tasks.html"
    results = ohlcv["folder"] / "tasks.csv"
    argv = [
        "backtest", ohlcv["ohlcv"], "--tasks", "return,direction,volatility",
        "--models", "zero,mean,base_rate,logistic,garch,har,ewma,mha,sa_multi",
        "--seeds", "2", "--report", report, "--results", results, "-q", *TINY,
    ]  # fmt: skip
    return argv, report, results


def test_backtest_tasks_end_to_end(task_run, capsys):
    argv, report, results = task_run
    assert main(argv) == 0
    out = capsys.readouterr().out
    # a board per task, then one verdict line per task
    for head in ("return: mse", "direction: brier", "variance: qlike"):
        assert head in out, out
    assert re.search(r"^Returns: ", out, re.M)
    assert re.search(r"^Variance: ", out, re.M)
    frame = pd.read_csv(results)
    assert {"task", "seed", "target", "n_heads", "output_head"} <= set(frame.columns)
    assert set(frame["task"]) == {"return", "direction", "variance"}
    assert set(frame["target"]) == {"cum_log_return_h5", "up_h5", "realized_var_k5"}
    nets = frame[frame["model"].isin(["mha", "sa_multi"])]
    assert sorted(nets["seed"].unique()) == [0, 1]
    assert frame.loc[~frame["model"].isin(["mha", "sa_multi"]), "seed"].isna().all()
    # baselines answer their own task only; every run is scored on the same rows
    assert set(frame.loc[frame["model"] == "garch", "task"]) == {"variance"}
    rows = frame.groupby(["model", "seed", "task"], dropna=False).size()
    assert rows.nunique() == 1
    assert set(frame.loc[frame["model"] == "sa_multi", "n_heads"]) == {1}
    assert set(frame.loc[frame["model"] == "mha", "output_head"]) == {"single"}
    # direction forecasts are probabilities
    up = frame[frame["task"] == "direction"]["y_pred"]
    assert up.between(0, 1).all()
    page = _Ids()
    page.feed(report.read_text())
    assert {"task-return", "task-direction", "task-variance"} <= page.ids


def test_report_command_renders_saved_task_results(task_run, tmp_path, capsys):
    _, _, results = task_run
    if not results.exists():
        pytest.skip("the end-to-end run did not write its results")
    out = tmp_path / "again.html"
    assert main(["report", results, "--out", out, "-q"]) == 0
    assert "variance: qlike" in capsys.readouterr().out
    assert out.read_text().startswith("<!DOCTYPE html>")


def test_a_failing_model_gives_exit_status_1_and_keeps_the_rest(
    ohlcv, monkeypatch, tmp_path, capsys
):
    class Broken(DummyRegressor):
        def fit(self, X, y):
            raise RuntimeError("cannot fit")

    real = cli_tasks.make_baseline
    monkeypatch.setattr(
        cli_tasks,
        "make_baseline",
        lambda name, est: Broken() if name == "mean" else real(name, est),
    )
    results = tmp_path / "r.csv"
    argv = [
        "backtest", ohlcv["ohlcv"], "--tasks", "return", "--models", "zero,mean",
        "--results", results, "-q", *TINY,
    ]  # fmt: skip
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "1 fold(s) failed (model(s) mean)" in err
    assert set(pd.read_csv(results)["model"]) == {"zero"}


def test_equal_budget_matches_the_per_task_head_model(bars):
    y, cols = task_targets(bars, ["return", "direction"], 5, "close")
    losses = {cols["return"]: "mse", cols["direction"]: "bce"}
    X, Y = bars.iloc[:200], y.iloc[:200]
    budget = equal_budget(TINY_PARAMS, losses, X, Y)
    assert budget.gap <= 0.10

    def fitted(variant, d=None, ff=None):
        pipe = make_attention(variant, TINY_PARAMS, losses, 0, d, ff)
        return int(pipe.fit(X, Y)[-1].n_params_)

    assert budget.target == fitted("mha_multi")
    assert budget.base == fitted("mha")
    assert budget.n_params == fitted("mha", budget.d_model, budget.d_ff)
    assert abs(budget.n_params - budget.target) <= 0.10 * budget.target


def test_targets_are_the_horizon_return_direction_and_range_variance(bars):
    y, cols = task_targets(bars, ["return", "direction", "volatility"], 5, "parkinson")
    c = bars["Close"].to_numpy()
    ret = np.log(c[5:] / c[:-5])
    np.testing.assert_allclose(y[cols["return"]].to_numpy()[:-5], ret)
    np.testing.assert_array_equal(y[cols["direction"]].to_numpy()[:-5], ret > 0)
    park = np.log(bars["High"] / bars["Low"]).to_numpy() ** 2 / (4 * np.log(2))
    var = np.array([park[t + 1 : t + 6].sum() for t in range(len(c) - 5)])
    np.testing.assert_allclose(y[cols["volatility"]].to_numpy()[:-5], var)
    assert y.iloc[-5:].isna().all().all()
    text = describe_targets(["volatility"], 5, "parkinson")
    assert "realized variance of the next 5 rows" in text
    assert "Parkinson" in text


def test_task_names_and_losses():
    assert parse_tasks("return, variance,up") == ["return", "volatility", "direction"]
    assert parse_losses("return=huber", ["return", "volatility"]) == {
        "return": "huber",
        "volatility": "qlike",
    }


def _error(capsys, argv):
    rc = main([*argv, "-q"])
    err = capsys.readouterr().err
    assert rc == 1
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("tsattn: error: ")
    return lines[0]


@pytest.mark.parametrize(
    ("data", "tasks", "extra", "match"),
    [
        ("close", "volatility", ["--variance", "parkinson"], r"needs the High, Low"),
        (
            "ohlcv",
            "volatility",
            ["--loss", "volatility=mse"],
            r"variance loss \(qlike\)",
        ),
        ("ohlcv", "direction", ["--loss", "direction=mse"], "direction task takes bce"),
        ("ohlcv", "return", ["--models", "garch,mha"], "volatility baseline"),
        ("ohlcv", "return", ["--folds", "12"], "DATA is too short: 300 rows"),
        ("ohlcv", "return", ["--heads", "3"], "must be a multiple of --heads 3"),
    ],
)
def test_bad_task_input_gets_one_error_line(ohlcv, capsys, data, tasks, extra, match):
    line = _error(capsys, ["backtest", ohlcv[data], "--tasks", tasks, *TINY, *extra])
    assert re.search(match, line), line


def test_unknown_task_is_named(ohlcv, capsys):
    line = _error(capsys, ["backtest", ohlcv["ohlcv"], "--tasks", "return,volatilty"])
    assert "unknown task 'volatilty'" in line
    assert "Did you mean 'volatility'?" in line


def test_task_options_need_tasks(ohlcv, capsys):
    line = _error(capsys, ["backtest", ohlcv["ohlcv"], "--loss", "return=mae"])
    assert "--loss applies to --tasks" in line


@pytest.mark.parametrize(
    ("extra", "level"), [([], 0.05), (["--significance", "0.1"], 0.1)]
)
def test_task_networks_leave_their_baselines_only_on_evidence(extra, level):
    from tsattn.cli.parser import build_parser
    from tsattn.cli.task_commands import TASK_SIGNIFICANCE, _network_params

    args = build_parser().parse_args(["backtest", "x.csv", "--tasks", "return", *extra])
    assert _network_params(args)["significance"] == level
    assert TASK_SIGNIFICANCE == 0.05
