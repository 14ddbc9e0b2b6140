"""Small arrays drawn as annotated grids, and larger maps side by side.

Secondary code: it draws arrays that a lesson has already computed; it computes nothing itself.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def _format(value: float, decimals: int) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.{decimals}f}"


def show_arrays(arrays, titles=None, annotate: bool = True, cmap: str = "viridis", size: float = 2.4,
                decimals: int = 2, suptitle=None):
    """Draw 2-D arrays side by side as heat maps, each cell labelled with its value.

    ``arrays`` is a list of 2-D arrays (a 3-D array with one channel is squeezed); ``titles`` one string each.
    Cells are labelled only when an array has at most 16 x 16 cells, so larger maps stay readable.
    """
    arrays = [np.squeeze(np.asarray(a, dtype=float)) for a in arrays]
    titles = list(titles) if titles is not None else [""] * len(arrays)
    widths = [max(a.shape[1], 2) if a.ndim == 2 else 2 for a in arrays]
    figure, axes = plt.subplots(1, len(arrays), figsize=(size * len(arrays) + 0.4, size + 0.5), squeeze=False,
                                gridspec_kw={"width_ratios": widths})
    for axis, array, title in zip(axes[0], arrays, titles):
        if array.ndim == 1:
            array = array[None, :]
        axis.imshow(array, cmap=cmap)
        axis.set_title(title, fontsize=9)
        axis.set_xticks([])
        axis.set_yticks([])
        if annotate and array.size <= 256:
            middle = (array.max() + array.min()) / 2
            for (row, column), value in np.ndenumerate(array):
                axis.text(column, row, _format(value, decimals), ha="center", va="center", fontsize=8,
                          color="black" if value > middle else "white")
    if suptitle:
        figure.suptitle(suptitle)
    figure.tight_layout()
    plt.show()


def show_maps(images, titles, cmap: str = "gray", size: float = 3.0, suptitle=None):
    """Larger maps (photos, feature maps) side by side, each with its own colour scale and shape in the title."""
    figure, axes = plt.subplots(1, len(images), figsize=(size * len(images), size + 0.4), squeeze=False)
    for axis, image, title in zip(axes[0], images, titles):
        image = np.asarray(image)
        if image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        axis.imshow(image, cmap=cmap if image.ndim == 2 else None)
        axis.set_title(f"{title}\n{image.shape[0]}x{image.shape[1]}", fontsize=9)
        axis.axis("off")
    if suptitle:
        figure.suptitle(suptitle)
    figure.tight_layout()
    plt.show()
