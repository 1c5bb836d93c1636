"""Every error type for the matching bad input; arrays of the wrong type, dtype, order and
shape; and bad bytes of every kind, which must raise, never crash the interpreter."""

import contextlib
import json

import numpy as np
import pytest
import zkcnn

from conftest import LENET

HEADER = 8 + 2 + 1 + 32  # commitments: magic, version, field, architecture digest
PROOF_HEADER = 8 + 2 + 1 + 1 + 32  # proofs: magic, version, kind, field, statement digest


@contextlib.contextmanager
def raises(exc, kind=None):
    """pytest.raises that also checks the exception's `kind`."""
    with pytest.raises(exc) as info:
        yield info
    if kind is not None:
        assert info.value.kind == kind, (info.value.kind, str(info.value))


def test_hierarchy():
    for e in (zkcnn.ModelError, zkcnn.InputError, zkcnn.VerifyError):
        assert issubclass(e, zkcnn.ZkcnnError)
    for e in (zkcnn.ProofFormatError, zkcnn.CommitmentError, zkcnn.RejectedError):
        assert issubclass(e, zkcnn.VerifyError)
    assert issubclass(zkcnn.StatementError, zkcnn.RejectedError)
    assert zkcnn.VerifyError.__module__ == "zkcnn"


# ---- models ----------------------------------------------------------------------------------


def test_bad_model_json():
    with raises(zkcnn.ModelError, "json") as e:
        zkcnn.Model.from_json("{not json")
    assert "line 1" in str(e.value)
    with raises(zkcnn.ModelError, "no_layers"):
        zkcnn.Model.from_json(
            json.dumps({"name": "m", "input_shape": [4], "activation_bits": 8, "weight_bits": 8, "layers": []})
        )
    with raises(zkcnn.ModelError, "json"):  # unknown fields are refused
        zkcnn.Model.from_json(json.dumps({"name": "m", "colour": "red"}))


def test_model_the_prover_does_not_support():
    # Valid IR, but a max-pool of more than 1,024 window positions is refused by the prover's
    # plan.
    model = zkcnn.Model.from_json(
        json.dumps(
            {
                "name": "huge-pool",
                "input_shape": [1, 33, 33],
                "activation_bits": 8,
                "weight_bits": 8,
                "layers": [{"type": "MaxPool2d", "size": 33, "stride": 1}, {"type": "Flatten"}],
            }
        )
    )
    with raises(zkcnn.ModelError, "too_large") as e:
        model.commit()
    assert "window positions" in str(e.value)
    with raises(zkcnn.ModelError, "too_large"):
        zkcnn.verify(model.architecture(), b"", np.zeros((1, 33, 33), np.int64), np.zeros(1, np.int64), b"")


def test_bad_onnx():
    calibration = np.load(LENET / "calibration.npy")
    with raises(zkcnn.ModelError, "decode"):
        zkcnn.import_onnx(b"\xff\xff definitely not protobuf", calibration=calibration)
    with pytest.raises(FileNotFoundError):
        zkcnn.import_onnx(LENET / "missing.onnx", calibration=calibration)
    with raises(zkcnn.InputError, "options"):
        zkcnn.import_onnx(LENET / "model.onnx")
    with raises(zkcnn.InputError, "shape"):
        zkcnn.import_onnx(LENET / "model.onnx", calibration=np.zeros((5, 1, 27, 28), np.float32))
    with raises(zkcnn.InputError, "shape"):  # one label per evaluation input
        zkcnn.import_onnx(LENET / "model.onnx", eval=(calibration, np.zeros(3, np.int64)))
    with raises(zkcnn.InputError, "dtype"):
        zkcnn.import_onnx(LENET / "model.onnx", eval=(calibration, np.zeros(200)))
    with raises(zkcnn.InputError, "options"):  # bit widths out of range
        zkcnn.import_onnx(LENET / "model.onnx", calibration=calibration, activation_bits=40)


