import json
import re

import pytest

from tsattn.nn.config import NetConfig, TaskSpec


def _cfg(**kw):
    base = {"window_length": 16, "n_features": 2, "tasks": (TaskSpec("y"),)}
    base.update(kw)
    return NetConfig(**base)


def test_defaults_and_derived_sizes():
    c = _cfg()
    assert c.d_ff_resolved == 256
    assert c.stride == 1
    assert c.n_tokens == 16
    assert c.n_inputs == 2
    c = _cfg(patch_len=4, patch_stride=3, d_ff=32, n_calendar=3)
    assert (c.stride, c.n_tokens, c.d_ff_resolved, c.n_inputs) == (3, 5, 32, 5)


def test_round_trip_through_json():
    tasks = (
        TaskSpec("ret", horizon=5, n_targets=2, target_channels=(1, 0)),
        TaskSpec("q", loss="pinball", quantiles=(0.1, 0.5, 0.9), weight=0.5),
        TaskSpec("dir", loss="bce"),
        TaskSpec("hub", loss="huber", huber_delta=0.3),
    )
    c = _cfg(
        tasks=tasks,
        output_head="multi",
        patch_len=4,
        positional="learned",
        linear_skip=True,
    )
    d = json.loads(json.dumps(c.to_dict()))
    again = NetConfig.from_dict(d)
    assert again == c
    assert again.linear_skip is True
    # a config saved before linear_skip existed loads without it
    del d["linear_skip"]
    assert NetConfig.from_dict(d).linear_skip is False
    assert again.tasks[0].target_channels == (1, 0)
    assert again.tasks[1].quantiles == (0.1, 0.5, 0.9)


def test_lists_become_tuples_and_config_is_hashable():
    t = TaskSpec("q", loss="pinball", quantiles=[0.2, 0.8], target_channels=[0])
    assert t.quantiles == (0.2, 0.8)
    assert t.target_channels == (0,)
    c = _cfg(tasks=[t])
    assert isinstance(c.tasks, tuple)
    hash(c)


def test_outputs_per_target():
    assert TaskSpec("a", horizon=3, n_targets=2).n_outputs == 6
    assert TaskSpec("b", loss="pinball", quantiles=(0.1, 0.9), horizon=2).n_outputs == 4
    assert TaskSpec("c", loss="gaussian_nll", n_targets=3).n_outputs == 6


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"loss": "mes"}, ValueError, "Did you mean 'mse'?"),
        ({"loss": "pinball"}, ValueError, "gives no quantiles"),
        (
            {"loss": "pinball", "quantiles": (0.5, 0.1)},
            ValueError,
            "strictly increasing",
        ),
        (
            {"loss": "pinball", "quantiles": (0.0, 0.5)},
            ValueError,
            "strictly between 0 and 1",
        ),
        ({"quantiles": (0.5,)}, ValueError, "only used with loss='pinball'"),
        (
            {"horizon": 0},
            ValueError,
            "'horizon' parameter of TaskSpec must be an int >= 1",
        ),
        ({"n_targets": 1.5}, TypeError, "'n_targets' parameter"),
        ({"weight": -1.0}, ValueError, "must be >= 0"),
        ({"huber_delta": 0.0}, ValueError, "huber_delta"),
        ({"target_channels": (0, 1)}, ValueError, "give one channel per target column"),
        ({"target_channels": (0, 0), "n_targets": 2}, ValueError, "repeat a channel"),
        (
            {"loss": "bce", "target_channels": (0,)},
            ValueError,
            "target_channels cannot be used",
        ),
        ({"name": ""}, ValueError, "non-empty string"),
    ],
)
def test_task_spec_errors(kwargs, error, match):
    kw = {"name": "t", **kwargs}
    with pytest.raises(error, match=re.escape(match)):
        TaskSpec(**kw)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"d_model": 30, "n_heads": 4},
            ValueError,
            "d_model (= 30) must be divisible by n_heads (= 4); try d_model=32.",
        ),
        ({"patch_len": 17}, ValueError, "exceeds window_length"),
        ({"positional": "sinusoid"}, ValueError, "Did you mean 'sinusoidal'?"),
        ({"output_head": "multiple"}, ValueError, "Did you mean 'multi'?"),
        ({"dropout": 1.0}, ValueError, "dropout must be in [0, 1)"),
        (
            {"attention_dropout": -0.1},
            ValueError,
            "attention_dropout must be in [0, 1)",
        ),
        (
            {"n_layers": 0},
            ValueError,
            "'n_layers' parameter of NetConfig must be an int >= 1",
        ),
        ({"window_length": True}, TypeError, "'window_length' parameter"),
        ({"revin": 1}, TypeError, "'revin' parameter of NetConfig must be a bool"),
        (
            {"linear_skip": "yes"},
            TypeError,
            "'linear_skip' parameter of NetConfig must be a bool",
        ),
        ({"tasks": ()}, ValueError, "tasks is empty"),
        ({"tasks": ("y",)}, TypeError, "must contain TaskSpec objects"),
        ({"tasks": (TaskSpec("y"), TaskSpec("y"))}, ValueError, "repeated: ['y']"),
        ({"tasks": (TaskSpec("y", weight=0),)}, ValueError, "Every task has weight 0"),
        (
            {"tasks": (TaskSpec("y", target_channels=(2,)),)},
            ValueError,
            "out of range for n_features=2",
        ),
    ],
)
def test_net_config_errors(kwargs, error, match):
    with pytest.raises(error, match=re.escape(match)):
        _cfg(**kwargs)


def test_from_dict_rejects_unknown_keys_with_suggestion():
    d = _cfg().to_dict()
    d["n_head"] = 2
    with pytest.raises(ValueError, match=re.escape("Did you mean 'n_heads'?")):
        NetConfig.from_dict(d)
    with pytest.raises(ValueError, match="Unknown TaskSpec field"):
        TaskSpec.from_dict({"name": "y", "los": "mse"})
    with pytest.raises(TypeError, match="expects a dict"):
        NetConfig.from_dict([1, 2])
