"""The course's data layer: every loader resolves staged copy -> Keras -> (smoke) stand-in."""

from .cifar10 import CLASS_NAMES as CIFAR10_CLASSES
from .cifar10 import load_cifar10
from .mnist import load_mnist
from .paths import cache_dir, data_dir, set_data_dir
from .small import load_iris, load_photo
from .weights import imagenet_weights

__all__ = ["CIFAR10_CLASSES", "cache_dir", "data_dir", "imagenet_weights", "load_cifar10", "load_iris",
           "load_mnist", "load_photo", "set_data_dir"]
