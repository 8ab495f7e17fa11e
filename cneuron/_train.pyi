# Stub of the compiled training kernels (src/_train.pyx).
from typing import Any

import numpy as np

LOSS_LOG: int
LOSS_SQUARED: int
LOSS_PERCEPTRON: int
ETA_CONSTANT: int
ETA_INVSCALING: int
ETA_OPTIMAL: int
BLOCK_ROWS: int

def sgd_epoch(
    X: np.ndarray,
    y: np.ndarray,
    sw: np.ndarray | None,
    order: np.ndarray,
    batch: int,
    w: np.ndarray,
    b: np.ndarray,
    fit_intercept: bool,
    loss: int,
    alpha: float,
    l1_ratio: float,
    schedule: int,
    eta0: float,
    power_t: float,
    t0: float,
    t: float,
    g: np.ndarray,
    zsave: np.ndarray,
) -> float: ...
def gd_step(
    X: np.ndarray,
    y: np.ndarray,
    sw: np.ndarray | None,
    w: np.ndarray,
    b: np.ndarray,
    fit_intercept: bool,
    loss: int,
    alpha: float,
    l1_ratio: float,
    eta: float,
    scale: float,
    G: np.ndarray,
    g: np.ndarray,
    zsave: np.ndarray,
    n_threads: int,
) -> None: ...
def loss_terms(
    z: np.ndarray, y: np.ndarray, sw: np.ndarray | None, loss: int, out: np.ndarray
) -> Any: ...
