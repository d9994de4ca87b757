import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

from tsattn.splitters import BacktestSplitter, Fold


def geometry(cv, n):
    return [(f.train_start, f.train_end, f.cutoff, f.test_end) for f in cv.folds(n)]


@pytest.mark.parametrize(
    ("kwargs", "n", "expected"),
    [
        # expanding, step defaults to horizon: cutoffs 3, 5, 7
        (
            {"horizon": 2, "initial": 4},
            10,
            [(0, 3, 3, 5), (0, 5, 5, 7), (0, 7, 7, 9)],
        ),
        # the last incomplete horizon is not produced (n=11 -> still 3 folds)
        (
            {"horizon": 2, "initial": 4},
            11,
            [(0, 3, 3, 5), (0, 5, 5, 7), (0, 7, 7, 9)],
        ),
        # sliding, step 1: windows of 4 rows
        (
            {"horizon": 2, "initial": 4, "step": 1, "window": "sliding"},
            8,
            [(0, 3, 3, 5), (1, 4, 4, 6), (2, 5, 5, 7)],
        ),
        # gap 2: train ends two rows before each cutoff
        (
            {"horizon": 2, "initial": 4, "gap": 2},
            12,
            [(0, 3, 5, 7), (0, 5, 7, 9), (0, 7, 9, 11)],
        ),
        # n_folds counts back from the end: last horizon ends at row 9
        (
            {"horizon": 2, "n_folds": 3, "step": 1},
            10,
            [(0, 5, 5, 7), (0, 6, 6, 8), (0, 7, 7, 9)],
        ),
        # n_folds + sliding + gap: window = first training size (6 rows)
        (
            {"horizon": 3, "n_folds": 2, "step": 2, "gap": 1, "window": "sliding"},
            12,
            [(0, 5, 6, 9), (2, 7, 8, 11)],
        ),
        # window_size caps the training rows, early windows are shorter
        (
            {
                "horizon": 1,
                "initial": 2,
                "step": 1,
                "window": "sliding",
                "window_size": 3,
            },
            6,
            [(0, 1, 1, 2), (0, 2, 2, 3), (1, 3, 3, 4), (2, 4, 4, 5)],
        ),
        # initial + n_folds: the first n_folds folds from initial
        (
            {"horizon": 2, "initial": 4, "n_folds": 2},
            20,
            [(0, 3, 3, 5), (0, 5, 5, 7)],
        ),
    ],
)
def test_fold_geometry_hand_computed(kwargs, n, expected):
    cv = BacktestSplitter(**kwargs)
    assert geometry(cv, n) == expected
    assert cv.get_n_splits(np.zeros(n)) == len(expected)
    folds = cv.folds(n)
    assert [f.fold for f in folds] == list(range(len(expected)))
    assert all(f.train_size == f.train_end - f.train_start + 1 for f in folds)


def test_split_yields_train_and_test_positions():
    cv = BacktestSplitter(horizon=2, initial=4, gap=1)
    splits = list(cv.split(np.zeros((10, 3))))
    assert len(splits) == 2
    np.testing.assert_array_equal(splits[0][0], [0, 1, 2, 3])
    np.testing.assert_array_equal(splits[0][1], [5, 6])
    np.testing.assert_array_equal(splits[1][0], [0, 1, 2, 3, 4, 5])
    np.testing.assert_array_equal(splits[1][1], [7, 8])


@settings(max_examples=60, deadline=None)
@given(
    n_splits=st.integers(2, 6),
    test_size=st.integers(1, 5),
    gap=st.integers(0, 4),
    max_train=st.one_of(st.none(), st.integers(1, 12)),
    extra=st.integers(1, 30),
)
def test_matches_sklearn_time_series_split(n_splits, test_size, gap, max_train, extra):
    n = n_splits * test_size + gap + extra
    ref = TimeSeriesSplit(
        n_splits=n_splits, test_size=test_size, gap=gap, max_train_size=max_train
    )
    cv = BacktestSplitter(
        horizon=test_size,
        n_folds=n_splits,
        gap=gap,
        window="expanding" if max_train is None else "sliding",
        window_size=max_train,
    )
    X = np.zeros(n)
    ours = list(cv.split(X))
    theirs = list(ref.split(X))
    assert len(ours) == len(theirs)
    for (tr, te), (rtr, rte) in zip(ours, theirs):
        np.testing.assert_array_equal(tr, rtr)
        np.testing.assert_array_equal(te, rte)


def test_grid_search_accepts_the_splitter():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(scale=0.1, size=60)
    cv = BacktestSplitter(horizon=5, n_folds=4, window="sliding", gap=2)
    search = GridSearchCV(Ridge(), {"alpha": [0.1, 10.0]}, cv=cv).fit(X, y)
    assert search.n_splits_ == 4
    assert search.best_params_ == {"alpha": 0.1}


def test_get_n_splits_without_data():
    assert BacktestSplitter(horizon=3, n_folds=7).get_n_splits() == 7
    with pytest.raises(ValueError, match="get_n_splits needs X"):
        BacktestSplitter(horizon=3, initial=10).get_n_splits()


def test_step_defaults_to_horizon_and_repr():
    cv = BacktestSplitter(horizon=4, initial=3)
    assert cv.step_ == 4
    assert "BacktestSplitter(horizon=4, initial=3" in repr(cv)
    assert isinstance(cv.folds(20)[0], Fold)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"horizon": 0, "initial": 5},
            ValueError,
            "horizon must be >= 1; got horizon=0",
        ),
        ({"horizon": 1.5, "initial": 5}, TypeError, "horizon must be an int"),
        ({"horizon": 2, "initial": 5, "gap": -1}, ValueError, "gap must be >= 0"),
        ({"horizon": 2, "initial": 0}, ValueError, "initial must be >= 1"),
        ({"horizon": 2, "initial": 5, "step": 0}, ValueError, "step must be >= 1"),
        ({"horizon": 2}, ValueError, "Pass initial="),
        (
            {"horizon": 2, "initial": 5, "window": "rolling"},
            ValueError,
            "window must be one of ('expanding', 'sliding'); got window='rolling'",
        ),
        (
            {"horizon": 2, "initial": 5, "window_size": 3},
            ValueError,
            "window_size (= 3) is only used with window='sliding'",
        ),
    ],
)
def test_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=re.escape(match)):
        BacktestSplitter(**kwargs)


def test_too_little_data_names_the_numbers():
    cv = BacktestSplitter(horizon=5, initial=40, gap=3)
    msg = (
        "initial (= 40) + gap (= 3) + horizon (= 5) = 48 exceeds the number of "
        "rows (= 47)"
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        cv.folds(47)
    assert len(cv.folds(48)) == 1


def test_too_many_folds():
    with pytest.raises(ValueError, match=re.escape("need at least 12 rows")):
        BacktestSplitter(horizon=2, n_folds=5, step=2, gap=1).folds(11)
    assert len(BacktestSplitter(horizon=2, n_folds=5, step=2, gap=1).folds(12)) == 5
    with pytest.raises(ValueError, match=re.escape("20 rows hold 8 fold(s)")):
        BacktestSplitter(horizon=2, initial=4, n_folds=9, step=2).folds(20)
