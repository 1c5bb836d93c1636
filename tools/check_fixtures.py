#!/usr/bin/env python3
"""Check the trained fixtures in fixtures/ against themselves; exit 1 on any mismatch.

For each fixture this reloads model.onnx (onnx.checker), reruns the `onnx` reference evaluator
on test-inputs.npy and compares with reference-outputs.npy (and reference-logits.npy when
present), and checks the other files' shapes, dtypes and agreement (JSON inputs and labels
equal the .npy ones, eval images within the input range, report.json's op list and labels).
Needs only numpy and onnx (no torch).

Usage (from the repository root): python tools/check_fixtures.py [--dir fixtures]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx.reference import ReferenceEvaluator

# name -> (input shape [C, H, W], eval-set size)
FIXTURES = {"mnist-lenet5": ((1, 28, 28), 5000), "digits-cnn": ((1, 8, 8), 1797),
            "mnist-resnet": ((1, 28, 28), 5000), "mnist-mobilenet": ((1, 28, 28), 5000)}
N_TEST = 8
N_CALIBRATION = 200
# The stored outputs come from the same evaluator; allow for numpy versions that sum in
# another order.
ATOL = 1e-5


class Checker:
    """Collects failures instead of stopping at the first one."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    def check(self, ok: bool, what: str) -> bool:
        if not ok:
            self.failures.append(what)
            print(f"FAIL {what}")
        return ok


def load_npy(c: Checker, path: Path, dtype: str, shape: tuple[int, ...]) -> np.ndarray | None:
    if not c.check(path.is_file(), f"{path} is missing"):
        return None
    a = np.load(path, allow_pickle=False)
    ok = c.check(a.dtype == np.dtype(dtype), f"{path}: dtype {a.dtype}, expected {dtype}")
    ok &= c.check(a.shape == shape, f"{path}: shape {a.shape}, expected {shape}")
    return a if ok else None


def run_reference(model: onnx.ModelProto, x: np.ndarray, output: str | None) -> np.ndarray:
    sess = ReferenceEvaluator(model)
    names = None if output is None else [output]
    return np.concatenate([sess.run(names, {"input": x[i:i + 1]})[0] for i in range(len(x))])


def check_fixture(c: Checker, d: Path, shape: tuple[int, ...], n_eval: int) -> None:
    report = json.loads((d / "report.json").read_text())
    divisor = report["input_divisor"]
    model = onnx.load(str(d / "model.onnx"))
    onnx.checker.check_model(model, full_check=True)
    ops = [n.op_type for n in model.graph.node]
    c.check(ops == report["op_types"], f"{d}: op types {ops} differ from report.json")

    x = load_npy(c, d / "test-inputs.npy", "float32", (N_TEST, *shape))
    labels = load_npy(c, d / "test-labels.npy", "int64", (N_TEST,))
    ref = load_npy(c, d / "reference-outputs.npy", "float32", (N_TEST, 10))
    if x is not None and ref is not None:
        got = run_reference(model, x, None)
        diff = float(np.abs(got - ref).max())
        c.check(diff <= ATOL, f"{d}: reference outputs differ by {diff}")
        preds = got.argmax(axis=1).tolist()
        c.check(preds == report["test_predictions"], f"{d}: predictions {preds} differ")
        print(f"{d.name}: reference evaluator vs reference-outputs.npy max diff {diff:.2e}, "
              f"{sum(p == t for p, t in zip(preds, report['test_labels']))}/{N_TEST} correct")
    if (d / "reference-logits.npy").exists() and x is not None:
        logits = load_npy(c, d / "reference-logits.npy", "float32", (N_TEST, 10))
        if logits is not None:
            got = run_reference(model, x, model.graph.node[-1].input[0])
            diff = float(np.abs(got - logits).max())
            c.check(diff <= ATOL, f"{d}: reference logits differ by {diff}")

    if x is not None:
        for i in range(N_TEST):
            img = np.array(json.loads((d / f"test-input-{i}.json").read_text()), dtype=np.float32)
            c.check(img.shape == shape and np.array_equal(img, x[i]),
                    f"{d}: test-input-{i}.json differs from test-inputs.npy[{i}]")
        pixels = np.round(x.astype(np.float64) * divisor)
        c.check(np.array_equal((pixels / divisor).astype(np.float32), x)
                and pixels.min() >= 0 and pixels.max() <= divisor,
                f"{d}: test inputs are not pixel values / {divisor}")
    if labels is not None:
        json_labels = json.loads((d / "test-labels.json").read_text())
        c.check(json_labels == labels.tolist() == report["test_labels"],
                f"{d}: test labels disagree between .json, .npy and report.json")

    cal = load_npy(c, d / "calibration.npy", "float32", (N_CALIBRATION, *shape))
    if cal is not None:
        c.check(cal.min() >= 0.0 and cal.max() <= 1.0, f"{d}: calibration values outside [0, 1]")
    images = load_npy(c, d / "eval-images.npy", "uint8", (n_eval, *shape))
    eval_labels = load_npy(c, d / "eval-labels.npy", "int64", (n_eval,))
    if images is not None:
        c.check(int(images.max()) <= divisor, f"{d}: eval images exceed {divisor}")
    if eval_labels is not None:
        c.check(set(eval_labels.tolist()) == set(range(10)), f"{d}: eval labels not 0..9")
    # The held-out images: the evaluation set's test part, by the report's seeded split.
    n_test = n_eval - report["train_size"]
    held = load_npy(c, d / "heldout-images.npy", "uint8", (n_test, *shape))
    held_labels = load_npy(c, d / "heldout-labels.npy", "int64", (n_test,))
    if images is not None and eval_labels is not None and held is not None \
            and held_labels is not None:
        test_idx = np.random.default_rng(report["seed"]).permutation(n_eval)[report["train_size"]:]
        c.check(np.array_equal(held, images[test_idx])
                and np.array_equal(held_labels, eval_labels[test_idx]),
                f"{d}: heldout-*.npy are not the evaluation set's held-out part")
        if x is not None:
            c.check(np.array_equal((held[:N_TEST].astype(np.float32) / np.float32(divisor))
                                   .astype(np.float32), x),
                    f"{d}: the first held-out images are not test-inputs.npy")

    demo = d / "demo-digit.json"
    if demo.exists() and x is not None:
        img = np.array(json.loads(demo.read_text()), dtype=np.float32)
        c.check(np.array_equal(img, x[0]), f"{d}: demo-digit.json is not test input 0")
        c.check(report.get("demo_digit_label") == report["test_labels"][0],
                f"{d}: demo digit label differs from test label 0")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path(__file__).resolve().parent.parent
                        / "fixtures", help="fixtures folder (default: the repository's)")
    args = parser.parse_args()
    c = Checker()
    for name, (shape, n_eval) in FIXTURES.items():
        d = args.dir / name
        if c.check(d.is_dir() and (d / "report.json").is_file(), f"{d} or its report is missing"):
            check_fixture(c, d, shape, n_eval)
    if c.failures:
        print(f"{len(c.failures)} check(s) failed")
        return 1
    print("all fixtures check")
    return 0


if __name__ == "__main__":
    sys.exit(main())
