"""Fault injection: hostile model files, failing models, unwritable outputs, huge
values and CSV dialects. Each case asserts the exact outcome: one clear line,
nothing lost, memory bounded."""

import re
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator

import tsattn
from tsattn.backtesting import BacktestFailureWarning, backtest
from tsattn.baselines import DriftForecaster, NaiveForecaster
from tsattn.cli import main, read_data
from tsattn.datasets import make_stock_like

# The backtest workers (n_jobs=2) import this module to unpickle its models:
# torch and the model-file code are imported on use, so that they start fast.


def load(path):
    from tsattn.persistence import load as load_model

    return load_model(path)


def save(model, path):
    from tsattn.persistence import save as save_model

    return save_model(model, path)


CHECKSUM = "do not match the checksum"
TINY = dict(window_length=16, d_model=8, n_heads=2, max_epochs=1, random_state=0)


def one_line(text):
    assert "\n" not in text.strip(), text
    return text


def cli_error(err):
    """The one error line of the command's stderr (warnings may come before it)."""
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("tsattn: error:")]
    assert len(errors) == 1, err
    assert err.strip().splitlines()[-1] == errors[0]
    return errors[0]


# --------------------------------------------------------------- model files
@pytest.fixture(scope="module")
def model():
    prices = make_stock_like("gbm", n_steps=120, random_state=0)[["Close"]]
    from tsattn.estimators import AttentionForecaster

    return AttentionForecaster(**TINY, quantiles=(0.1, 0.9)).fit(prices)


@pytest.fixture
def saved(model, tmp_path):
    return save(model, tmp_path / "model.safetensors")


def edit(path, out, change, *, resign):
    """Copy ``path`` to ``out`` with ``change(header)`` applied to its JSON.

    ``resign=True`` recomputes the checksum, as a deliberate forger would.
    """
    from persistence.helpers import rewrite

    return rewrite(path, out, change, resign=resign)


def set_config(key, value):
    def change(header):
        header["config"][key] = value

    return change


def set_param(key, value):
    def change(header):
        header["params"][key] = value

    return change


def set_quantile(header):
    header["config"]["tasks"][0]["quantiles"] = [0.1, 0.6, 0.9]


def set_class(header):
    header["class"] = "NaiveForecaster"


HOSTILE = [
    # (name, edit, message once the checksum is recomputed)
    ("d_model=1e9", set_config("d_model", 10**9), "larger than any stored weight"),
    ("d_model=1e9 float", set_config("d_model", 1e9), "'d_model' parameter of NetC"),
    ("window_length=1e9", set_config("window_length", 10**9), "stored context rows"),
    ("n_layers=1e9", set_config("n_layers", 10**9), "more than the 30 stored"),
    ("revin", set_config("revin", False), None),
    ("quantile", set_quantile, None),
    ("max_epochs str", set_param("max_epochs", "30"), "'max_epochs' parameter"),
    ("class", set_class, "names the class 'NaiveForecaster'"),
]


@pytest.mark.parametrize(
    ("change", "forged"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE]
)
def test_edited_model_file_is_refused_in_one_line(saved, tmp_path, change, forged):
    bad = edit(saved, tmp_path / "edited.safetensors", change, resign=False)
    with pytest.raises(ValueError, match=CHECKSUM) as info:
        load(bad)
    one_line(str(info.value))
    assert str(bad) in str(info.value)
    if forged is None:
        return  # every weight still fits (revin, quantile levels): the checksum tells
    bad = edit(saved, tmp_path / "forged.safetensors", change, resign=True)
    with pytest.raises(ValueError, match=re.escape(forged)) as info:
        load(bad)
    one_line(str(info.value))


def test_edited_revin_would_change_the_forecast(model, saved, tmp_path):
    # Why the checksum must cover the metadata: this edit fits every weight.
    forged = load(
        edit(saved, tmp_path / "f.safetensors", set_config("revin", False), resign=True)
    )
    assert not forged.forecast().equals(model.forecast())
    plain = edit(
        saved, tmp_path / "p.safetensors", set_config("revin", False), resign=False
    )
    with pytest.raises(ValueError, match=CHECKSUM):
        load(plain)


