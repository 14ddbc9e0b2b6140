"""Plots the lessons share. Secondary code: it draws results, it teaches nothing by itself.

Each function shows its figure and returns nothing, so a call on a cell's last line shows it once.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np


def show_images(images, labels=None, class_names=None, ncols: int = 6, cmap=None, size: float = 1.6, title=None):
    """A grid of images with optional labels (ints, or class names through ``class_names``)."""
    images = np.asarray(images)
    count = len(images)
    nrows = math.ceil(count / ncols)
    figure, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size), squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= count:
            continue
        image = images[index]
        if image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        axis.imshow(image, cmap=cmap or ("gray" if image.ndim == 2 else None))
        if labels is not None:
            label = np.ravel(labels[index])[0] if np.ndim(labels[index]) else labels[index]
            axis.set_title(class_names[int(label)] if class_names else str(label), fontsize=8)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    plt.show()


def show_channels(image, names=("red", "green", "blue")):
    """An RGB image beside its three channels, each drawn in gray."""
    figure, axes = plt.subplots(1, 4, figsize=(13, 3.4))
    axes[0].imshow(image)
    axes[0].set_title("RGB")
    for axis, channel, name in zip(axes[1:], range(3), names):
        axis.imshow(image[..., channel], cmap="gray", vmin=0, vmax=255)
        axis.set_title(f"{name} channel")
    for axis in axes:
        axis.axis("off")
    figure.tight_layout()
    plt.show()


def plot_history(histories, metrics=("loss", "accuracy"), title=None):
    """Training curves. ``histories`` is a Keras History, a dict, or {run name: History or dict}."""
    if hasattr(histories, "history") or (isinstance(histories, dict) and any(k in histories for k in metrics)):
        histories = {"": histories}
    figure, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 3.6), squeeze=False)
    for axis, metric in zip(axes[0], metrics):
        for name, history in histories.items():
            values = history.history if hasattr(history, "history") else history
            if metric in values:
                epochs = np.arange(1, len(values[metric]) + 1)
                marker = "o" if len(epochs) < 4 else None  # a one-epoch (smoke) run is a point, not a line
                line, = axis.plot(epochs, values[metric], marker=marker, label=f"{name} train".strip())
                if f"val_{metric}" in values:
                    axis.plot(epochs, values[f"val_{metric}"], "--", marker=marker, color=line.get_color(),
                              label=f"{name} validation".strip())
        axis.set_xlabel("epoch")
        axis.set_ylabel(metric)
        axis.legend(fontsize=8)
        axis.grid(alpha=0.3)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    plt.show()


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


def plot_predictions(images, y_true, y_pred, class_names, ncols: int = 6, size: float = 1.8):
    """A grid titled "predicted (true)": blue when right, red when wrong."""
    y_true, y_pred = np.ravel(y_true).astype(int), np.ravel(y_pred).astype(int)
    nrows = math.ceil(len(images) / ncols)
    figure, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size), squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= len(images):
            continue
        image = np.asarray(images[index])
        axis.imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray" if image.shape[-1] == 1 else None)
        correct = y_true[index] == y_pred[index]
        axis.set_title(f"{class_names[y_pred[index]]} ({class_names[y_true[index]]})", fontsize=8,
                       color="blue" if correct else "red")
    figure.tight_layout()
    plt.show()
