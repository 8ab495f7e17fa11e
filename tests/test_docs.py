"""The examples in the docstrings run and print what they say; every public
name of the learning API has a docstring."""

from __future__ import annotations

import doctest
import importlib

import pytest

import cneuron as cn


@pytest.mark.parametrize(
    "module",
    ["cneuron", "cneuron._neuron", "cneuron._layers", "cneuron.datasets", "cneuron.estimators"],
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
        cn.NeuronClassifier.fit,
        cn.NeuronClassifier.partial_fit,
        cn.NeuronClassifier.predict,
        cn.NeuronClassifier.predict_proba,
        cn.NeuronClassifier.predict_log_proba,
        cn.NeuronClassifier.decision_function,
        cn.NeuronClassifier.to_neuron,
        cn.NeuronClassifier.to_dense,
        cn.NeuronRegressor,
        cn.NeuronRegressor.fit,
        cn.NeuronRegressor.partial_fit,
        cn.NeuronRegressor.predict,
        cn.NeuronRegressor.to_neuron,
    ],
)
def test_public_learning_names_are_documented(obj):
    assert obj.__doc__ and len(obj.__doc__.strip()) > 20
