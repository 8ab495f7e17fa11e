"""``cneuron predict``: batch inference on files, streamed.

The input (``.npy`` or ``.csv``) is read in chunks of ``batch_size`` rows, each
chunk goes through the model's forward pass, and the results are written to a
temporary file beside the output, renamed over it at the end. Memory stays
bounded by a few chunks whatever the input's size: a C-order ``.npy`` is read
with plain reads into one reused buffer (no memory map whose touched pages
would count as resident), a Fortran-order one through a memory map whose pages
are released after every chunk, a CSV a chunk of lines at a time. An
interrupted or failed run removes its temporary file and leaves an existing
output untouched.

Exit codes: 0 success, 2 usage, 3 input missing or unreadable, 4 bad model
file, 5 wrong feature count, 6 a CSV cell that is not a number (or a row of
the wrong length), 7 output not writable, 130 interrupted.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import mmap
import os
import sys
import tempfile
from collections.abc import Iterator
from typing import IO, Any

import numpy as np

EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_MODEL = 4
EXIT_FEATURES = 5
EXIT_CSV = 6
EXIT_OUTPUT = 7
EXIT_INTERRUPTED = 130

FORMATS = (".npy", ".csv")


class PredictError(Exception):
    """A failure with its exit code and a message for the user."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _format_of(path: str, what: str) -> str:
    ext = os.path.splitext(path)[1].lower()
    if ext not in FORMATS:
        raise PredictError(
            EXIT_USAGE, f"{what} {path!r}: unknown format {ext or '(none)'!r}; use .npy or .csv"
        )
    return ext


# ---- readers -------------------------------------------------------------------


