"""Honest round trips on the fixtures, agreement with the CLI's files, progress and the GIL."""

import json
import threading

import numpy as np
import pytest
import zkcnn

from conftest import GOLDEN, LENET


def test_import_matches_the_committed_fixture(lenet):
    # The fixture's model.json was written by `zkcnn import` with the same calibration set.
    fixture = zkcnn.Model.from_json((LENET / "model.json").read_text())
    assert lenet.to_json() == fixture.to_json()
    assert lenet.architecture() == fixture.architecture()
    assert lenet.input_shape == [1, 28, 28]
    assert lenet.num_layers == 12
    assert lenet.quantization["input_frac_bits"] == 6
    assert fixture.report is None


def test_import_report_and_evaluation():
    x = np.load(LENET / "eval-images.npy")[:500] / 255.0  # uint8 pixels -> float64 in [0, 1]
    labels = np.load(LENET / "eval-labels.npy")[:500]
    onnx = (LENET / "model.onnx").read_bytes()  # bytes work as well as paths
    model = zkcnn.import_onnx(onnx, calibration=np.load(LENET / "calibration.npy"), eval=(x, labels))
    report = model.report
    assert report["agreement_set"] == "evaluation"
    assert report["agreement"]["samples"] == 500
    assert report["agreement"]["top1_match_rate"] > 0.99
    assert report["agreement"]["quantized_accuracy"] > 0.97
    assert [n["op_type"] for n in report["nodes"]][:3] == ["Conv", "Relu", "MaxPool"]
    # eval alone calibrates too (as the CLI does without --calibration)
    assert zkcnn.import_onnx(str(LENET / "model.onnx"), eval=(x, labels)).report["calibration_samples"] == 500


def test_json_round_trip(lenet):
    again = zkcnn.Model.from_json(lenet.to_json())
    assert again.to_json() == lenet.to_json()
    assert "weights" in lenet.to_json()
    assert '"weights":[]' in lenet.architecture()


def test_prove_and_verify_test_digits(committed, digits):
    labels = np.load(LENET / "test-labels.npy")
    correct = 0
    for x, label in zip(digits[:3], labels[:3]):
        y, proof = zkcnn.prove(committed, x)
        assert y.dtype == np.int64 and y.shape == (10,)
        assert zkcnn.verify(committed.architecture, committed.commitment, x, y, proof) is None
        correct += int(y.argmax() == label)
    assert correct == 3


def test_commitment_and_architecture(committed, lenet):
    assert committed.commitment[:8] == b"ZKCNNCOM"
    assert committed.architecture == lenet.architecture()
    assert committed.model.to_json() == lenet.to_json()
    assert len(committed.root) == 50  # 25-byte (200-bit) digests, in hex
    assert committed.kind == "transparent" and committed.revealed is None and committed.budget is None
    # Transparent committing is deterministic.
    assert lenet.commit(transparent=True).commitment == committed.commitment


def test_batch_of_one_and_integer_inputs(committed, lenet, proved):
    x, y, proof = proved
    y1, proof1 = zkcnn.prove(committed, x[np.newaxis])  # [1, 1, 28, 28]
    assert np.array_equal(y, y1) and proof == proof1
    # The quantized input as integers is the same statement.
    q = lenet.quantization["input_frac_bits"]
    xq = np.clip(np.round(x.astype(np.float64) * 2.0**q), -127, 127).astype(np.int64)
    zkcnn.verify(lenet, committed.commitment, xq, y, proof)
    for dtype in (np.int8, np.int16, np.int32):
        zkcnn.verify(committed.architecture, committed.commitment, xq.astype(dtype), y.astype(dtype), proof)
    # float64 inputs are rounded to float32 first, as the CLI reads .npy files
    zkcnn.verify(committed.architecture, committed.commitment, x.astype(np.float64), y, proof)
    # bytearray works where bytes do
    zkcnn.verify(committed.architecture, bytearray(committed.commitment), x, y, bytearray(proof))


def test_golden_every_kind_model(every_kind, every_kind_io):
    """The committed golden proof verifies, and the wrapper reproduces it byte for byte."""
    x, y = every_kind_io
    x = x.reshape(every_kind.input_shape)
    committed = every_kind.commit(transparent=True)
    # The CLI's commitment file: a 43-byte header, then the library's encoding (the golden file).
    assert committed.commitment[43:] == (GOLDEN / "every-kind.commitment").read_bytes()
    golden = (GOLDEN / "every-kind.proof").read_bytes()
    zkcnn.verify(every_kind.architecture(), committed.commitment, x, y, golden)
    y2, proof = zkcnn.prove(committed, x)
    assert np.array_equal(y2, y) and proof == golden


