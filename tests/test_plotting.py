"""The shared plots: epoch axes show whole epochs, and `attempt` lets a demonstration go on."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from dlcourse import attempt, plotting


@pytest.fixture
def figures(monkeypatch):
    """Keep every figure a plot draws (plt.show would close nothing under Agg, but the test reads them)."""
    monkeypatch.setattr(plt, "show", lambda: None)
    plt.close("all")
    yield lambda: [plt.figure(number) for number in plt.get_fignums()]
    plt.close("all")


def _epoch_ticks(axis):
    low, high = axis.get_xlim()
    return [tick for tick in axis.get_xticks() if low <= tick <= high]


@pytest.mark.parametrize("epochs", [1, 3, 7])
def test_training_curves_tick_whole_epochs(figures, epochs):
    history = {"loss": list(np.linspace(1, 0.5, epochs)), "accuracy": list(np.linspace(0.5, 0.9, epochs)),
               "val_loss": list(np.linspace(1.1, 0.6, epochs)), "val_accuracy": list(np.linspace(0.4, 0.8, epochs))}
    plotting.plot_history(history)
    plotting.plot_validation_curves({"run": history})
    plotting.plot_learning_rates({"constant": [1e-3] * epochs})
    axes = [axis for figure in figures() for axis in figure.axes]
    assert len(axes) == 4
    for axis in axes:
        ticks = _epoch_ticks(axis)
        assert ticks, "an epoch axis without ticks"
        assert all(float(tick).is_integer() for tick in ticks), f"fractional epoch ticks {ticks}"


def test_attempt_returns_the_result_or_says_the_exercise_is_unfinished(capsys):
    def finished(x):
        return x + 1

    def unfinished(x):
        raise NotImplementedError

    assert attempt(finished, 1) == 2
    assert capsys.readouterr().out == ""
    assert attempt(unfinished, 1) is None
    message = capsys.readouterr().out
    assert "unfinished is not working yet (NotImplementedError)" in message and "Finish its exercise" in message
