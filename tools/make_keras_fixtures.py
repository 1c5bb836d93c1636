#!/usr/bin/env python3
"""Export small Keras models through tf2onnx into fixtures/keras/ (tests/suite/onnx.rs).

Each model is built with Keras, given seeded random weights (batch-norm statistics included),
exported with `tf2onnx.convert.from_keras` at opset 13 and at the newest opset tf2onnx
supports (18 for tf2onnx 1.17), and written as `<model>-opset<k>.onnx` with
`<model>-inputs.npy` (N_INPUTS seeded inputs `[N, C, H, W]`: NCHW, the layout of the imported
model's input; the ONNX graph takes NHWC, fed as `x.transpose(0, 2, 3, 1)`) and
`<model>-opset<k>-outputs.npy` (onnxruntime's outputs on the exported graph, one input at a
time; for `cnn`, whose last Dense has a softmax, these are probabilities).

Models:
* `cnn`: Conv2D (`same`), BatchNormalization, ReLU, MaxPooling2D, Conv2D (`valid`), ReLU,
  AveragePooling2D, Flatten, Dense + ReLU, Dropout, Dense + softmax;
* `mobilenet`: a MobileNet-style block: Conv2D stride 2 (`same`, TF's asymmetric padding),
  BatchNormalization, ReLU6, DepthwiseConv2D, BatchNormalization, ReLU6, a 1x1 Conv2D,
  BatchNormalization, a residual Add, GlobalAveragePooling2D, Dense;
* `concat`: Conv2D branches concatenated on the channels, an Add shortcut, ReLU,
  GlobalAveragePooling2D, Dense.

With `--mobilenetv2 DIR`, also `keras.applications.MobileNetV2(weights=None, alpha=0.35,
input_shape=(32, 32, 3), classes=10)` into DIR (too big to commit).

Usage (from the repository root, in a venv with the versions below):
    python tools/make_keras_fixtures.py [--out fixtures/keras] [--mobilenetv2 /tmp/keras]
Needs: tools/requirements-keras.txt (tensorflow-cpu 2.15.1, tf2onnx 1.17.0, onnx 1.16.2;
Keras 3, from tensorflow 2.16 on, breaks `tf2onnx.convert.from_keras`: KeyError on the output
names).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf2onnx  # noqa: E402

N_INPUTS = 4
OPSETS = (13, 18)
K = tf.keras
L = tf.keras.layers


def cnn() -> tf.keras.Model:
    return K.Sequential([
        K.Input((16, 16, 3)),
        L.Conv2D(8, 3, padding="same"),
        L.BatchNormalization(),
        L.ReLU(),
        L.MaxPooling2D(2),
        L.Conv2D(8, 3, padding="valid"),
        L.ReLU(),
        L.AveragePooling2D(2),
        L.Flatten(),
        L.Dense(16, activation="relu"),
        L.Dropout(0.5),
        L.Dense(10, activation="softmax"),
    ], name="cnn")


def mobilenet() -> tf.keras.Model:
    x = K.Input((16, 16, 3))
    y = L.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(x)
    y = L.BatchNormalization()(y)
    s = L.ReLU(max_value=6.0)(y)
    y = L.DepthwiseConv2D(3, padding="same", use_bias=False)(s)
    y = L.BatchNormalization()(y)
    y = L.ReLU(max_value=6.0)(y)
    y = L.Conv2D(8, 1, use_bias=False)(y)
    y = L.BatchNormalization()(y)
    y = L.Add()([s, y])
    y = L.GlobalAveragePooling2D()(y)
    return K.Model(x, L.Dense(10)(y), name="mobilenet")


def concat() -> tf.keras.Model:
    x = K.Input((16, 16, 4))
    s = L.Conv2D(8, 1, activation="relu")(x)
    a = L.Conv2D(4, 1, activation="relu")(s)
    b = L.Conv2D(4, 3, padding="same", activation="relu")(s)
    y = L.Concatenate()([a, b])
    y = L.ReLU()(L.Add()([s, y]))
    y = L.GlobalAveragePooling2D()(y)
    return K.Model(x, L.Dense(10)(y), name="concat")


def mobilenetv2() -> tf.keras.Model:
    return K.applications.MobileNetV2(weights=None, alpha=0.35, input_shape=(32, 32, 3),
                                      classes=10)


def seed_weights(model: tf.keras.Model, seed: int) -> None:
    """Seeded weights: He-normal kernels, small biases, batch-norm statistics away from 0/1."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        new = []
        for w in layer.weights:
            shape, name = tuple(w.shape), w.name
            if "depthwise_kernel" in name:
                v = rng.normal(0, np.sqrt(2.0 / (shape[0] * shape[1])), shape)
            elif "kernel" in name:
                v = rng.normal(0, np.sqrt(2.0 / np.prod(shape[:-1])), shape)
            elif "gamma" in name:
                v = rng.uniform(0.5, 1.5, shape)
            elif "moving_variance" in name:
                v = rng.uniform(0.5, 2.0, shape)
            else:  # bias, beta, moving_mean
                v = rng.normal(0, 0.1, shape)
            new.append(v.astype(np.float32))
        if new:
            layer.set_weights(new)


def export(model: tf.keras.Model, shape_nhwc: list[int], out: Path, key: str, seed: int,
           opsets=OPSETS) -> None:
    seed_weights(model, seed)
    rng = np.random.default_rng(seed + 1)
    h, w, c = shape_nhwc
    xs = rng.uniform(0.0, 1.0, size=[N_INPUTS, c, h, w]).astype(np.float32)
    np.save(out / f"{key}-inputs.npy", xs)
    for opset in opsets:
        spec = (tf.TensorSpec((None, h, w, c), tf.float32, name="input"),)
        path = out / f"{key}-opset{opset}.onnx"
        proto, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=opset,
                                              output_path=str(path))
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        name = sess.get_inputs()[0].name
        fed = xs.transpose(0, 2, 3, 1)
        ys = np.concatenate([sess.run(None, {name: fed[i:i + 1]})[0] for i in range(N_INPUTS)])
        keras_ys = model(fed, training=False).numpy()
        gap = float(np.abs(ys - keras_ys).max())
        assert gap < 1e-4, f"{key}: onnxruntime and Keras differ by {gap}"
        np.save(out / f"{key}-opset{opset}-outputs.npy", ys.astype(np.float32))
        print(f"{key}-opset{opset}: {path.stat().st_size} bytes, "
              f"{[n.op_type for n in proto.graph.node]}, outputs {ys.shape}, "
              f"|onnxruntime - keras| {gap:.2e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent
                        / "fixtures" / "keras")
    parser.add_argument("--mobilenetv2", type=Path, default=None,
                        help="also export MobileNetV2 (alpha 0.35, 32x32) into this directory")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"tensorflow {tf.__version__}, tf2onnx {tf2onnx.__version__}, "
          f"onnxruntime {ort.__version__}")
    tf.random.set_seed(14)
    export(cnn(), [16, 16, 3], args.out, "cnn", 1401)
    export(mobilenet(), [16, 16, 3], args.out, "mobilenet", 1402)
    export(concat(), [16, 16, 4], args.out, "concat", 1403)
    if args.mobilenetv2 is not None:
        args.mobilenetv2.mkdir(parents=True, exist_ok=True)
        export(mobilenetv2(), [32, 32, 3], args.mobilenetv2, "mobilenetv2", 1404)


if __name__ == "__main__":
    main()
