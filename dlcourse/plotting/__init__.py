"""Plots the lessons share, by kind: images, training curves, small arrays, comparisons.

Secondary code: each function draws results a lesson has already computed and teaches nothing by itself.
Each shows its figure and returns nothing, so a call on a cell's last line shows it once.
Lessons import the package (``from dlcourse import plotting``) and call ``plotting.<function>``.
"""

from .arrays import show_arrays, show_maps
from .comparisons import confusion_matrix, plot_confusion_matrix, plot_per_class
from .images import plot_predictions, show_channels, show_images
from .training import plot_history, plot_learning_rates, plot_validation_curves

__all__ = [
    "confusion_matrix", "plot_confusion_matrix", "plot_history", "plot_learning_rates", "plot_per_class",
    "plot_predictions", "plot_validation_curves", "show_arrays", "show_channels", "show_images", "show_maps",
]