_PROBE = textwrap.dedent(
    """
    import resource, sys
    from tsattn.persistence import load
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # A regression must not take the machine down: cap the address space.
    size = int(next(l.split()[1] for l in open("/proc/self/status")
                    if l.startswith("VmSize"))) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (size + 2**31, resource.RLIM_INFINITY))
    try:
        load(sys.argv[1])
    except Exception as exc:
        print(type(exc).__name__, exc)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("grew_kib", after - before)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_edited_size_fails_fast_with_bounded_memory(saved, tmp_path):
    # A d_model of 1e9 would need 32 GB for the token embedding alone.
    bad = edit(saved, tmp_path / "huge.safetensors", set_config("d_model", 10**9),
               resign=True)  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    first, grew = proc.stdout.strip().splitlines()
    assert first.startswith("ValueError "), first
    assert "sets d_model to 1000000000, larger than any stored weight" in first
    assert int(grew.split()[1]) < 256 * 1024  # KiB: a loose bound


def test_truncated_and_flipped_files(saved, tmp_path):
    data = saved.read_bytes()
    header_len = int.from_bytes(data[:8], "little")
    cases = {
        "cut-head": (data[:40], "truncated"),
        "cut-tail": (data[:-50], "truncated"),
        # a flipped byte inside the JSON header, then inside the tensors
        "flip-json": (
            data[: 8 + header_len // 2]
            + bytes([data[8 + header_len // 2] ^ 0x01])
            + data[9 + header_len // 2 :],
            "corrupt",
        ),
        "flip-tensor": (data[:-5] + bytes([data[-5] ^ 0xFF]) + data[-4:], CHECKSUM),
    }
    for name, (content, match) in cases.items():
        bad = tmp_path / f"{name}.safetensors"
        bad.write_bytes(content)
        with pytest.raises(ValueError, match=match) as info:
            load(bad)
        one_line(str(info.value))


def test_cli_forecast_with_edited_model_gives_one_line(saved, tmp_path, capsys):
    bad = edit(saved, tmp_path / "e.safetensors", set_config("d_model", 10**9),
               resign=False)  # fmt: skip
    data = tmp_path / "prices.csv"
    make_stock_like("gbm", n_steps=120, random_state=0).to_csv(data, index_label="Date")
    assert main(["forecast", str(bad), str(data), "-q"]) == 1
    err = capsys.readouterr().err
    one_line(err)
    assert err.startswith("tsattn: error: ")
    assert CHECKSUM in err


def test_cli_refuses_an_overflowing_forecast(saved, tmp_path, capsys, monkeypatch):
    data = tmp_path / "prices.csv"
    make_stock_like("gbm", n_steps=120, random_state=0).to_csv(data, index_label="Date")
    from tsattn.estimators import AttentionForecaster

    real = AttentionForecaster.forecast

    def overflowing(self, steps=None):
        out = real(self, steps)
        out.iloc[2, -1] = np.inf
        return out

    monkeypatch.setattr(AttentionForecaster, "forecast", overflowing)
    out = tmp_path / "fc.csv"
    assert main(["forecast", str(saved), str(data), "--out", str(out), "-q"]) == 1
    err = cli_error(capsys.readouterr().err)
    assert err.startswith("tsattn: error: the forecast overflowed: column 'Close_q0.9'")
    assert "is inf at" in err
    assert not out.exists()


# ------------------------------------------------------ failing models in a backtest
class FailOn(BaseEstimator):
    """Naive forecaster that raises in ``fit`` on one series, or from one row on."""

    def __init__(self, horizon=1, series=None, from_row=None, where="fit"):
        self.horizon = horizon
        self.series = series
        self.from_row = from_row
        self.where = where

    def _check(self, X, where):
        if where != self.where:
            return
        if self.series is not None and X.columns[0] == self.series:
            raise ValueError(f"cannot model {self.series}")
        if self.from_row is not None and len(self.seen_) >= self.from_row:
            raise FloatingPointError(f"overflow at row {len(self.seen_)}")

    def fit(self, X, y=None):
        self.seen_ = X.index
        self.col_ = X.columns[0]
        self.last_ = float(X.iloc[-1, 0])
        self._check(X, "fit")
        return self

    def forecast(self, steps=None):
        steps = self.horizon if steps is None else steps
        self._check(pd.DataFrame(columns=[self.col_]), "forecast")
        return pd.DataFrame({self.col_: [self.last_] * steps})

    def update(self, X_new):
        self.seen_ = self.seen_.append(X_new.index)
        self.last_ = float(X_new.iloc[-1, 0])
        return self

    def predict(self, X):
        cols = {f"{self.col_}_h{k}": X.iloc[:, 0].to_numpy() for k in range(1, 2)}
        return pd.DataFrame(cols, index=X.index)


def panel(n=60):
    rng = np.random.default_rng(0)
    values = 100 + np.cumsum(rng.normal(size=(n, 2)), axis=0)
    return pd.DataFrame(
        values, columns=["a", "b"], index=pd.bdate_range("2024-01-01", periods=n)
    )


KW = dict(horizon=1, initial=50, step=2)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_failing_series_keeps_every_other_result(n_jobs):
    y = panel()
    good = {"naive": NaiveForecaster(), "drift": DriftForecaster()}
    reference = backtest(good, y, **KW)  # n_jobs=2 equals 1: backtesting/test_series.py
    with pytest.warns(BacktestFailureWarning) as record:
        res = backtest({**good, "bad": FailOn(series="b")}, y, n_jobs=n_jobs, **KW)
    # nothing lost: the other models' rows are those of a run without "bad"
    pd.testing.assert_frame_equal(
        res[res["model"] != "bad"]
        .drop(columns=["fit_seconds", "predict_seconds"])
        .reset_index(drop=True),
        reference.drop(columns=["fit_seconds", "predict_seconds"]),
    )
    assert set(res.loc[res["model"] == "bad", "series"]) == {"a"}
    failures = pd.DataFrame(res.attrs["failures"])
    assert list(failures.columns) == [
        "model", "series", "fold", "cutoff", "cutoff_pos", "error"
    ]  # fmt: skip
    assert (failures["model"] == "bad").all()
    assert (failures["series"] == "b").all()
    assert failures["fold"].tolist() == [0, 1, 2, 3, 4]
    assert failures["cutoff_pos"].tolist() == [49, 51, 53, 55, 57]
    assert (failures["error"] == "ValueError: cannot model b").all()
    messages = [
        str(w.message) for w in record if issubclass(w.category, BacktestFailureWarning)
    ]
    assert messages[0] == (
        f"Backtest: model 'bad' on series 'b', fold 0 (cutoff {y.index[49]}) failed "
        "and is left out of the results: ValueError: cannot model b"
    )
    assert len(messages) == 5
    first = next(w for w in record if issubclass(w.category, BacktestFailureWarning))
    assert first.message.failure == res.attrs["failures"][0]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_on_error_raise_names_model_series_and_fold(n_jobs):
    # refit=False: one fit per series, so the error met first is fold 0's even
    # when tasks run in parallel.
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Backtest failed: model 'bad' on series 'b', fold 0 (cutoff "
            f"{panel().index[49]}): ValueError: cannot model b"
        ),
    ):
        backtest({"bad": FailOn(series="b")}, panel(), n_jobs=n_jobs,
                 refit=False, on_error="raise", **KW)  # fmt: skip


def test_failure_after_some_folds_keeps_the_finished_folds():
    # refit=False: one fit, then update + forecast per fold; forecast raises
    # once 56 rows are seen (cutoff 55), so folds 0..2 (cutoffs 49, 51, 53) stay.
    y = panel()[["a"]]
    with pytest.warns(BacktestFailureWarning, match="FloatingPointError: overflow"):
        res = backtest(
            {"late": FailOn(from_row=56, where="forecast")}, y, refit=False,
            advance="update", **KW,
        )  # fmt: skip
    assert res["cutoff_pos"].tolist() == [49, 51, 53]
    failed = pd.DataFrame(res.attrs["failures"])
    assert failed["cutoff_pos"].tolist() == [55, 57]
    assert failed["fold"].tolist() == [3, 4]


def test_every_model_failing_returns_an_empty_frame_with_the_failures():
    with pytest.warns(BacktestFailureWarning):
        res = backtest({"bad": FailOn(series="a")}, panel()[["a"]], **KW)
    assert res.empty
    assert "cutoff_pos" in res.columns
    assert len(res.attrs["failures"]) == 5


class Overflowing(FailOn):
    """Its interval bounds overflow to +-inf from row 54 on, as naive's did."""

    def forecast(self, steps=None):
        out = super().forecast(steps)
        wide = np.inf if len(self.seen_) >= 54 else 1.0
        out[f"{self.col_}_q0.05"] = out[self.col_] - wide
        out[f"{self.col_}_q0.95"] = out[self.col_] + wide
        return out


class OverflowingPredict(FailOn):
    """Its batched predictions overflow from row 54 on."""

    def predict(self, X):
        out = super().predict(X)
        out.iloc[np.arange(len(X)) + len(self.seen_) >= 54] = np.inf
        return out


@pytest.mark.parametrize(
    ("model", "advance", "lost", "error"),
    [
        (Overflowing(), "update", [53, 55, 57],
         "ValueError: Model 'm': its q0.05 interval bound of 'a' at step 1 is "
         "-inf: the forecast overflowed, so it is refused."),
        (OverflowingPredict(), "predict", [51, 53, 55, 57],
         "ValueError: Model 'm': predict() gives inf for 'a_h1' at row 4: the "
         "forecast overflowed, so it is refused."),
    ],
    ids=["interval", "predict"],
)  # fmt: skip
def test_overflowing_forecasts_are_refused_not_scored(model, advance, lost, error):
    y = panel()[["a"]]
    with pytest.warns(BacktestFailureWarning, match="overflowed, so it is refused"):
        res = backtest({"m": model}, y, refit=False, advance=advance, **KW)
    scored = res.filter(regex=r"^(y_true|y_pred|q[\d.]+)$").to_numpy(dtype=float)
    assert not np.isinf(scored).any()
    failed = pd.DataFrame(res.attrs["failures"])
    assert failed["cutoff_pos"].tolist() == lost
    assert failed["error"].iloc[0] == error


def test_on_error_is_checked():
    with pytest.raises(ValueError, match=re.escape("on_error must be one of")):
        backtest([NaiveForecaster()], panel(), on_error="ignore", **KW)


def flat_then_moving(path):
    """A stock halted (flat) for most of its history: ARIMA's unit-root test fails."""
    values = np.full(80, 100.0)
    values[68:] = 100 + np.cumsum(np.random.default_rng(0).normal(size=12))
    frame = pd.DataFrame(
        {"Close": values}, index=pd.bdate_range("2024-01-01", periods=80)
    )
    frame.to_csv(path, index_label="Date")
    return path


def test_cli_backtest_with_a_failing_model_writes_what_finished(
    tmp_path, capsys, monkeypatch
):
    # ARIMA's order search cannot run on a halted stock's flat history: the
    # fault is injected so that the case does not hang on one library's guard.
    from tsattn.baselines import ARIMAForecaster

    def refuse(self, y):
        raise ValueError("the series is constant over the training rows")

    monkeypatch.setattr(ARIMAForecaster, "_fit_one", refuse)
    data = flat_then_moving(tmp_path / "halt.csv")
    results, report = tmp_path / "r.csv", tmp_path / "r.html"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rc = main([
            "backtest", str(data), "--models", "naive,drift,arima", "--folds", "3",
            "--results", str(results), "--report", str(report), "-q",
        ])  # fmt: skip
    captured = capsys.readouterr()
    assert rc == 1
    assert "naive" in captured.out
    assert "drift" in captured.out
    written = pd.read_csv(results)
    assert set(written["model"]) == {"naive", "drift"}
    assert len(written) == 30
    html = report.read_text()
    assert "Failed folds (3)" in html
    assert "arima on series Close, fold 0" in html
    last = captured.err.strip().splitlines()[-1]
    assert last == (
        "tsattn: error: 3 fold(s) failed (model(s) arima); the results and the "
        "report hold the 30 rows that finished."
    )
    assert "model 'arima' on series 'Close', fold 2" in captured.err


# ----------------------------------------------------------------- unwritable outputs
@pytest.fixture
def prices_csv(tmp_path):
    path = tmp_path / "prices.csv"
    make_stock_like("gbm", n_steps=120, random_state=0).to_csv(path, index_label="Date")
    return path


@pytest.mark.parametrize(
    ("argv", "what", "target"),
    [
        (["backtest", "{data}", "--report", "/proc/x.html"], "report", "/proc/x.html"),
        (
            ["backtest", "{data}", "--results", "{tmp}/no/r.csv"],
            "results",
            "{tmp}/no/r.csv",
        ),
        (
            ["fit", "{data}", "--out", "/proc/m.safetensors"],
            "model",
            "/proc/m.safetensors",
        ),
        (["fit", "{data}", "--out", "{tmp}"], "model", "{tmp}"),
    ],
)
def test_unwritable_output_fails_before_any_work(
    argv, what, target, prices_csv, tmp_path, capsys, monkeypatch
):
    import tsattn.cli.commands as commands

    def no_work(*args, **kwargs):
        raise AssertionError("work started before the output path was checked")

    monkeypatch.setattr(commands, "read_data", no_work)
    monkeypatch.setattr(commands, "backtest_all", no_work)
    fill = {"data": str(prices_csv), "tmp": str(tmp_path)}
    assert main([a.format(**fill) for a in argv] + ["-q"]) == 1
    err = one_line(capsys.readouterr().err)
    assert err.startswith(f"tsattn: error: cannot write the {what} to ")
    assert repr(target.format(**fill)) in err


def test_save_to_unwritable_path_names_it(model):
    with pytest.raises(PermissionError, match=re.escape("'/proc/m.safetensors'")):
        save(model, "/proc/m.safetensors")


# ------------------------------------------------------- huge and non-finite values
@pytest.mark.parametrize(
    ("value", "match"),
    [
        (1e300, "DATA column 'Close' holds 1e+300 at position 30, outside the float32"),
        (np.inf, "DATA column 'Close' holds inf at 2024-02-12 00:00:00 (data row 30)"),
        (-np.inf, "holds -inf at 2024-02-12 00:00:00 (data row 30)"),
    ],
)
def test_cli_refuses_huge_and_infinite_values(value, match, tmp_path, capsys):
    frame = pd.DataFrame(
        {"Close": 100.0 + np.arange(60.0)},
        index=pd.bdate_range("2024-01-01", periods=60),
    )
    frame.iloc[30, 0] = value
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index_label="Date")
    model = str(tmp_path / "m.safetensors")
    for argv in (["backtest", str(path), "--models", "naive"],
                 ["fit", str(path), "--out", model]):  # fmt: skip
        assert main([*argv, "-q"]) == 1
        err = cli_error(capsys.readouterr().err)
        assert match in err, err
    assert not (tmp_path / "m.safetensors").exists()