# ---- arrays ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, kind, words",
    [
        (lambda x: x.tolist(), "type", "numpy.ndarray, not list"),
        (lambda x: x.astype(bool), "dtype", "dtype bool"),
        (lambda x: x.astype(np.complex64), "dtype", "complex"),
        (lambda x: x.astype(np.float16), "dtype", "float16"),
        (lambda x: x.astype(object), "dtype", "object"),
        (lambda x: x.astype(">f4"), "dtype", "native byte order"),
        (lambda x: x[0], "shape", "[28, 28]"),
        (lambda x: x.reshape(1, 784), "shape", "[1, 784]"),
        (lambda x: np.asfortranarray(x), "order", "np.ascontiguousarray"),
        (lambda x: np.repeat(x, 2, axis=2)[:, :, ::2], "order", "not C-contiguous"),
        (lambda x: np.full(x.shape, 128, np.int64), "range", "8-bit activation range"),
        (lambda x: np.full(x.shape, 2**63 + 1, np.uint64), "range", "does not fit in int64"),
    ],
)
def test_bad_input_arrays(committed, proved, make, kind, words):
    x, y, proof = proved
    bad = make(x)
    with raises(zkcnn.InputError, kind) as e:
        zkcnn.prove(committed, bad)
    assert words in str(e.value)
    with raises(zkcnn.InputError, kind):
        zkcnn.verify(committed.architecture, committed.commitment, bad, y, proof)


def test_bad_output_arrays(committed, proved):
    x, y, proof = proved
    arch, c = committed.architecture, committed.commitment
    with raises(zkcnn.InputError, "dtype"):
        zkcnn.verify(arch, c, x, y.astype(np.float32), proof)
    with raises(zkcnn.InputError, "shape"):
        zkcnn.verify(arch, c, x, y[:9], proof)
    with raises(zkcnn.InputError, "range"):
        zkcnn.verify(arch, c, x, np.full(10, -200), proof)
    with raises(zkcnn.InputError, "type"):
        zkcnn.verify(arch, c, x, list(y), proof)


def test_float_input_to_an_integer_model(every_kind, every_kind_io):
    x, _ = every_kind_io
    committed = every_kind.commit(transparent=True)
    with raises(zkcnn.InputError, "dtype") as e:
        zkcnn.prove(committed, x.reshape(every_kind.input_shape).astype(np.float32))
    assert "x.astype(np.int64)" in str(e.value)


def test_input_whose_inference_overflows():
    model = zkcnn.Model.from_json(
        json.dumps(
            {
                "name": "overflow",
                "input_shape": [1],
                "activation_bits": 8,
                "weight_bits": 8,
                "layers": [{"type": "Dense", "in_features": 1, "out_features": 1, "weights": [100], "bias": [0], "shift": 0}],
            }
        )
    )
    committed = model.commit(transparent=True)
    y, proof = zkcnn.prove(committed, np.array([1]))
    assert y.tolist() == [100]
    with raises(zkcnn.InputError, "inference"):
        zkcnn.prove(committed, np.array([100]))  # 100 * 100 leaves the 8-bit range


# ---- architecture and commitment -------------------------------------------------------------


def test_bad_architecture(committed, proved, every_kind):
    x, y, proof = proved
    with raises(zkcnn.ModelError, "json"):
        zkcnn.verify("{", committed.commitment, x, y, proof)
    with raises(zkcnn.InputError, "type"):
        zkcnn.verify(42, committed.commitment, x, y, proof)
    with raises(zkcnn.CommitmentError, "architecture"):
        zkcnn.verify(every_kind.architecture(), committed.commitment, x, y, proof)
    other = json.loads(committed.architecture)
    other["name"] = "renamed"  # the name is part of the architecture
    with raises(zkcnn.CommitmentError, "architecture"):
        zkcnn.verify(json.dumps(other), committed.commitment, x, y, proof)