class _NpyReader:
    """Rows of a 2-D ``.npy`` file, chunk by chunk."""

    def __init__(self, path: str) -> None:
        try:
            self.f: io.BufferedReader = open(path, "rb")
        except OSError as exc:
            raise PredictError(EXIT_INPUT, f"cannot read input {path!r}: {exc.strerror}") from None
        try:
            version = np.lib.format.read_magic(self.f)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, fortran, dtype = read_header(self.f, max_header_size=100_000)
        except Exception as exc:
            self.f.close()
            raise PredictError(
                EXIT_INPUT, f"input {path!r} is not a readable .npy file: {exc}"
            ) from None
        if dtype.hasobject or dtype.kind not in "biuf":
            self.f.close()
            raise PredictError(
                EXIT_INPUT, f"input {path!r} holds {dtype} data; expected real numbers"
            )
        if len(shape) != 2:
            self.f.close()
            raise PredictError(
                EXIT_INPUT,
                f"input {path!r} must be 2-D (rows, features), got shape {tuple(shape)}",
            )
        self.path = path
        self.shape = tuple(int(s) for s in shape)
        self.dtype = dtype
        self.fortran = bool(fortran) and self.shape[0] > 1 and self.shape[1] > 1
        self.offset = self.f.tell()
        expected = self.offset + self.shape[0] * self.shape[1] * dtype.itemsize
        size = os.fstat(self.f.fileno()).st_size
        if size < expected:
            self.f.close()
            raise PredictError(
                EXIT_INPUT,
                f"input {path!r} is truncated: {size} bytes, its header promises {expected}",
            )

    @property
    def n_rows(self) -> int:
        return self.shape[0]

    @property
    def n_cols(self) -> int:
        return self.shape[1]

    def chunks(self, rows: int) -> Iterator[np.ndarray]:
        n, d = self.shape
        if self.fortran:
            yield from self._fortran_chunks(rows)
            return
        buf = np.empty(rows * d, dtype=self.dtype)
        done = 0
        while done < n:
            m = min(rows, n - done)
            view = buf[: m * d]
            got = self.f.readinto(view.data.cast("B"))
            if got != view.nbytes:
                raise PredictError(EXIT_INPUT, f"input {self.path!r} ended early")
            yield view.reshape(m, d)
            done += m

    def _fortran_chunks(self, rows: int) -> Iterator[np.ndarray]:
        """Column-major data: a memory map, its pages released after each chunk
        (the rows of a chunk are spread over the whole file)."""
        n, d = self.shape
        mm = mmap.mmap(self.f.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            a = np.ndarray((n, d), dtype=self.dtype, buffer=mm, offset=self.offset, order="F")
            for start in range(0, n, rows):
                chunk = np.ascontiguousarray(a[start : start + rows])
                if hasattr(mm, "madvise") and hasattr(mmap, "MADV_DONTNEED"):
                    mm.madvise(mmap.MADV_DONTNEED)  # clean file pages: dropped, re-read if needed
                yield chunk
            del a
        finally:
            mm.close()

    def close(self) -> None:
        self.f.close()


def _bad_cell(lines: list[str], first_line: int, n_cols: int) -> PredictError:
    """The first cell of ``lines`` that is not a number, or a row of the wrong
    length, as an error naming its line and column (1-based)."""
    for i, line in enumerate(lines):
        cells = line.rstrip("\r\n").split(",")
        if len(cells) != n_cols:
            return PredictError(
                EXIT_CSV,
                f"line {first_line + i} has {len(cells)} values, expected {n_cols}",
            )
        for j, cell in enumerate(cells):
            try:
                float(cell)
            except ValueError:
                return PredictError(
                    EXIT_CSV,
                    f"line {first_line + i}, column {j + 1}: {cell.strip()!r} is not a number",
                )
    return PredictError(EXIT_CSV, f"lines {first_line}-{first_line + len(lines) - 1}: unreadable")


class _CsvReader:
    """Rows of a CSV file (commas; an optional header line, detected: a first
    line with a cell that is not a number), a chunk of lines at a time."""

    def __init__(self, path: str) -> None:
        try:
            self.f: IO[str] = open(path, encoding="utf-8", newline="")
            first = self.f.readline()
        except (OSError, UnicodeDecodeError) as exc:
            raise PredictError(
                EXIT_INPUT, f"cannot read input {path!r}: {getattr(exc, 'strerror', exc)}"
            ) from None
        self.path = path
        self.header = False
        self.pending: list[str] = []
        self.line_no = 1  # the file line number of the next pending/unread line
        if not first.strip():
            self.n_cols = 0
            return
        cells = first.rstrip("\r\n").split(",")
        self.n_cols = len(cells)
        try:
            [float(c) for c in cells]
        except ValueError:
            self.header = True
            self.line_no = 2
        else:
            self.pending = [first]

    def count_rows(self) -> int:
        """Data rows of the file (one pass, nothing kept)."""
        with open(self.path, "rb") as f:
            n = sum(1 for line in f if line.strip())
        return n - (1 if self.header else 0)

    def chunks(self, rows: int, dtype: np.dtype) -> Iterator[np.ndarray]:
        lines_iter = itertools.chain(self.pending, self.f)
        while True:
            try:
                lines = [ln for ln in itertools.islice(lines_iter, rows)]
            except UnicodeDecodeError as exc:
                raise PredictError(EXIT_INPUT, f"input {self.path!r}: {exc}") from None
            if not lines:
                return
            first = self.line_no
            self.line_no += len(lines)
            data = [ln for ln in lines if ln.strip()]
            if not data:
                continue
            try:
                with np.errstate(all="ignore"):
                    chunk = np.loadtxt(data, delimiter=",", dtype=dtype, ndmin=2)
            except ValueError:
                raise _bad_cell(lines, first, self.n_cols) from None
            if chunk.shape[1] != self.n_cols:
                raise _bad_cell(lines, first, self.n_cols)
            yield chunk

    def close(self) -> None:
        self.f.close()


# ---- writers --------------------------------------------------------------------


class _NpyWriter:
    def __init__(self, f: IO[bytes], shape: tuple[int, ...], dtype: np.dtype) -> None:
        header = {
            "descr": np.lib.format.dtype_to_descr(dtype),
            "fortran_order": False,
            "shape": shape,
        }
        np.lib.format.write_array_header_2_0(f, header)
        self.f = f

    def write(self, y: np.ndarray) -> None:
        self.f.write(np.ascontiguousarray(y).data.cast("B"))


class _CsvWriter:
    def __init__(self, f: IO[bytes], dtype: np.dtype) -> None:
        self.f = f
        # shortest digits that round-trip: 17 significant for float64, 9 for float32
        self.fmt = "%.17g" if dtype == np.float64 else "%.9g"

    def write(self, y: np.ndarray) -> None:
        np.savetxt(self.f, y.reshape(len(y), -1), fmt=self.fmt, delimiter=",")


# ---- the command -------------------------------------------------------------------


@contextlib.contextmanager
def _atomic_output(path: str) -> Iterator[IO[bytes]]:
    """A temporary file beside ``path``, renamed over it when the block ends
    without error, removed otherwise (KeyboardInterrupt included)."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".cneuron-", suffix=".part", dir=directory)
    except OSError as exc:
        raise PredictError(
            EXIT_OUTPUT, f"cannot write output {path!r}: {exc.strerror} ({directory})"
        ) from None
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise PredictError(
                EXIT_OUTPUT, f"cannot write output {path!r}: {exc.strerror}"
            ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _progress(total: int, enabled: bool | None) -> Any:
    """A tqdm bar on a terminal (when tqdm is installed), else nothing."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="row", unit_scale=True, file=sys.stderr, leave=False)


def predict_file(
    model_path: str,
    input_path: str,
    output_path: str,
    *,
    batch_size: int = 65_536,
    num_threads: int | None = None,
    progress: bool | None = None,
) -> int:
    """Run a saved model over an input file into an output file; returns the
    number of rows. Raises ``PredictError`` (with an exit code) on failure."""
    from ._io import ModelFileError, load
    from ._layers import model_shape

    if batch_size < 1:
        raise PredictError(EXIT_USAGE, f"--batch-size must be at least 1, got {batch_size}")
    in_fmt = _format_of(input_path, "input")
    out_fmt = _format_of(output_path, "output")
    if not os.path.exists(input_path):
        raise PredictError(EXIT_INPUT, f"input {input_path!r} does not exist")
    try:
        model = load(model_path)
    except FileNotFoundError:
        raise PredictError(EXIT_MODEL, f"model {model_path!r} does not exist") from None
    except ModelFileError as exc:
        raise PredictError(EXIT_MODEL, f"bad model file: {exc}") from None
    except (OSError, ValueError) as exc:
        raise PredictError(EXIT_MODEL, f"bad model file {model_path!r}: {exc}") from None
    n_in, n_out, dtype = model_shape(model)

    reader: _NpyReader | _CsvReader
    if in_fmt == ".npy":
        reader = _NpyReader(input_path)
        n_cols = reader.n_cols
    else:
        reader = _CsvReader(input_path)
        n_cols = reader.n_cols
    try:
        if n_cols != n_in and not (n_cols == 0 and in_fmt == ".csv"):
            raise PredictError(
                EXIT_FEATURES,
                f"the model expects {n_in} features, the input has {n_cols} columns",
            )
        n_rows = reader.n_rows if isinstance(reader, _NpyReader) else None
        if n_rows is None and out_fmt == ".npy":
            n_rows = reader.count_rows()  # type: ignore[union-attr]
        shape: tuple[int, ...] = (n_rows or 0,) if n_out is None else (n_rows or 0, n_out)
        bar = _progress(n_rows or 0, progress)
        done = 0
        out_buf = np.empty(batch_size if n_out is None else (batch_size, n_out), dtype=dtype)
        with _atomic_output(output_path) as f:
            writer: _NpyWriter | _CsvWriter = (
                _NpyWriter(f, shape, dtype) if out_fmt == ".npy" else _CsvWriter(f, dtype)
            )
            chunks = (
                reader.chunks(batch_size)
                if isinstance(reader, _NpyReader)
                else reader.chunks(batch_size, dtype)
            )
            for X in chunks:
                m = X.shape[0]
                out = out_buf[:m]
                model.forward(X, out=out, num_threads=num_threads)
                try:
                    writer.write(out)
                except OSError as exc:
                    raise PredictError(
                        EXIT_OUTPUT, f"cannot write output {output_path!r}: {exc.strerror}"
                    ) from None
                done += m
                if bar is not None:
                    bar.update(m)
            if out_fmt == ".npy" and done != shape[0]:
                raise PredictError(EXIT_INPUT, f"input {input_path!r} changed while it was read")
        if bar is not None:
            bar.close()
        return done
    finally:
        reader.close()
