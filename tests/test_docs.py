"""The examples in the docstrings run and print what they say; every public
name of the learning API has a docstring."""

from __future__ import annotations

import doctest
import importlib

import pytest

import cneuron as cn
from cneuron.estimators import NeuronClassifier, NeuronRegressor


@pytest.mark.parametrize(
    "module",
    [
        "cneuron",
        "cneuron._neuron",
        "cneuron._layers",
        "cneuron.datasets",
        "cneuron.estimators",
        "cneuron.dask",
    ],
)
def test_docstring_examples(module):
    mod = importlib.import_module(module)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    if module in ("cneuron._neuron", "cneuron.datasets", "cneuron.estimators"):
        assert result.attempted > 0


@pytest.mark.parametrize(
    "obj",
    [
        cn.Neuron.fit,
        cn.Neuron.history,
        cn.TrainHistory,
        cn.datasets.make_spam,
        cn.NeuronClassifier,
        NeuronClassifier.fit,
        NeuronClassifier.partial_fit,
        NeuronClassifier.predict,
        NeuronClassifier.predict_proba,
        NeuronClassifier.predict_log_proba,
        NeuronClassifier.decision_function,
        NeuronClassifier.to_neuron,
        NeuronClassifier.to_dense,
        cn.NeuronRegressor,
        NeuronRegressor.fit,
        NeuronRegressor.partial_fit,
        NeuronRegressor.predict,
        NeuronRegressor.to_neuron,
    ],
)
def test_public_learning_names_are_documented(obj):
    assert obj.__doc__ and len(obj.__doc__.strip()) > 20
