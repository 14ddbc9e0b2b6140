"""Training curves: loss and metrics per epoch, several runs compared, learning-rate schedules. Secondary code.

Epoch axes carry whole epochs only (1, 2, 3, ...): a fractional tick such as 0.96 would name an epoch that never ran.
Runs shorter than four epochs (the smoke profile) are drawn with markers, so a one-epoch run still shows as a point.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator


def _whole_epochs(axis, label="epoch"):
    """Ticks on whole epochs only. MaxNLocator(integer=True) alone falls back to fractional ticks when the axis
    spans less than one epoch (a one-epoch smoke run), so short axes get one tick per epoch explicitly."""
    axis.set_xlabel(label)
    first, last = (int(round(end)) for end in sorted(axis.dataLim.intervalx))
    if last - first <= 10:
        axis.set_xticks(range(first, last + 1))
    else:
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))


def _values(history):
    return history.history if hasattr(history, "history") else history


def plot_history(histories, metrics=("loss", "accuracy"), title=None):
    """Training curves. ``histories`` is a Keras History, a dict, or {run name: History or dict}."""
    if hasattr(histories, "history") or (isinstance(histories, dict) and any(k in histories for k in metrics)):
        histories = {"": histories}
    figure, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 3.6), squeeze=False)
    for axis, metric in zip(axes[0], metrics):
        for name, history in histories.items():
            values = _values(history)
            if metric in values:
                epochs = np.arange(1, len(values[metric]) + 1)
                marker = "o" if len(epochs) < 4 else None  # a one-epoch (smoke) run is a point, not a line
                line, = axis.plot(epochs, values[metric], marker=marker, label=f"{name} train".strip())
                if f"val_{metric}" in values:
                    axis.plot(epochs, values[f"val_{metric}"], "--", marker=marker, color=line.get_color(),
                              label=f"{name} validation".strip())
        _whole_epochs(axis)
        axis.set_ylabel(metric)
        axis.legend(fontsize=8)
        axis.grid(alpha=0.3)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    plt.show()


def plot_validation_curves(histories, metric: str = "val_accuracy", title=None):
    """One line per run: ``histories`` is {run name: Keras History or its ``.history`` dict}."""
    figure, axis = plt.subplots(figsize=(7.5, 4))
    for name, history in histories.items():
        values = _values(history)
        if metric in values:
            axis.plot(np.arange(1, len(values[metric]) + 1), values[metric], "o-", markersize=3, label=name)
    _whole_epochs(axis)
    axis.set_ylabel(metric.replace("_", " "))
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    axis.set_title(title or f"{metric.replace('_', ' ')} per epoch")
    figure.tight_layout()
    plt.show()


def plot_learning_rates(rates, title="Learning rate by epoch"):
    """``rates`` is {schedule name: sequence of rates, one per epoch}; log scale, since steps divide by 10."""
    figure, axis = plt.subplots(figsize=(7.5, 3.6))
    for name, values in rates.items():
        axis.step(np.arange(len(values)), values, where="post", label=name)
    axis.set_yscale("log")
    _whole_epochs(axis, "epoch (counted from 0, as Keras passes it)")
    axis.set_ylabel("learning rate")
    axis.grid(alpha=0.3, which="both")
    axis.legend(fontsize=8)
    axis.set_title(title)
    figure.tight_layout()
    plt.show()


