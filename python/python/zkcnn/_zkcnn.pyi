"""Type stubs of the extension module zkcnn._zkcnn (re-exported by zkcnn)."""

import os
import pathlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypedDict, final, overload

import numpy as np
import numpy.typing as npt

__all__ = [
    "CommitmentError",
    "CommittedInput",
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
    "commit_input",
    "import_onnx",
    "prove",
    "prove_accuracy",
    "prove_batch",
    "shard_manifest",
    "verify",
    "verify_accuracy",
    "verify_shards",
]

__version__: str
PROOF_FORMAT_VERSION: int

_Progress = Callable[[str, float | None], object]
"""``progress(phase, None)`` when a phase starts, ``progress(phase, seconds)`` when it ends."""

_Bytes = bytes | bytearray
_Kind = Literal["zk", "transparent"]

class ZkcnnError(Exception):
    """Base class of every zkcnn error. Raised itself for internal failures and for a hiding
    commitment's spent budget (``kind == "budget"``: commit again)."""

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
    def commit(self, progress: _Progress | None = None, transparent: bool = False) -> CommittedModel:
        """Commits to the weights (once per model), with the GIL released: a hiding commitment
        for zero-knowledge proofs (at least 64; its private part is SECRET, see
        ``CommittedModel.save_private``), or with ``transparent=True`` a transparent one.
        Raises ``ModelError`` for a model the prover does not support."""

@final
class CommittedModel:
    """A model with its commitment: what ``prove`` needs. A hiding commitment's private part
    (its mask and spent budget) lives in the object: SECRET; ``save_private`` writes it."""

    @property
    def commitment(self) -> bytes:
        """The commitment, public: the bytes of the file ``zkcnn commit`` writes (magic
        ``ZKCNNZKC`` hiding, ``ZKCNNCOM`` transparent)."""
    @property
    def architecture(self) -> str:
        """The architecture (the model without weights) as compact JSON."""
    @property
    def model(self) -> Model: ...
    @property
    def root(self) -> str:
        """The commitment's Merkle root, in hex."""
    @property
    def kind(self) -> _Kind:
        """``"zk"`` (hiding: zero-knowledge proofs) or ``"transparent"``."""
    @property
    def revealed(self) -> int | None:
        """Mask values the proofs revealed so far (``None`` for a transparent commitment)."""
    @property
    def budget(self) -> int | None:
        """The most mask values all proofs may reveal (``None`` for a transparent commitment);
        past it, ``prove`` raises ``ZkcnnError`` of kind ``budget``: commit again."""
    def save_private(self, path: str | os.PathLike[str]) -> None:
        """Writes the hiding commitment's private part (the CLI's prover file, ``ZKCNNZKP``),
        owner-readable only. SECRET. Save again after proofs; never load an older copy. A file
        that already holds this commitment's private part (the CLI may have proven with it
        meanwhile) gets its count merged under a lock: the file's count plus what this object
        revealed since it was loaded or saved; any other file is replaced atomically.
        ``ValueError`` for a transparent commitment, ``ZkcnnError`` (kind ``budget``) for a
        merge past the budget (nothing written)."""
    @staticmethod
    def load(
        model: Model, commitment: _Bytes, private: str | os.PathLike[str] | _Bytes | None = None
    ) -> CommittedModel:
        """The committed model again from the model, the commitment bytes and (hiding) the
        private file's path or bytes; a transparent commitment is recomputed and compared.
        Raises ``CommitmentError``, ``InputError`` or ``OSError``."""

