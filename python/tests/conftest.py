"""Shared fixtures: the trained LeNet-5 imported once, committed once of each kind (transparent
and hiding), and one proof of each kind; a small MLP for the zero-knowledge budget tests."""

import json
from pathlib import Path

import numpy as np
import pytest
import zkcnn

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
LENET = FIXTURES / "mnist-lenet5"
GOLDEN = FIXTURES / "golden"


@pytest.fixture(scope="session")
def lenet() -> zkcnn.Model:
    """The LeNet-5 fixture imported from ONNX, as `zkcnn import` made fixtures/mnist-lenet5/model.json."""
    calibration = np.load(LENET / "calibration.npy")
    return zkcnn.import_onnx(LENET / "model.onnx", calibration=calibration, name="mnist-lenet5")


@pytest.fixture(scope="session")
def committed(lenet: zkcnn.Model) -> zkcnn.CommittedModel:
    """A transparent commitment: the transparent path's tests (and test_cli's)."""
    return lenet.commit(transparent=True)


@pytest.fixture(scope="session")
def zk_committed(lenet: zkcnn.Model) -> zkcnn.CommittedModel:
    """The default, hiding commitment (its budget is spent by every test's proofs)."""
    return lenet.commit()


@pytest.fixture(scope="session")
def digits() -> np.ndarray:
    """The 8 held-out test digits, float32 [8, 1, 28, 28] in [0, 1]."""
    return np.load(LENET / "test-inputs.npy")


@pytest.fixture(scope="session")
def proved(committed, digits):
    """(x, y, proof) on the first test digit."""
    x = digits[0]
    y, proof = zkcnn.prove(committed, x)
    return x, y, proof


@pytest.fixture(scope="session")
def zk_proved(zk_committed, digits):
    """(x, y, proof): a zero-knowledge proof on the first test digit."""
    x = digits[0]
    y, proof = zkcnn.prove(zk_committed, x)
    return x, y, proof


@pytest.fixture(scope="session")
def mlp() -> zkcnn.Model:
    """A small seeded MLP (dense 24→12, ReLU, dense 12→10) on integer inputs: cheap proofs."""
    rng = np.random.default_rng(3)

    def dense(i, o, shift):
        return {
            "type": "Dense",
            "in_features": i,
            "out_features": o,
            "weights": rng.integers(-30, 30, i * o).tolist(),
            "bias": rng.integers(-100, 100, o).tolist(),
            "shift": shift,
        }

    layers = [dense(24, 12, 11), {"type": "Relu"}, dense(12, 10, 9)]
    return zkcnn.Model.from_json(
        json.dumps({"name": "mlp", "input_shape": [24], "activation_bits": 8, "weight_bits": 8, "layers": layers})
    )


@pytest.fixture(scope="session")
def every_kind() -> zkcnn.Model:
    """The golden model with every layer kind, integer inputs (no quantization)."""
    return zkcnn.Model.from_json((GOLDEN / "every-kind.json").read_text())


@pytest.fixture(scope="session")
def every_kind_io():
    io = json.loads((GOLDEN / "every-kind.io.json").read_text())
    return np.array(io["input"], dtype=np.int64), np.array(io["output"], dtype=np.int64)
