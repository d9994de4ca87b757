import os
import re
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from presets import TINY_CLI, write_csvs

import tsattn
from tsattn.cli import MODELS, main, read_data
from tsattn.cli.columns import target_columns
from tsattn.cli.leaderboard import add_naive_scale
from tsattn.datasets import make_stock_like
from tsattn.persistence import load

N_ROWS = 160
N_FIT = 140
TINY = TINY_CLI
COMMANDS = ["demo", "fit", "predict", "forecast", "backtest", "report"]


def run_cli(*args, cwd=None, timeout=300):
    """Run ``python -m tsattn.cli`` in a subprocess."""
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    return subprocess.run(
        [sys.executable, "-m", "tsattn.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )


def assert_one_line_error(stderr, rc, match):
    assert rc != 0
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("tsattn: error: "), lines[0]
    assert re.search(match, lines[0]), lines[0]


def cli_error(capsys, argv, match):
    """Run main(argv) in-process and check the one-line error."""
    rc = main([*argv, "--quiet"])
    captured = capsys.readouterr()
    assert rc == 1
    assert_one_line_error(captured.err, rc, match)
    return captured


@pytest.fixture(scope="module")
def bars():
    return make_stock_like("ar1", n_steps=N_ROWS, random_state=0)


@pytest.fixture(scope="module")
def files(tmp_path_factory, bars):
    """OHLCV CSV files as a finance site writes them, and a fitted model."""
    folder = tmp_path_factory.mktemp("cli")
    paths = write_csvs(folder, full=bars, head=bars.iloc[:N_FIT])
    model = folder / "model.safetensors"
    args = ["fit", paths["head"], "--horizon", "5", "--out", model, "-q", *TINY]
    assert main(args) == 0
    return {**paths, "model": model, "folder": folder}


# --------------------------------------------------------------------------- help
def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert command in out


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_each_command(capsys, command):
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: tsattn {command}")
    assert "--quiet" in out


def test_help_and_version_in_subprocess():
    proc = run_cli("--help")
    assert proc.returncode == 0
    assert "usage: tsattn" in proc.stdout
    proc = run_cli("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"tsattn {tsattn.__version__}"


def test_backtest_help_lists_every_model(capsys):
    main(["backtest", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for name in MODELS:
        assert f"{name}:" in out


# ------------------------------------------------------------------ fit / predict
def test_fit_predict_forecast_in_subprocess(files, tmp_path):
    model = tmp_path / "m.safetensors"
    proc = run_cli("fit", files["head"], "--horizon", "5", "--out", model, *TINY)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert model.is_file()
    assert "saved to" in proc.stdout

    pred_csv = tmp_path / "pred.csv"
    proc = run_cli("predict", model, files["head"], "--out", pred_csv)
    assert proc.returncode == 0, proc.stderr
    pred = pd.read_csv(pred_csv, index_col=0, parse_dates=True)
    assert list(pred.columns) == [f"Close_h{k}" for k in range(1, 6)]
    assert len(pred) == N_FIT
    # the reference: the same model loaded in-process
    X = read_data(files["head"])[["Close"]]
    expected = load(model).predict(X)
    np.testing.assert_allclose(pred.to_numpy(), expected.to_numpy(), rtol=1e-6)

    proc = run_cli("forecast", model, files["head"], "--steps", "3")
    assert proc.returncode == 0, proc.stderr
    fc = pd.read_csv(pd.io.common.StringIO(proc.stdout), index_col=0, parse_dates=True)
    assert list(fc.columns) == ["Close", "Close_q0.05", "Close_q0.95"]
    assert len(fc) == 3
    last = X.index[-1]
    assert list(fc.index) == list(pd.bdate_range(last, periods=4)[1:])
    np.testing.assert_allclose(fc.to_numpy(), load(model).forecast(3).to_numpy())


def test_fit_is_the_estimator_fit(files, bars):
    # the CLI's model equals AttentionForecaster fitted by hand with the same options
    from tsattn.estimators import AttentionForecaster

    ref = AttentionForecaster(
        window_length=16, d_model=8, n_heads=2, n_layers=1, patch_len=4,
        max_epochs=2, max_steps_per_epoch=3, random_state=0, horizon=5,
        quantiles=(0.05, 0.95),
    ).fit(read_data(files["head"])[["Close"]])  # fmt: skip
    got = load(files["model"])
    assert got.get_params()["n_heads"] == 2
    pd.testing.assert_frame_equal(got.forecast(), ref.forecast())


def test_fit_passes_linear_skip_and_significance(files, tmp_path):
    out = tmp_path / "skip.safetensors"
    args = ["fit", files["head"], "--horizon", "3", "--out", out, "-q", *TINY]
    assert main([*args, "--linear-skip", "--significance", "0.05"]) == 0
    model = load(out)
    assert model.get_params()["linear_skip"] is True
    assert model.get_params()["significance"] == 0.05
    assert model.config_.linear_skip is True
    assert model.linear_skip_fit_[0]["kept"] in ("ridge", "zero")
    assert "p_value" in model.linear_skip_fit_[0]


@pytest.mark.parametrize("level", ["0", "1.5", "five"])
def test_significance_must_be_a_level(files, tmp_path, level, capsys):
    out = tmp_path / "bad.safetensors"
    args = ["fit", files["head"], "--out", out, "-q", *TINY, "--significance", level]
    rc = main(args)
    err = capsys.readouterr().err
    assert rc == 2
    assert "--significance" in err
    assert f"strictly between 0 and 1, e.g. 0.05; got {level!r}" in err
    assert not out.exists()


def test_forecast_feeds_new_rows_without_refit(files, capsys):
    assert main(["forecast", files["model"], files["full"]]) == 0
    captured = capsys.readouterr()
    assert f"fed {N_ROWS - N_FIT} row(s)" in captured.err
    fc = pd.read_csv(pd.io.common.StringIO(captured.out), index_col=0, parse_dates=True)
    model = load(files["model"])
    X = read_data(files["full"])[["Close"]]
    expected = model.update(X.iloc[N_FIT:]).forecast()
    assert fc.index[0] > X.index[-1]
    np.testing.assert_allclose(fc.to_numpy(), expected.to_numpy())


def test_forecast_without_new_rows_says_so(files, capsys):
    assert main(["forecast", files["model"], files["head"], "--steps", "2"]) == 0
    captured = capsys.readouterr()
    assert "no rows after the model's last observation" in captured.err
    assert len(captured.out.strip().splitlines()) == 3  # header + 2 steps


def test_fit_supervised_with_features(files, tmp_path, bars, capsys):
    model_path = tmp_path / "sup.safetensors"
    argv = ["fit", files["head"], "--features", "Volume,Open", "--horizon", "3"]
    assert main([*argv, "--out", model_path, "-q", *TINY]) == 0
    model = load(model_path)
    assert model.mode_ == "supervised"
    assert list(model.columns_) == ["Close", "Volume", "Open"]
    assert model.target_names_ == [f"cum_log_return_h{k}" for k in (1, 2, 3)]
    capsys.readouterr()

    assert main(["predict", model_path, files["head"], "-q"]) == 0
    out = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out), index_col=0)
    assert list(out.columns) == model.target_names_
    X = read_data(files["head"])[["Close", "Volume", "Open"]]
    np.testing.assert_allclose(out.to_numpy(), model.predict(X).to_numpy(), rtol=1e-6)

    assert main(["forecast", model_path, files["head"], "-q"]) == 0
    fc = pd.read_csv(
        pd.io.common.StringIO(capsys.readouterr().out), index_col=0, parse_dates=True
    )
    assert list(fc.columns) == ["Close"]
    assert list(fc.index) == list(pd.bdate_range(X.index[-1], periods=4)[1:])
    assert (fc["Close"] > 0).all()


def test_supervised_forecast_is_the_last_prediction_as_prices(files, tmp_path, capsys):
    model_path = tmp_path / "sup.safetensors"
    argv = ["fit", files["head"], "--features", "Volume", "--horizon", "3"]
    assert main([*argv, "--out", model_path, "-q", *TINY]) == 0
    capsys.readouterr()
    assert main(["forecast", model_path, files["head"], "-q"]) == 0
    fc = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out), index_col=0)
    # cumulative log returns made at the last row, mapped back from the last close
    X = read_data(files["head"])[["Close", "Volume"]]
    pred = load(model_path).predict(X).iloc[-1].to_numpy()
    expected = X["Close"].iloc[-1] * np.exp(pred)
    np.testing.assert_allclose(fc["Close"].to_numpy(), expected, rtol=1e-6)


def test_predict_writes_atomically_and_replaces(files, tmp_path, capsys):
    out = tmp_path / "pred.parquet"
    out.write_text("old")
    assert main(["predict", files["model"], files["head"], "--out", out, "-q"]) == 0
    assert len(pd.read_parquet(out)) == N_FIT
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pred.parquet"]
    # a failed command leaves the previous file as it was
    before = out.read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,Open\n2020-01-02,1\n")
    rc = main(["predict", files["model"], bad, "--out", out, "-q"])
    assert rc == 1
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "pred.parquet"]