def test_digits_cnn_with_softmax_outside():
    d = LENET.parent / "digits-cnn"
    model = zkcnn.import_onnx(d / "model.onnx", calibration=np.load(d / "calibration.npy"))
    assert model.quantization["outside"] == ["Softmax"]
    committed = model.commit()
    x = np.load(d / "test-inputs.npy")[0]
    y, proof = zkcnn.prove(committed, x)
    zkcnn.verify(committed.architecture, committed.commitment, x, y, proof)


def test_progress_reports_every_phase(committed, lenet, proved):
    events = []
    lenet.commit(progress=lambda phase, s: events.append((phase, s)))
    assert [p for p, _ in events] == ["commit", "commit"]
    assert events[0][1] is None and events[1][1] > 0
    events.clear()
    x, y, proof = proved
    zkcnn.prove(committed, x, progress=lambda phase, s: events.append((phase, s)))
    assert events[0] == ("prove", None)
    assert events[-1][0] == "prove" and events[-1][1] > 0
    inner = [p for p, _ in events[1:-1]]
    assert "prove: inference and witness" in inner and len(inner) >= 3
    events.clear()
    zkcnn.verify(committed.architecture, committed.commitment, x, y, proof, progress=lambda p, s: events.append(p))
    assert events == ["check commitment", "check commitment", "verify", "verify"]


def test_progress_callback_errors_propagate(committed, proved):
    def boom(phase, seconds):
        raise KeyboardInterrupt("stop")

    with pytest.raises(KeyboardInterrupt):
        zkcnn.prove(committed, proved[0], progress=boom)


def test_gil_is_released_while_proving(committed, proved):
    """Another Python thread runs while a proof is made (it would stall if the GIL were held)."""
    ticks = 0
    result = {}
    thread = threading.Thread(target=lambda: result.update(out=zkcnn.prove(committed, proved[0])))
    thread.start()
    while thread.is_alive():
        ticks += 1
    thread.join()
    assert np.array_equal(result["out"][0], proved[1])
    assert ticks > 10_000, ticks


def test_output_array_is_writable_and_independent(committed, proved):
    x, y, _ = proved
    fresh, _ = zkcnn.prove(committed, x)
    fresh[0] += 1  # the array is NumPy's to use: writable, shared with nothing
    assert fresh.flags.c_contiguous and fresh.flags.writeable
    assert fresh[0] == y[0] + 1


def test_import_reads_external_data_beside_a_path():
    # torch >= 2.9 writes the weights to `model.onnx.data`; a path's folder is searched for it,
    # and the model equals its twin with the weights embedded.
    ops = LENET.parent / "onnx-ops"
    x = np.load(ops / "flatten-dynamo-inputs.npy")
    side = zkcnn.import_onnx(ops / "flatten-dynamo.onnx", calibration=x)
    embedded = zkcnn.import_onnx(ops / "flatten-dynamo-embedded.onnx", calibration=x)
    assert side.to_json() == embedded.to_json()
    # Bytes have no folder: the error says to pass a path.
    with pytest.raises(zkcnn.ModelError, match="with its directory"):
        zkcnn.import_onnx((ops / "flatten-dynamo.onnx").read_bytes(), calibration=x)


def test_model_files_in_both_forms(lenet, committed, proved, tmp_path):
    """One JSON file and the split form (architecture JSON + binary weights) load to the same
    model, with the same commitment; a corrupt weights file is a ModelError naming it."""
    assert lenet.save(tmp_path / "one.json", weights="inline") is None
    weights = lenet.save(tmp_path / "split.json", weights="file")
    assert weights == tmp_path / "split.weights"
    assert lenet.save(tmp_path / "auto.json") is None  # small models stay one file
    one, split = zkcnn.Model.load(tmp_path / "one.json"), zkcnn.Model.load(str(tmp_path / "split.json"))
    assert one.to_json() == split.to_json() == lenet.to_json()
    assert json.loads((tmp_path / "split.json").read_text())["weights_file"] == "split.weights"
    assert split.commit(transparent=True).commitment == committed.commitment
    x, y, proof = proved
    zkcnn.verify(split.architecture(), committed.commitment, x, y, proof)

    data = bytearray(weights.read_bytes())
    data[-40] ^= 1
    weights.write_bytes(bytes(data))
    with pytest.raises(zkcnn.ModelError, match="checksum") as e:
        zkcnn.Model.load(tmp_path / "split.json")
    assert e.value.kind == "checksum" and "split.weights" in str(e.value)
    weights.unlink()
    with pytest.raises(FileNotFoundError, match="split.weights"):
        zkcnn.Model.load(tmp_path / "split.json")
    with pytest.raises(zkcnn.ModelError, match="load it by its path"):
        zkcnn.Model.from_json((tmp_path / "split.json").read_text())
    with pytest.raises(ValueError, match="weights must be"):
        lenet.save(tmp_path / "x.json", weights="binary")
