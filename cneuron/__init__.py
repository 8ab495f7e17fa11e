"""cneuron: the artificial neuron as compiled Cython kernels.

A neuron weighs its inputs, adds a bias and passes the sum through an
activation function: z = x.w + b, y = f(z). cneuron computes this with typed
kernels over numpy buffers, without the GIL, bitwise reproducibly whatever
the batch, its layout or the thread count.

>>> import cneuron as cn
>>> loan = cn.Neuron([0.5, 0.3, 0.7], bias=0.1, activation="sigmoid")
>>> round(loan([0.8, 0.6, 0.9]), 4)
0.7875
"""

from . import (
    _dispatch,  # noqa: F401  (selects the kernels' instruction set first)
    activations,
    datasets,
    interop,
    reference,
)
from ._config import show_config
from ._io import ModelFileError, load, save
from ._layers import Dense, Sequential, initial_weights
from ._learning import TrainHistory
from ._neuron import Neuron, neuron_forward, preactivation
from ._version import __version__
from .activations import sigmoid

__all__ = [
    "Dense",
    "ModelFileError",
    "Neuron",
    "Sequential",
    "TrainHistory",
    "__version__",
    "activations",
    "datasets",
    "initial_weights",
    "interop",
    "load",
    "neuron_forward",
    "preactivation",
    "reference",
    "save",
    "show_config",
    "sigmoid",
]


# scikit-learn compatible estimators: imported on first use (they need
# scikit-learn, an optional dependency)
_LAZY = {"NeuronClassifier", "NeuronRegressor", "estimators"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        module = importlib.import_module(".estimators", __name__)
        return module if name == "estimators" else getattr(module, name)
    raise AttributeError(f"module 'cneuron' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY)