# ----------------------------------------------------------------- backtest/report
@pytest.fixture(scope="module")
def backtest_run(files):
    folder = files["folder"]
    report, results = folder / "bt.html", folder / "bt.csv"
    proc = run_cli(
        "backtest", files["full"], "--target", "Close",
        "--models", "naive,drift,mha", "--horizon", "3", "--folds", "3",
        "--report", report, "--results", results, *TINY,
    )  # fmt: skip
    return proc, report, results


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.images = set(), 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "img" and attrs.get("src", "").startswith("data:image/png;base64,"):
            self.images += 1


def test_backtest_in_subprocess(backtest_run, bars):
    proc, report, results_path = backtest_run
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    for name in ("naive", "drift", "mha"):
        assert re.search(rf"^{name}\s", proc.stdout, re.M)
    assert "[1/" in proc.stderr  # progress, one line per stage

    results = pd.read_csv(results_path, parse_dates=["cutoff", "timestamp"])
    assert len(results) == 3 * 3 * 3  # models x folds x steps
    # folds at the end of the data: the last target is the last row
    assert results["timestamp"].max() == bars.index[-1]
    naive = results[results["model"] == "naive"]
    close = bars["Close"]
    np.testing.assert_allclose(naive["y_pred"], close.loc[naive["cutoff"]].to_numpy())
    np.testing.assert_allclose(
        naive["y_true"], close.loc[naive["timestamp"]].to_numpy()
    )
    # MASE denominator: naive in-sample MAE up to each cutoff
    cut = naive["cutoff"].iloc[0]
    expected = close.loc[:cut].diff().abs().mean()
    assert naive["y_insample_naive_scale"].iloc[0] == pytest.approx(expected)

    page = _Collector()
    page.feed(report.read_text())
    assert {"leaderboard", "attention", "notes"} <= page.ids
    assert page.images >= 3


