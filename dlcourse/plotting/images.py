"""Images in grids: samples, channels, and predictions titled right or wrong. Secondary code."""

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
