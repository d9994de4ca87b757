import numpy as np
import pandas as pd
import pytest

from tsattn.cli.leaderboard import _leaderboard, _print_board, verdict_line
from tsattn.report._frame import prepare_results
from tsattn.report._stats import leaderboard
from tsattn.report._text import headline
from tsattn.stats import verdict


def board(mae, pvalues, names=("drift", "mha", "naive")):
    return pd.DataFrame({"mae": mae, "dm_pvalue": pvalues}, index=list(names))


def test_verdict_is_holm_corrected():
    # 0.03 alone is significant; with 2 tests Holm makes it 0.06
    text = verdict_line(board([0.98, 0.99, 1.0], [0.2, 0.03, np.nan]))
    assert text.startswith("No model reliably beats naive: the best, drift")
    assert "Holm-corrected p = 0.2" in text
    text = verdict_line(board([0.98, 0.99, 1.0], [0.2, 0.01, np.nan]))
    assert text.startswith("mha beats naive: MAE 1.0% lower")
    assert "2 models were tested against naive, Holm-corrected p = 0.02" in text


def test_verdict_other_outcomes():
    alone = verdict_line(board([0.9, 1.0], [0.01, np.nan], names=("mha", "naive")))
    assert alone.startswith("mha beats naive: MAE 10.0% lower")
    assert "Holm" not in alone  # one test: nothing to correct
    lose = verdict_line(board([1.0, 1.1], [np.nan, 0.01], names=("naive", "mha")))
    assert lose == "The random walk (naive) wins: no model has a lower MAE."
    none = verdict_line(board([0.9, 1.0], [np.nan, np.nan], names=("mha", "arima")))
    assert none == "Most accurate by MAE: mha (no naive baseline to compare)."
    untested = verdict_line(board([0.9, 1.0], [np.nan, np.nan], names=("mha", "naive")))
    assert "could not be tested" in untested


def test_cli_and_report_reach_the_same_verdict():
    # one backtest frame, read by both: the same kind and the same model
    rng = np.random.default_rng(0)
    idx = pd.bdate_range("2024-01-01", periods=80)
    y = 100 + np.cumsum(rng.normal(size=80))
    rows = []
    for fold, c in enumerate(range(20, 75, 3)):
        for step in (1, 2, 3):
            truth = y[c + step]
            for model, pred in (
                ("naive", y[c]),
                ("good", truth + 0.3 * rng.normal()),
                ("noisy", y[c] + rng.normal()),
            ):
                rows.append(
                    dict(model=model, series="s", fold=fold, cutoff=idx[c],
                         cutoff_pos=c, step=step, timestamp=idx[c + step],
                         y_true=truth, y_pred=pred)
                )  # fmt: skip
    results = pd.DataFrame(rows)
    cli_board = _leaderboard(results)
    cli = verdict(cli_board, "naive", score="mae")
    rep_board = leaderboard(prepare_results(results, "naive"), "absolute")
    rep = headline(rep_board, "naive", "naive")
    assert (cli.kind, cli.model) == ("wins", "good")
    assert rep.kind == cli.kind
    assert "good beats the naive baseline" in rep.lead
    assert verdict_line(cli_board).startswith("good beats naive")
    # both tested with the lag from the spacing: step 3, horizon 3 -> h = 1
    assert (cli_board["dm_h"].drop("naive") == 1).all()


def test_print_board_shows_raw_and_holm_pvalues(capsys):
    b = board([0.98, 0.99, 1.0], [0.2, 0.01, np.nan]).assign(
        dm_stat=[-1.0, -2.0, np.nan], dm_pvalue_holm=[0.2, 0.02, np.nan], dm_h=1, n=9
    )
    _print_board(b)
    out = capsys.readouterr().out
    header = out.splitlines()[0]
    assert "dm_p_vs_naive" in header
    assert "dm_p_holm" in header
    assert "dm_h" not in header
    assert out.strip().splitlines()[-1] == verdict_line(b)


