"""Plots for comparing training runs (lesson 05). Secondary code: it draws results, it teaches nothing by itself.

Unlike `plotting.plot_history`, every curve is drawn with markers, so a run of a
single epoch (the smoke profile) still shows as a point.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator


def plot_validation_curves(histories, metric: str = "val_accuracy", title=None):
    """One line per run: ``histories`` is {run name: Keras History or its ``.history`` dict}."""
    figure, axis = plt.subplots(figsize=(7.5, 4))
    for name, history in histories.items():
        values = history.history if hasattr(history, "history") else history
        if metric in values:
            axis.plot(np.arange(1, len(values[metric]) + 1), values[metric], "o-", markersize=3, label=name)
    axis.set_xlabel("epoch")
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
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
    axis.set_xlabel("epoch (counted from 0, as Keras passes it)")
    axis.set_ylabel("learning rate")
    axis.grid(alpha=0.3, which="both")
    axis.legend(fontsize=8)
    axis.set_title(title)
    figure.tight_layout()
    plt.show()


def plot_per_class(accuracies, class_names, title="Accuracy per class"):
    """Grouped bars: ``accuracies`` is {model name: array of one accuracy per class}."""
    names = list(accuracies)
    positions = np.arange(len(class_names))
    width = 0.8 / max(1, len(names))
    figure, axis = plt.subplots(figsize=(9, 3.8))
    for offset, name in enumerate(names):
        axis.bar(positions + (offset - (len(names) - 1) / 2) * width, np.asarray(accuracies[name], dtype=float),
                 width, label=name)
    axis.set_xticks(positions, class_names, rotation=30, ha="right")
    axis.set_ylim(0, 1)
    axis.set_ylabel("fraction correct")
    axis.axhline(1 / len(class_names), color="gray", linestyle=":", linewidth=1, label="chance")
    axis.grid(alpha=0.3, axis="y")
    axis.legend(fontsize=8)
    axis.set_title(title)
    figure.tight_layout()
    plt.show()
