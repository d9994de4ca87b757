import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tsattn.datasets import make_stock_like

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run_example(name, *args, cwd):
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout


def test_every_example_is_tested():
    tested = {
        "forecast_script.py",
        "sklearn_pipeline_grid_search.py",
        "backtest_report_from_csv.py",
        "head_comparison.py",
    }
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested


def test_forecast_script(tmp_path):
    out = run_example("forecast_script.py", cwd=tmp_path)
    assert re.search(r"trained \d+ epochs", out)
    rows = re.findall(r"^\d{4}-\d\d-\d\d\s+[\d.]+\s+[\d.]+\s+[\d.]+", out, re.M)
    assert len(rows) == 10 + 5  # the forecast table and the 5 days after update
    inside = re.search(r"inside the 90% interval: (\d+) of 10", out)
    assert inside is not None
    assert 0 <= int(inside.group(1)) <= 10


def test_sklearn_pipeline_grid_search(tmp_path):
    out = run_example("sklearn_pipeline_grid_search.py", cwd=tmp_path)
    # four combinations of n_heads and output_head were scored
    combos = re.findall(r"^\s+([14])\s+(single|multi)\s", out, re.M)
    assert sorted(combos) == [
        ("1", "multi"),
        ("1", "single"),
        ("4", "multi"),
        ("4", "single"),
    ]
    assert re.search(r"best: \{'model__n_heads': [14], 'model__output_head'", out)
    assert "hold-out return MSE" in out


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        self.ids.update(v for k, v in attrs if k == "id")


def test_backtest_report_simulates_a_csv(tmp_path):
    out = run_example("backtest_report_from_csv.py", "--out", "r.html", cwd=tmp_path)
    assert (tmp_path / "simulated_prices.csv").is_file()
    assert "report written to r.html" in out
    page = _Ids()
    page.feed((tmp_path / "r.html").read_text())
    assert {"leaderboard", "attention", "comparisons"} <= page.ids


def test_backtest_report_on_a_broker_csv(tmp_path):
    # A site export: newest day first, "Close/Last" header, dollar signs.
    bars = make_stock_like("gbm", n_steps=400, random_state=5).iloc[::-1]
    lines = ["Date,Close/Last,Volume,Open,High,Low"]
    for day, row in bars.iterrows():
        lines.append(
            f"{day:%m/%d/%Y},${row.Close:.2f},{row.Volume},${row.Open:.2f},"
            f"${row.High:.2f},${row.Low:.2f}"
        )
    csv = tmp_path / "HistoricalData.csv"
    csv.write_text("\n".join(lines) + "\n")
    out = run_example(
        "backtest_report_from_csv.py", csv, "--out", "b.html", cwd=tmp_path
    )
    first, last = bars.index[-1].date(), bars.index[0].date()
    assert f"400 days from {first} to {last}" in out
    for name in ("naive", "drift", "ets", "theta", "mha", "sa"):
        assert re.search(rf"^\s*{name}\s+100\s", out, re.M)
    assert (tmp_path / "b.html").is_file()


@pytest.fixture(scope="module")
def head_comparison(tmp_path_factory):
    return run_example("head_comparison.py", cwd=tmp_path_factory.mktemp("heads"))


@pytest.mark.parametrize(
    "pair", ["sa vs mha", "sa_multi vs mha_multi", "mha vs mha_multi", "sa vs sa_multi"]
)
def test_head_comparison(head_comparison, pair):
    line = next(
        ln for ln in head_comparison.splitlines() if ln.strip().startswith(pair + " ")
    )
    assert re.search(
        r"is better by [\d.]+%, (not )?significant \(DM p = [\d.]+\)"
        r"|identical forecasts \(MAE [\d.e-]+\)",
        line,
    )


def test_head_comparison_counts_parameters(head_comparison):
    found = re.search(r"Parameters: sa ([\d,]+), mha ([\d,]+)", head_comparison)
    assert found is not None
    assert found.group(1) == found.group(2)  # heads split d_model