@final
class CommittedInput:
    """An input committed with a hiding commitment (``commit_input``): ``prove(committed, x,
    input_commitment=this)`` keeps it hidden; verifiers take ``commitment`` in place of ``x``.
    Its private part lives in the object: SECRET; ``save_private`` writes it."""

    @property
    def commitment(self) -> bytes:
        """The input commitment, public: the file ``zkcnn commit-input`` writes (``ZKCNNZKI``)."""
    @property
    def architecture(self) -> str:
        """The architecture it was committed for, as compact JSON."""
    @property
    def root(self) -> str:
        """The commitment's Merkle root, in hex."""
    @property
    def revealed(self) -> int:
        """Mask values the proofs revealed so far."""
    @property
    def budget(self) -> int:
        """The most mask values all proofs may reveal (8 proofs, fewer for an input of fewer than 48 entries: `prove` raises when it is spent)."""
    def save_private(self, path: str | os.PathLike[str]) -> None:
        """Writes the private part (the CLI's input prover file, ``ZKCNNZXP``), atomically,
        owner-readable only. SECRET. Save again after proofs; never load an older copy."""
    @staticmethod
    def load(
        architecture: str | Model,
        x: npt.NDArray[Any],
        commitment: _Bytes,
        private: str | os.PathLike[str] | _Bytes,
    ) -> CommittedInput:
        """The committed input again from the architecture, the input, the commitment bytes and
        the private file's path or bytes. Raises ``CommitmentError``, ``InputError`` or
        ``OSError``."""

def commit_input(
    architecture: str | Model,
    x: npt.NDArray[Any],
    progress: _Progress | None = None,
) -> CommittedInput:
    """Commits to an input with a hiding commitment, for zero-knowledge proofs that keep it
    hidden, as ``zkcnn commit-input`` does. Raises ``InputError`` or ``ModelError``."""

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
    x: npt.NDArray[Any] | None,
    progress: _Progress | None = None,
    input_commitment: CommittedInput | None = None,
) -> tuple[npt.NDArray[np.int64], bytes]:
    """Proves the committed model's inference on ``x``; returns ``(output, proof)``. The
    proof's kind is the commitment's (zero-knowledge with a hiding one: it spends budget).

    ``x`` has the model's input shape (or ``[1, *input_shape]``), C order. Integer dtypes are
    taken as they are; float dtypes are real values, quantized with the model's input scale as
    the CLI does (imported models only). With ``input_commitment`` the input stays hidden
    (``x`` may be ``None``, or must be the committed input). Raises ``InputError``,
    ``ModelError``, or ``ZkcnnError`` of kind ``budget`` (commit again)."""

def verify(
    architecture: str | Model,
    commitment: _Bytes,
    x: npt.NDArray[Any] | _Bytes,
    y: npt.NDArray[np.integer[Any]] | _Bytes,
    proof: _Bytes,
    progress: _Progress | None = None,
    kind: _Kind | None = None,
) -> None:
    """Returns ``None`` if ``proof`` shows that the committed model, on ``x``, outputs ``y``;
    raises a ``VerifyError`` subclass otherwise (``InputError``/``ModelError`` for unusable
    arguments).

    Any kind of proof, read from its header; ``kind`` insists on one (``"transparent"`` takes
    batch and accuracy proofs too). ``x`` as bytes is a hidden input's commitment
    (``CommittedInput.commitment``), for zero-knowledge proofs. A batch proof
    (``prove_batch``): ``x`` the batch ``[N, ...]``, ``y`` its outputs ``[N, ...]``. An
    accuracy proof (``prove_accuracy``): ``x`` the inputs, ``y`` their labels (the count is
    not returned: ``verify_accuracy`` returns it). Zero-knowledge batch and accuracy proofs
    (the CLI's): ``x`` the inputs or bytes, a committed batch's commitment (``zkcnn
    commit-input`` on a batch); on a committed labelled dataset (``zkcnn commit-dataset``),
    ``x`` and ``y`` both its commitment's bytes."""

class _ShardEntry(TypedDict):
    """A shard's entry in a manifest: the slice ``start..end``, its proven count, its proof's
    name (``shard-START-END.proof``)."""

    start: int
    end: int
    correct: int
    proof: str

class _ShardManifest(TypedDict):
    """A set of shard proofs over one dataset: the file ``zkcnn verify --shards`` reads."""

    format: str
    version: int
    model_commitment: str
    dataset: str
    count: int
    shards: list[_ShardEntry]