@pytest.mark.parametrize("bad", [{"mae": [1.0]}, {"dm_pvalue": [0.1]}])
def test_verdict_needs_its_columns(bad):
    with pytest.raises(ValueError, match="board is missing column"):
        verdict_line(pd.DataFrame(bad, index=["naive"]))


def test_naive_scale_uses_only_data_up_to_each_cutoff():
    from tsattn.cli.leaderboard import add_naive_scale
    from tsattn.metrics import SCALE_COLUMN, naive_scale

    idx = pd.RangeIndex(10)
    data = pd.DataFrame({"s": [0.0, 1.0, 3.0, np.nan, 4.0, 10.0, 30.0, 31, 32, 33]})
    results = pd.DataFrame({"series": "s", "cutoff": [2, 3, 5], "model": "naive"})
    out = add_naive_scale(results, data.set_index(idx))
    # cutoff 2: steps 1, 2; cutoff 5 (NaN row dropped): steps 1, 2, 1, 6
    assert out[SCALE_COLUMN].iloc[0] == pytest.approx(naive_scale([0.0, 1.0, 3.0]))
    assert out[SCALE_COLUMN].iloc[2] == pytest.approx(
        naive_scale([0.0, 1.0, 3.0, 4.0, 10.0])
    )
    # the NaN cutoff has no scale (it used to get the whole series', future included)
    assert np.isnan(out[SCALE_COLUMN].iloc[1])


# -- the multi-task comparison --------------------------------------------------------


@pytest.fixture(scope="module")
def task_results():
    from task_results import make_task_results

    return make_task_results(n_origins=40, series=("A",))


def test_task_verdicts_are_the_report_headlines(task_results):
    from tsattn.cli.leaderboard import task_verdicts
    from tsattn.report._task_text import task_headline
    from tsattn.stats import task_leaderboard

    lines = task_verdicts(task_results)
    board = task_leaderboard(task_results)
    assert lines == [
        f"Returns: {task_headline(board, 'return').lead}",
        f"Direction (up / down): {task_headline(board, 'direction').lead}",
        f"Variance: {task_headline(board, 'variance').lead}",
    ]
    no_garch = task_verdicts(task_results[task_results.model != "garch"])
    assert no_garch[2].startswith("Variance: No test is possible")


def test_task_boards_and_printout(task_results, capsys):
    from tsattn.cli.leaderboard import print_task_boards, task_boards
    from tsattn.stats import task_leaderboard

    boards = task_boards(task_results)
    assert list(boards) == ["return", "direction", "variance"]
    ref = task_leaderboard(task_results).set_index(["task", "model"])
    var = boards["variance"]
    assert var.attrs == {"score": "qlike", "reference": "garch"}
    assert var.loc["mha", "seeds"] == 3
    assert var.loc["mha", "score"] == ref.loc[("variance", "mha"), "score_mean"]
    assert var.loc["mha", "sd"] == ref.loc[("variance", "mha"), "score_sd"]
    assert var.loc["sa", "better"] == ref.loc[("variance", "sa"), "n_better"]
    print_task_boards(task_results)
    out = capsys.readouterr().out
    assert "variance: qlike (lower is better), reference garch" in out
    assert out.strip().splitlines()[-1].startswith("Variance: ")


def test_write_outputs_gives_a_task_frame_the_multi_task_outputs(
    task_results, tmp_path, capsys
):
    from tsattn.cli.console import Progress
    from tsattn.cli.leaderboard import task_verdicts, write_outputs

    report = tmp_path / "tasks.html"
    write_outputs(
        task_results,
        report=report,
        results_path=None,
        title="tasks",
        attention=None,
        notes=None,
        progress=Progress(1, quiet=True),
    )
    out = capsys.readouterr().out
    assert "variance: qlike (lower is better), reference garch" in out
    for line in task_verdicts(task_results):
        assert line in out
    html = report.read_text(encoding="utf-8")
    assert 'id="task-variance"' in html
    assert 'id="leaderboard-table"' not in html