def test_backtest_every_model_name(files, tmp_path, capsys):
    results = tmp_path / "all.csv"
    argv = ["backtest", files["full"], "--models", ",".join(MODELS), "--horizon", "2"]
    assert main([*argv, "--folds", "2", "--results", results, "-q", *TINY]) == 0
    frame = pd.read_csv(results)
    assert list(dict.fromkeys(frame["model"])) == list(MODELS)
    assert frame.groupby("model").size().eq(2 * 2).all()
    params = frame.drop_duplicates("model").set_index("model")["n_params"]
    assert params["mha"] == params["sa"]  # heads split d_model
    board = capsys.readouterr().out
    for name in MODELS:
        assert re.search(rf"^{name}\s", board, re.M)


def test_report_from_results_matches_backtest(backtest_run, tmp_path):
    proc, _, results_path = backtest_run
    board = proc.stdout.split("report written")[0]
    out = tmp_path / "again.html"
    done = run_cli("report", results_path, "--out", out, "--title", "<script>x")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("report written")[0] == board
    html = out.read_text()
    assert "&lt;script&gt;x" in html
    assert "<script>x" not in html


def test_report_reads_parquet_like_csv(backtest_run, tmp_path):
    from tsattn.cli.commands import read_results

    _, _, results_path = backtest_run
    from_csv = read_results(results_path)
    parquet = tmp_path / "r.parquet"
    from_csv.to_parquet(parquet)
    pd.testing.assert_frame_equal(read_results(parquet), from_csv)
    assert isinstance(from_csv["cutoff"].dtype, pd.DatetimeTZDtype) or (
        pd.api.types.is_datetime64_dtype(from_csv["cutoff"])
    )


