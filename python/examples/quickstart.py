"""Import the trained LeNet-5 fixture from ONNX, commit, prove on a held-out digit, verify,
and see a tampered proof rejected. Run: python python/examples/quickstart.py"""
from pathlib import Path

import numpy as np
import zkcnn

fixtures = Path(__file__).resolve().parents[2] / "fixtures" / "mnist-lenet5"
model = zkcnn.import_onnx(fixtures / "model.onnx", calibration=np.load(fixtures / "calibration.npy"))
assert model.report is not None  # imported models carry the import's report
print(model, "top-1 agreement:", model.report["agreement"]["top1_match_rate"])

committed = model.commit()  # once per model; publish committed.architecture and .commitment
print(f"commitment: {committed.kind}, {len(committed.commitment)} bytes")  # "zk": hiding, the default
x = np.load(fixtures / "test-inputs.npy")[0]  # float32 [1, 28, 28] in [0, 1]: quantized
y, proof = zkcnn.prove(committed, x)  # y: the proven int64 logits
label = np.load(fixtures / "test-labels.npy")[0]
print(f"output {y.tolist()}: class {y.argmax()} (label {label}), proof {len(proof)} bytes")

zkcnn.verify(committed.architecture, committed.commitment, x, y, proof)  # raises unless valid
print("valid")

tampered = bytearray(proof)
tampered[len(proof) // 2] ^= 1
try:
    zkcnn.verify(committed.architecture, committed.commitment, x, y, tampered)
except zkcnn.VerifyError as e:
    print(f"tampered proof rejected: {type(e).__name__} ({e.kind}): {e}")