def test_backtest_refuses_values_outside_float32():
    y = pd.Series(100.0 + np.arange(40.0), name="price")
    y.iloc[7] = 1e39
    with pytest.raises(ValueError, match="'price' holds 1e\\+39 at position 7"):
        backtest([NaiveForecaster()], y, horizon=1, initial=30)


# ------------------------------------------------------------------------ CSV dialects
@pytest.fixture
def dialects(tmp_path):
    # The first date reads either way (01/02), so inference picks month first.
    index = pd.bdate_range("2024-02-01", periods=30)
    close = 100 + np.round(np.cumsum(np.random.default_rng(1).normal(size=30)), 2)
    plain = tmp_path / "plain.csv"
    pd.DataFrame({"Close": close}, index=index).to_csv(plain, index_label="Date")
    euro = tmp_path / "euro.csv"
    lines = ["Date;Close"] + [
        f"{d:%d/%m/%Y};{c:.2f}".replace(".", ",") for d, c in zip(index, close)
    ]
    euro.write_text("\n".join(lines) + "\n")
    return plain, euro


def test_semicolon_decimal_comma_day_first_csv_reads_like_the_plain_file(dialects):
    plain, euro = dialects
    expected = read_data(plain)
    got = read_data(euro, sep=";", decimal=",", date_format="%d/%m/%Y")
    pd.testing.assert_frame_equal(got, expected[["Close"]], check_freq=False)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ([], "seems separated by ';'; pass --sep ';'"),
        (["--sep", ";", "--date-format", "%d/%m/%Y"], "pass --decimal ','"),
        (["--sep", ";", "--decimal", ","],
         "cannot read '13/02/2024' in column 'Date' of euro.csv as a date with the "
         "inferred format (data row 8); pass --date-format"),
        (["--decimal", ","], "--decimal ',' is also the column separator"),
    ],
)  # fmt: skip
def test_dialect_errors_name_the_cli_options(dialects, options, match, capsys):
    _, euro = dialects
    assert main(["backtest", str(euro), "--models", "naive", *options, "-q"]) == 1
    err = cli_error(capsys.readouterr().err)
    assert match in err, err
    assert "dayfirst" not in err
    assert "format=" not in err