def check_demo(stdout, stderr, report, results):
    assert "Traceback" not in stderr
    stages = re.findall(r"^tsattn: \[(\d+)/(\d+)\] done", stderr, re.M)
    assert len(stages) == 13  # 6 of the multi-task part (2 seeds), 7 of prices
    assert stages[-1] == ("13", "13")
    # Part 1, the main job: returns, direction and variance, to --out/--results.
    tasks = pd.read_parquet(results)
    assert set(tasks["task"]) == {"return", "direction", "variance"}
    nets = {"mha", "mha_multi", "sa", "sa_multi", "mha_wide"}
    assert nets < set(tasks["model"])
    assert {"zero", "base_rate", "garch", "har", "ewma"} < set(tasks["model"])
    assert sorted(tasks.loc[tasks["model"].isin(nets), "seed"].unique()) == [0, 1]
    assert tasks.loc[~tasks["model"].isin(nets), "seed"].isna().all()
    assert "equal parameter budget: mha_multi" in stdout
    page = _Collector()
    page.feed(report.read_text())
    assert {"task-return", "task-direction", "task-variance"} <= page.ids
    lines = stdout.splitlines()
    first_price_line = next(i for i, x in enumerate(lines) if x.startswith("naive"))
    assert any(x.startswith("Variance: ") for x in lines[:first_price_line])
    # Part 2: the price forecasts, to <out>_prices.html and <results>_prices.
    prices_report = report.with_name(f"{report.stem}_prices.html")
    prices_results = results.with_name(f"{results.stem}_prices{results.suffix}")
    names = ["naive", "drift", "arima", "ets", "theta", "mha", "sa", "mha_multi"]
    for name in names:
        assert re.search(rf"^{name}\s", stdout, re.M), stdout
    verdict = stdout.strip().splitlines()[-2]  # the line before "report written"
    assert "naive" in verdict
    frame = pd.read_parquet(prices_results)
    assert sorted(frame["model"].unique()) == sorted(names)
    assert frame.groupby("model").size().nunique() == 1  # same folds for all
    # every model, the networks included, gives its interval at every cutoff
    assert frame[["q0.05", "q0.95"]].notna().all().all()
    page = _Collector()
    html = prices_report.read_text()
    page.feed(html)
    assert {"leaderboard", "comparisons", "attention"} <= page.ids
    assert "Self-attention vs multi-head attention" in html
    assert "Single vs multi output head" in html