class _ShardTotal(TypedDict):
    """What a verified set of shards proves: ``correct`` of the ``covered`` inputs (of
    ``count``) are classified as their labels; ``gaps`` are the inputs not proven."""

    count: int
    covered: int
    correct: int
    gaps: list[tuple[int, int]]
    shards: int

def prove_batch(
    committed: CommittedModel,
    xs: npt.NDArray[Any],
    progress: _Progress | None = None,
) -> tuple[npt.NDArray[np.int64], bytes]:
    """One proof of the batch ``xs`` (``[N, *input_shape]``, ``1 <= N <= 65536``, read as
    ``prove`` reads one input), of the commitment's kind (zero-knowledge with a hiding
    commitment, spending part of its budget; transparent otherwise); returns ``(ys, proof)``,
    ``ys`` the proven outputs ``[N, *output_shape]`` (``int64``). ``N = 1`` is one input, as in
    the CLI: a single proof."""

@overload
def prove_accuracy(
    committed: CommittedModel,
    xs: npt.NDArray[Any],
    labels: npt.NDArray[np.integer[Any]],
    shard: None = None,
    progress: _Progress | None = None,
) -> tuple[int, bytes]: ...
@overload
def prove_accuracy(
    committed: CommittedModel,
    xs: npt.NDArray[Any],
    labels: npt.NDArray[np.integer[Any]],
    shard: tuple[int, int],
    progress: _Progress | None = None,
) -> tuple[int, bytes, _ShardEntry]:
    """A proof of how many of ``xs`` the committed model classifies as their ``labels``
    (first maximal logit), of the commitment's kind (zero-knowledge with a hiding commitment:
    the logits and the weights stay hidden); returns ``(count, proof)``. With ``shard=(start,
    end)`` (transparent commitments only), the proof of that slice only (the CLI's
    ``--shard``), and its manifest entry: ``(count, proof, entry)``."""

def verify_accuracy(
    architecture: str | Model,
    commitment: _Bytes,
    xs: npt.NDArray[Any] | _Bytes,
    labels: npt.NDArray[np.integer[Any]] | _Bytes,
    proof: _Bytes,
    progress: _Progress | None = None,
) -> int:
    """Verifies an accuracy proof (transparent, or the CLI's zero-knowledge one) and returns
    its proven count (bound by the proof); raises as ``verify`` does. For a zero-knowledge
    proof, ``xs`` may be a committed batch's commitment (bytes), or a committed labelled
    dataset's (``zkcnn commit-dataset``) with the same bytes as ``labels``."""

def shard_manifest(
    architecture: str | Model,
    commitment: _Bytes,
    xs: npt.NDArray[Any],
    labels: npt.NDArray[np.integer[Any]],
    entries: Sequence[_ShardEntry],
) -> _ShardManifest:
    """The manifest of shard proofs over the whole dataset ``xs``, ``labels`` (the CLI's
    ``verify --shards`` file, for ``json.dump``)."""

def verify_shards(
    architecture: str | Model,
    commitment: _Bytes,
    xs: npt.NDArray[Any],
    labels: npt.NDArray[np.integer[Any]],
    manifest: _ShardManifest | Mapping[str, Any] | str | _Bytes,
    proofs: Mapping[str, _Bytes] | Sequence[_Bytes],
    allow_gaps: bool = False,
    progress: _Progress | None = None,
) -> _ShardTotal:
    """Verifies a set of shard accuracy proofs as ``zkcnn verify --shards`` does (the manifest
    is for this commitment and dataset; the slices are disjoint and cover every input, unless
    ``allow_gaps``; every shard's proof verifies on its slice with the claimed count); returns
    the summed count. ``proofs``: by the entries' names, or in the manifest's order."""

def _bench_prove(committed: CommittedModel, x: npt.NDArray[Any], repeats: int) -> list[float]:
    """Seconds of ``repeats`` proofs made in Rust alone (for bench.py)."""
