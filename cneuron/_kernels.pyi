# Type stubs of the compiled layer (src/_kernels.pyx).
import numpy as np
import numpy.typing as npt

ACT_IDENTITY: int
ACT_SIGMOID: int
ACT_STEP: int
ACT_RELU: int
ACT_LEAKY_RELU: int
ACT_SILU: int
ACT_TANH: int
ACT_ELU: int
ACT_SELU: int
ACT_SOFTPLUS: int
ACT_LOG_SIGMOID: int
ACT_GELU: int
ACT_GELU_TANH: int
HAVE_OPENMP: bool
ISA_NAMES: tuple[str, ...]
COMPILED_ISAS: tuple[str, ...]

def cpu_max_isa() -> str: ...
def select_isa(name: str) -> str: ...
def current_isa() -> str: ...
def omp_max_threads() -> int: ...
def forward_batch_f64(
    X: npt.NDArray[np.float64],
    w: npt.NDArray[np.float64],
    b: float,
    out: npt.NDArray[np.float64],
    act: int,
    p0: float,
    p1: float,
    n_threads: int,
) -> None: ...
def forward_batch_f32(
    X: npt.NDArray[np.float32],
    w: npt.NDArray[np.float32],
    b: float,
    out: npt.NDArray[np.float32],
    act: int,
    p0: float,
    p1: float,
    n_threads: int,
) -> None: ...
def forward_one_f64(
    x: npt.NDArray[np.float64], w: npt.NDArray[np.float64], b: float, act: int, p0: float, p1: float
) -> float: ...
def forward_one_f32(
    x: npt.NDArray[np.float32], w: npt.NDArray[np.float32], b: float, act: int, p0: float, p1: float
) -> float: ...
def elementwise_f64(
    z: npt.NDArray[np.float64],
    out: npt.NDArray[np.float64],
    act: int,
    p0: float,
    p1: float,
    derive: bool,
    n_threads: int,
) -> None: ...
def elementwise_f32(
    z: npt.NDArray[np.float32],
    out: npt.NDArray[np.float32],
    act: int,
    p0: float,
    p1: float,
    derive: bool,
    n_threads: int,
) -> None: ...
def softmax_rows_f64(
    z: npt.NDArray[np.float64], out: npt.NDArray[np.float64], log_out: bool, n_threads: int
) -> None: ...
def softmax_rows_f32(
    z: npt.NDArray[np.float32], out: npt.NDArray[np.float32], log_out: bool, n_threads: int
) -> None: ...
def softmax_vjp_rows_f64(
    s: npt.NDArray[np.float64],
    g: npt.NDArray[np.float64],
    out: npt.NDArray[np.float64],
    log_out: bool,
) -> None: ...
def softmax_vjp_rows_f32(
    s: npt.NDArray[np.float32],
    g: npt.NDArray[np.float32],
    out: npt.NDArray[np.float32],
    log_out: bool,
) -> None: ...

class FastForward:
    def __init__(
        self,
        w: npt.NDArray[np.floating],
        b: float,
        act: int,
        p0: float,
        p1: float,
        max_threads: int,
    ) -> None: ...
    def __call__(
        self, x: object, out: object = None, num_threads: object = None
    ) -> float | npt.NDArray[np.floating] | None: ...

DENSE_LANES_F64: int
DENSE_LANES_F32: int
DENSE_PANEL_F64: int
DENSE_PANEL_F32: int

class Network:
    dtype: np.dtype
    n_inputs: int
    n_outputs: int
    def __init__(self, layers: list[tuple[object, ...]], max_threads: int) -> None: ...
    def run(
        self, X: npt.NDArray[np.floating], out: npt.NDArray[np.floating], n_threads: int
    ) -> None: ...
    def fast(
        self, x: object, out: object, num_threads: object
    ) -> npt.NDArray[np.floating] | None: ...