def test_demo_quick(tmp_path, capsys):
    report, results = tmp_path / "demo.html", tmp_path / "demo.parquet"
    argv = ["demo", "--quick", "--out", report, "--results", results, "--n-jobs", "1"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    check_demo(captured.out, captured.err, report, results)


@pytest.mark.slow
def test_demo_quick_in_subprocess(tmp_path):
    report, results = tmp_path / "demo.html", tmp_path / "demo.parquet"
    proc = run_cli("demo", "--quick", "--out", report, "--results", results)
    assert proc.returncode == 0, proc.stderr
    check_demo(proc.stdout, proc.stderr, report, results)


# ----------------------------------------------------------------- reading data
def test_read_data_generic_csv_with_timestamp(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("timestamp,value,label\n2024-01-03,3,c\n2024-01-01,1,a\n")
    frame = read_data(path)
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert list(frame["value"]) == [1, 3]  # sorted oldest first
    assert list(frame.columns) == ["value", "label"]


def test_read_data_without_dates_uses_positions(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("a,b\n1,2\n3,4\n")
    frame = read_data(path)
    assert isinstance(frame.index, pd.RangeIndex)
    assert frame.to_numpy().tolist() == [[1, 2], [3, 4]]


def test_read_data_newest_first_ohlcv(tmp_path, bars):
    path = tmp_path / "desc.csv"
    bars.iloc[::-1].to_csv(path, index_label="Date")
    frame = read_data(path)
    np.testing.assert_allclose(frame["Close"], bars["Close"])
    assert frame.index.is_monotonic_increasing


def test_read_data_parquet(tmp_path, bars):
    path = tmp_path / "b.parquet"
    bars.to_parquet(path)
    pd.testing.assert_frame_equal(read_data(path), bars, check_freq=False)


def test_missing_values_dropped_with_a_note(tmp_path, bars, capsys):
    frame = bars.copy()
    frame.iloc[30, frame.columns.get_loc("Close")] = np.nan
    path = tmp_path / "holes.csv"
    frame.to_csv(path, index_label="Date")
    out = tmp_path / "m.safetensors"
    assert main(["fit", path, "--out", out, *TINY]) == 0
    err = capsys.readouterr().err
    assert "note: dropped 1 row(s) with missing values" in err
    assert len(load(out).index_) == N_ROWS - 1


def test_add_naive_scale_by_hand():
    idx = pd.RangeIndex(5)
    data = pd.DataFrame({"s": [1.0, 2.0, 4.0, 7.0, 11.0]}, index=idx)
    results = pd.DataFrame({"series": ["s", "s"], "cutoff": [2, 3]})
    got = add_naive_scale(results, data)["y_insample_naive_scale"]
    assert got.tolist() == [1.5, 2.0]  # mean(|1|,|2|), mean(|1|,|2|,|3|)


# ------------------------------------------------------------- bad input: 1 line
def test_missing_data_file_in_subprocess(tmp_path):
    proc = run_cli("fit", tmp_path / "nope.csv", "--out", tmp_path / "m.st")
    assert_one_line_error(proc.stderr, proc.returncode, r"nope\.csv.*does not exist")


def test_corrupt_model_in_subprocess(files, tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00\x01garbage" * 20)
    proc = run_cli("predict", bad, files["head"])
    assert_one_line_error(proc.stderr, proc.returncode, "not a tsattn model file")


def test_unknown_model_in_subprocess(files):
    proc = run_cli("backtest", files["head"], "--models", "naive,lstm")
    assert_one_line_error(proc.stderr, proc.returncode, "unknown model 'lstm'")


@pytest.mark.parametrize("command", ["fit", "backtest", "predict", "forecast"])
def test_missing_data_file(capsys, files, tmp_path, command):
    data = tmp_path / "missing.csv"
    argv = {
        "fit": ["fit", data, "--out", tmp_path / "m.st"],
        "backtest": ["backtest", data],
        "predict": ["predict", files["model"], data],
        "forecast": ["forecast", files["model"], data],
    }[command]
    cli_error(capsys, argv, r"DATA file .*missing\.csv.* does not exist")


def test_data_is_a_folder(capsys, tmp_path):
    cli_error(capsys, ["backtest", tmp_path], "is a folder, not a file")


def test_empty_csv(capsys, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    cli_error(capsys, ["backtest", path], "empty.csv is empty")


def test_binary_file_as_csv(capsys, tmp_path):
    path = tmp_path / "bin.csv"
    path.write_bytes(bytes(range(256)) * 4)
    cli_error(capsys, ["backtest", path], "cannot read bin.csv as CSV")


def test_unparseable_price(capsys, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("Date,Close\n2024-01-02,10\n2024-01-03,abc\n")
    cli_error(capsys, ["backtest", path], r"Could not parse 'abc' as a number")


def test_unknown_target_column(capsys, files, tmp_path):
    argv = ["fit", files["head"], "--target", "Clsoe", "--out", tmp_path / "m.st"]
    cli_error(capsys, argv, r"--target 'Clsoe' is not a column .*did you mean 'Close'")


def test_unknown_feature_column(capsys, files, tmp_path):
    argv = ["fit", files["head"], "--features", "Vol", "--out", tmp_path / "m.st"]
    cli_error(capsys, argv, r"--features 'Vol' is not a column of DATA")


def test_target_case_insensitive(files):
    frame = read_data(files["head"])
    assert target_columns(frame, "close") == ["Close"]
    assert target_columns(frame, None) == ["Close"]


def test_non_numeric_target(capsys, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("day,name,x\n2024-01-01,a,1\n2024-01-02,b,2\n")
    cli_error(capsys, ["backtest", path, "--target", "name"], "'name' is not numeric")


def test_ambiguous_target(capsys, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("day,a,b\n2024-01-01,1,2\n2024-01-02,3,4\n")
    cli_error(capsys, ["backtest", path], "choose one with --target")


def test_too_short_data_for_fit(capsys, bars, tmp_path):
    path = tmp_path / "short.csv"
    bars.iloc[:30].to_csv(path, index_label="Date")
    argv = ["fit", path, "--out", tmp_path / "m.st"]
    cli_error(capsys, argv, r"X has 30 row\(s\).*needs at least 70")


def test_too_short_data_for_backtest(capsys, bars, tmp_path):
    path = tmp_path / "short.csv"
    bars.iloc[:20].to_csv(path, index_label="Date")
    argv = ["backtest", path, "--models", "naive", "--folds", "10"]
    cli_error(capsys, argv, r"Series 'Close'")


def test_unknown_model_suggests(capsys, files):
    argv = ["backtest", files["head"], "--models", "arma"]
    cli_error(capsys, argv, r"unknown model 'arma'.*Did you mean 'arima'\?")


def test_repeated_model(capsys, files):
    argv = ["backtest", files["head"], "--models", "naive,naive"]
    cli_error(capsys, argv, r"--models names \['naive'\] more than once")


def test_truncated_model_file(capsys, files, tmp_path):
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(files["model"].read_bytes()[:-100])
    cli_error(capsys, ["forecast", cut, files["head"]], "truncated or corrupt")


def test_missing_model_file(capsys, files, tmp_path):
    argv = ["predict", tmp_path / "none.safetensors", files["head"]]
    cli_error(capsys, argv, r"MODEL file .*none\.safetensors.* does not exist")


def test_data_lacks_model_columns(capsys, files, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("day,x\n2024-01-01,1\n2024-01-02,2\n")
    cli_error(
        capsys, ["predict", files["model"], path], r"lacks column\(s\) \['Close'\]"
    )


def test_missing_values_error_mode(capsys, bars, tmp_path):
    frame = bars.copy()
    frame.iloc[5, frame.columns.get_loc("Close")] = np.nan
    path = tmp_path / "holes.csv"
    frame.to_csv(path, index_label="Date")
    argv = ["backtest", path, "--models", "naive", "--missing", "error"]
    cli_error(capsys, argv, r"1 row\(s\) with missing values in \[.Close.\]")


def test_output_folder_missing_fails_before_work(capsys, files, tmp_path):
    argv = ["demo", "--out", tmp_path / "no" / "r.html"]
    cli_error(capsys, argv, r"cannot write the report .* folder .* does not exist")


def test_bad_quantiles(capsys, files, tmp_path):
    argv = ["fit", files["head"], "--quantiles", "0.5,1.5", "--out", tmp_path / "m"]
    cli_error(capsys, argv, "strictly between 0 and 1")


def test_features_need_one_target(capsys, files, tmp_path):
    argv = ["fit", files["head"], "--target", "Close,Open", "--features", "Volume"]
    cli_error(capsys, [*argv, "--out", tmp_path / "m"], "names one column; got 2")


def test_supervised_steps_are_fixed(capsys, files, tmp_path):
    path = tmp_path / "sup.safetensors"
    argv = ["fit", files["head"], "--features", "Volume", "--out", path, *TINY]
    assert main([*argv, "-q"]) == 0
    argv = ["forecast", path, files["head"], "--steps", "2"]
    cli_error(capsys, argv, r"predicts 5 step\(s\) fixed by its targets")


def test_report_results_lack_columns(capsys, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("model,y_true\nnaive,1\n")
    cli_error(capsys, ["report", path, "--out", tmp_path / "r.html"], "lacks column")


def test_report_results_missing(capsys, tmp_path):
    argv = ["report", tmp_path / "r.csv", "--out", tmp_path / "r.html"]
    cli_error(capsys, argv, r"RESULTS file .* does not exist")


def test_usage_error_exits_2(capsys):
    assert main(["fit", "x.csv"]) == 2
    err = capsys.readouterr().err
    assert "the following arguments are required: --out" in err
    assert "Traceback" not in err


def test_bad_number_option(capsys):
    assert main(["backtest", "x.csv", "--folds", "0"]) == 2
    assert "expected an integer >= 1, got '0'" in capsys.readouterr().err


def test_debug_reraises(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        main(["--debug", "backtest", tmp_path / "none.csv"])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        main(["backtest", tmp_path / "none.csv", "--debug"])


def test_verdict_prefers_a_significant_winner():
    from tsattn.cli.leaderboard import verdict_line

    board = pd.DataFrame(
        {"mae": [0.98, 0.99, 1.0], "dm_pvalue": [0.2, 0.01, np.nan]},
        index=["drift", "mha", "naive"],
    )
    text = verdict_line(board)
    assert text.startswith("mha beats naive: MAE 1.0% lower")
    assert "2 models were tested against naive" in text


@pytest.mark.parametrize("command", ["fit", "backtest"])
def test_network_options_default_to_the_estimator(command):
    from tsattn.cli.models import network_params
    from tsattn.cli.parser import build_parser
    from tsattn.estimators import AttentionForecaster

    argv = [command, "data.csv", *(["--out", "m.safetensors"] * (command == "fit"))]
    params = network_params(build_parser().parse_args(argv))
    defaults = AttentionForecaster().get_params()
    assert params == {key: defaults[key] for key in params}
    assert params["d_model"] == defaults["d_model"]  # no second default in the CLI


def test_demo_settings_say_where_they_depart_from_the_estimator():
    from tsattn.cli.models import demo_attention
    from tsattn.estimators import AttentionForecaster

    defaults = AttentionForecaster().get_params()
    prices, tasks = demo_attention("prices", False), demo_attention("tasks", False)
    assert prices["window_length"] == defaults["window_length"]
    assert tasks["window_length"] == defaults["window_length"]
    assert prices["max_epochs"] < defaults["max_epochs"]  # faster, on purpose
    assert tasks["n_layers"] == 1
    assert prices["n_layers"] == defaults["n_layers"]
    assert demo_attention("prices", True) == demo_attention("tasks", True)
    AttentionForecaster(**prices)  # every key is a parameter of the estimator


def test_progress_writes_one_line_per_stage_and_nothing_when_quiet(capsys):
    from tsattn.cli.console import Progress

    progress = Progress(2, quiet=False)
    for label in ("load", "fit"):
        with progress.stage(label):
            pass
    progress.say("written")
    err = capsys.readouterr().err
    assert re.findall(r"^tsattn: \[(\d)/2\] (\w+) \.\.\.$", err, re.M) == [
        ("1", "load"),
        ("2", "fit"),
    ]
    assert re.findall(r"^tsattn: \[(\d)/2\] done in \d", err, re.M) == ["1", "2"]
    assert err.splitlines()[-1] == "tsattn: written"
    quiet = Progress(2, quiet=True)
    with quiet.stage("load"):
        quiet.say("written")
    assert capsys.readouterr().err == ""