def test_bad_commitment(committed, proved, every_kind):
    x, y, proof = proved
    arch, c = committed.architecture, committed.commitment

    def check(bad, exc, kind=None):
        with raises(exc, kind):
            zkcnn.verify(arch, bad, x, y, proof)

    check(b"", zkcnn.CommitmentError, "truncated")
    check(b"ZKCNNPRF" + c[8:], zkcnn.CommitmentError, "not_a_commitment")
    check(c[:HEADER - 1], zkcnn.CommitmentError, "truncated")
    check(c[:-1], zkcnn.CommitmentError, "truncated_body")
    check(c + b"\0", zkcnn.CommitmentError, "trailing")
    check(c[:8] + b"\x09\x00" + c[10:], zkcnn.CommitmentError, "version")
    check(c[:10] + b"\x01" + c[11:], zkcnn.CommitmentError, "field")
    check(every_kind.commit(transparent=True).commitment, zkcnn.CommitmentError, "architecture")
    check("text", zkcnn.InputError, "type")
    # A commitment to other weights is another statement.
    root = bytearray(c)
    root[HEADER] ^= 1
    check(bytes(root), zkcnn.StatementError, "statement")
    # The commitment's check proof altered: the check fails.
    tail = bytearray(c)
    tail[-200] ^= 0x10
    check(bytes(tail), zkcnn.VerifyError)


# ---- proofs ----------------------------------------------------------------------------------


def test_bad_proof_header(committed, proved):
    x, y, proof = proved
    arch, c = committed.architecture, committed.commitment

    def check(bad, exc, kind):
        with raises(exc, kind):
            zkcnn.verify(arch, c, x, y, bad)

    check(b"", zkcnn.ProofFormatError, "not_a_proof")
    check(b"hello world" * 10, zkcnn.ProofFormatError, "not_a_proof")
    check(proof[:20], zkcnn.ProofFormatError, "not_a_proof")
    check(proof[:8] + b"\x02\x00" + proof[10:], zkcnn.ProofFormatError, "version")
    check(proof[:10] + b"\x01" + proof[11:], zkcnn.ProofFormatError, "kind")
    check(proof[:10] + b"\x07" + proof[11:], zkcnn.ProofFormatError, "unknown_kind")
    check(proof[:11] + b"\x01" + proof[12:], zkcnn.ProofFormatError, "field")
    check(proof[:12] + bytes(32) + proof[PROOF_HEADER:], zkcnn.StatementError, "statement")
    check(proof[:-1], zkcnn.ProofFormatError, "body")
    check(proof + b"\0", zkcnn.ProofFormatError, "body")
    check(None, zkcnn.InputError, "type")


def test_proof_for_another_statement(committed, proved, digits):
    x, y, proof = proved
    arch, c = committed.architecture, committed.commitment
    with raises(zkcnn.StatementError, "statement"):
        zkcnn.verify(arch, c, digits[1], y, proof)
    wrong = y.copy()
    wrong[0] += 1
    with raises(zkcnn.StatementError, "statement"):
        zkcnn.verify(arch, c, x, wrong, proof)


def test_flipped_proof_bytes_are_rejected(committed, proved):
    """A byte flipped anywhere in the proof body: rejected (decoding or verification)."""
    x, y, proof = proved
    arch, c = committed.architecture, committed.commitment
    kinds = set()
    for at in range(PROOF_HEADER, len(proof), len(proof) // 150):
        bad = bytearray(proof)
        bad[at] ^= 1 << (at % 8)
        with pytest.raises((zkcnn.ProofFormatError, zkcnn.RejectedError)) as e:
            zkcnn.verify(arch, c, x, y, bad)
        kinds.add(type(e.value).__name__)
    assert "RejectedError" in kinds


def test_truncated_and_random_bytes_never_crash(committed, proved):
    x, y, proof = proved
    arch, c = committed.architecture, committed.commitment
    rng = np.random.default_rng(7)
    cases = [proof[:n] for n in range(0, len(proof), len(proof) // 60)]
    cases += [proof[:PROOF_HEADER] + rng.bytes(int(n)) for n in rng.integers(0, 5000, 30)]
    for bad in cases:
        with pytest.raises(zkcnn.VerifyError):
            zkcnn.verify(arch, c, x, y, bad)
    commitments = [c[:n] for n in range(0, len(c), len(c) // 40)]
    commitments += [c[:HEADER] + rng.bytes(int(n)) for n in rng.integers(0, 2000, 20)]
    for at in range(HEADER, len(c), len(c) // 40):
        bad = bytearray(c)
        bad[at] ^= 0x80
        commitments.append(bytes(bad))
    for bad in commitments:
        with pytest.raises(zkcnn.VerifyError):
            zkcnn.verify(arch, bad, x, y, proof)