def test_cli_backtest_on_a_european_csv(dialects, capsys):
    plain, euro = dialects
    argv = ["backtest", "--models", "naive,drift", "--folds", "2", "-q"]
    assert main([argv[0], str(plain), *argv[1:]]) == 0
    expected = capsys.readouterr().out
    options = ["--sep", ";", "--decimal", ",", "--date-format", "%d/%m/%Y"]
    assert main([argv[0], str(euro), *argv[1:], *options]) == 0
    assert capsys.readouterr().out == expected


def test_ohlcv_date_hint_names_the_cli_option(dialects, tmp_path, capsys):
    plain, _ = dialects
    day_first = tmp_path / "day_first.csv"
    frame = pd.read_csv(plain)
    frame["Date"] = pd.to_datetime(frame["Date"]).dt.strftime("%d/%m/%Y")
    frame.to_csv(day_first, index=False)
    assert main(["backtest", str(day_first), "--models", "naive", "-q"]) == 1
    err = cli_error(capsys.readouterr().err)
    assert "Pass --date-format (e.g. '%d/%m/%Y')" in err
    assert "date_format=" not in err
    assert main(["backtest", str(day_first), "--models", "naive", "--folds", "2",
                 "--date-format", "%d/%m/%Y", "-q"]) == 0  # fmt: skip


def test_tsattn_warning_is_the_base_of_the_failure_warning():
    assert issubclass(BacktestFailureWarning, tsattn.TsattnWarning)
