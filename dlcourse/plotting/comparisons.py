"""Comparisons: a confusion matrix, and accuracy per class for several models. Secondary code."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def confusion_matrix(y_true, y_pred, num_classes: int) -> np.ndarray:
    """Counts: row = true class, column = predicted class."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (np.ravel(y_true).astype(int), np.ravel(y_pred).astype(int)), 1)
    return matrix


def plot_confusion_matrix(y_true, y_pred, class_names, title="Confusion matrix"):
    matrix = confusion_matrix(y_true, y_pred, len(class_names))
    figure, axis = plt.subplots(figsize=(0.6 * len(class_names) + 3, 0.6 * len(class_names) + 2.5))
    image = axis.imshow(matrix, cmap="Blues")
    axis.set_xticks(range(len(class_names)), class_names, rotation=45, ha="right")
    axis.set_yticks(range(len(class_names)), class_names)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    for (row, col), count in np.ndenumerate(matrix):
        axis.text(col, row, count, ha="center", va="center", fontsize=7,
                  color="white" if count > matrix.max() / 2 else "black")
    figure.colorbar(image, ax=axis, fraction=0.046)
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
