"""Type stubs of the extension module zkcnn._zkcnn (re-exported by zkcnn)."""

import os
import pathlib
from collections.abc import Callable
from typing import Any, final

import numpy as np
import numpy.typing as npt

__all__ = [
    "CommitmentError",
    "CommittedModel",
    "InputError",
    "Model",
    "ModelError",
    "PROOF_FORMAT_VERSION",
    "ProofFormatError",
    "RejectedError",
    "StatementError",
    "VerifyError",
    "ZkcnnError",
    "__version__",
    "_bench_prove",
    "import_onnx",
    "prove",
    "verify",
]

__version__: str
PROOF_FORMAT_VERSION: int

_Progress = Callable[[str, float | None], object]
"""``progress(phase, None)`` when a phase starts, ``progress(phase, seconds)`` when it ends."""

_Bytes = bytes | bytearray

class ZkcnnError(Exception):
    """Base class of every zkcnn error."""

    kind: str
    """The library's error variant in snake case (``layer``, ``not_a_proof``, ``dtype``, …)."""

class ModelError(ZkcnnError):
    """A model or architecture that is invalid, unsupported, too large, or an ONNX model that
    cannot be imported."""

class InputError(ZkcnnError):
    """An argument array of the wrong type, dtype, memory order, shape or range, or an input on
    which the quantized model's inference overflows (no proof is possible on it)."""

class VerifyError(ZkcnnError):
    """The proof was not accepted; the subclasses say why."""

class ProofFormatError(VerifyError):
    """The proof bytes are not a zkcnn proof: bad header, another format version or field,
    truncated, corrupted, or bytes left over."""

class CommitmentError(VerifyError):
    """The commitment bytes are malformed, belong to another architecture, or fail their check
    (that the committed table holds a model of the architecture)."""

class RejectedError(VerifyError):
    """The proof decodes but does not prove that the committed model, on x, outputs y."""

class StatementError(RejectedError):
    """The proof was made for another statement: the architecture, commitment, input or output
    given differ from the ones it was made for."""

@final
class Model:
    """A quantized CNN in zkcnn's model IR: an input shape and a chain of layers with integer
    weights. Make one with ``import_onnx`` or ``Model.from_json``; commit it with ``commit()``."""

    @staticmethod
    def from_json(text: str) -> Model:
        """Parses and validates a model from its JSON; raises ``ModelError``."""
    @staticmethod
    def load(path: str | os.PathLike[str]) -> Model:
        """Loads a model file: one JSON file, or a split model (the architecture's JSON naming
        a binary weights file); raises ``ModelError`` or ``OSError``."""
    def save(self, path: str | os.PathLike[str], weights: str = "auto") -> pathlib.Path | None:
        """Writes the model as JSON; ``weights``: ``"inline"``, ``"file"`` (a ``.weights`` file
        next to it) or ``"auto"`` (a file beyond 2^20 parameters). Returns the weights file."""
    def to_json(self) -> str:
        """The model as pretty-printed JSON, weights included."""
    def architecture(self) -> str:
        """The model without weights and biases, as compact JSON: what ``verify`` takes."""
    @property
    def name(self) -> str: ...
    @property
    def input_shape(self) -> list[int]:
        """``[C, H, W]`` or ``[features]``, without a batch dimension."""
    @property
    def activation_bits(self) -> int:
        """``B``: activations lie in ``(-2^(B-1), 2^(B-1))``."""
    @property
    def weight_bits(self) -> int:
        """``W``: weights lie in ``(-2^(W-1), 2^(W-1))``."""
    @property
    def num_layers(self) -> int: ...
    @property
    def quantization(self) -> dict[str, Any] | None:
        """``input_frac_bits``, ``output_frac_bits``, ``outside`` for an imported model."""
    @property
    def report(self) -> dict[str, Any] | None:
        """The ONNX import's report (nodes, scales, agreement); ``None`` if not imported."""
    def commit(self, progress: _Progress | None = None) -> CommittedModel:
        """Commits to the weights (once per model), with the GIL released; raises
        ``ModelError`` for a model the prover does not support."""

@final
class CommittedModel:
    """A model with its commitment: what ``prove`` needs."""

    @property
    def commitment(self) -> bytes:
        """The commitment: the bytes of the file ``zkcnn commit`` writes."""
    @property
    def architecture(self) -> str:
        """The architecture (the model without weights) as compact JSON."""
    @property
    def model(self) -> Model: ...
    @property
    def root(self) -> str:
        """The commitment's Merkle root, in hex."""

def import_onnx(
    onnx: str | os.PathLike[str] | _Bytes,
    calibration: npt.NDArray[Any] | None = None,
    eval: tuple[npt.NDArray[Any], npt.NDArray[np.integer[Any]]] | None = None,
    *,
    activation_bits: int = 8,
    weight_bits: int = 8,
    name: str | None = None,
    progress: _Progress | None = None,
) -> Model:
    """Imports a float ONNX CNN as a quantized model, as ``zkcnn import`` does.

    ``calibration``: sample inputs ``[N, *input_shape]`` that choose the scales; ``eval=(x,
    labels)``: measures float versus quantized agreement and accuracy (and calibrates when
    ``calibration`` is not given). The result's ``report`` has the figures. Raises
    ``ModelError``, ``InputError`` or ``OSError``."""

def prove(
    committed: CommittedModel,
    x: npt.NDArray[Any],
    progress: _Progress | None = None,
) -> tuple[npt.NDArray[np.int64], bytes]:
    """Proves the committed model's inference on ``x``; returns ``(output, proof)``.

    ``x`` has the model's input shape (or ``[1, *input_shape]``), C order. Integer dtypes are
    taken as they are; float dtypes are real values, quantized with the model's input scale as
    the CLI does (imported models only). Raises ``InputError`` or ``ModelError``."""

def verify(
    architecture: str | Model,
    commitment: _Bytes,
    x: npt.NDArray[Any],
    y: npt.NDArray[np.integer[Any]],
    proof: _Bytes,
    progress: _Progress | None = None,
) -> None:
    """Returns ``None`` if ``proof`` shows that the committed model, on ``x``, outputs ``y``;
    raises a ``VerifyError`` subclass otherwise (``InputError``/``ModelError`` for unusable
    arguments)."""

def _bench_prove(committed: CommittedModel, x: npt.NDArray[Any], repeats: int) -> list[float]:
    """Seconds of ``repeats`` proofs made in Rust alone (for bench.py)."""
