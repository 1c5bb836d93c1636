#!/usr/bin/env python3
"""Generate the small ONNX models in fixtures/onnx-ops/ that tests/suite/onnx.rs imports.

Two kinds, all seeded and opset 14 (see OPSET) unless a model needs a later operator set:

* supported: one tiny float model per supported operator (or operator pattern). Each comes
  with `<name>-inputs.npy` (8 seeded inputs, batch dimension kept: [8, ...]) and
  `<name>-outputs.npy` (the `onnx` package's ReferenceEvaluator on each input, one at a time).
  The `flatten-*` models hold the shape arithmetic torch's and tf2onnx's exporters write
  around a flatten; `flatten-dynamo` is saved as torch >= 2.9 saves models, with its weights in
  a side file (`flatten-dynamo.onnx.data`, external data), and again with embedded weights as
  `flatten-dynamo-embedded.onnx`. `keras-nhwc` is tf2onnx's layout for Keras (an NHWC input
  and a Transpose back to NHWC before the Flatten); its inputs are stored in NCHW, the layout
  the import gives the model (see NHWC_INPUT);
* lowered: models once refused that now import onto other layers (`lowered-<what>.onnx`,
  no reference outputs; tests/suite/onnx.rs checks the layers they become);
* rejected: one model per unsupported operator or attribute value, which the import must
  refuse with an error naming the node (`rejected-<what>.onnx`; tests/suite/onnx.rs lists the
  expected error and node of each).

Usage (from the repository root): python tools/make_onnx_tests.py [--out fixtures/onnx-ops]
Needs: pip install onnx numpy.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

# Opset 14, not 13: onnx 1.23's ReferenceEvaluator runs BatchNormalization of opsets 9-13 with
# batch statistics whenever `momentum` is set (and it fills in the schema default 0.9), which is
# not the inference semantics of the spec; its opset-14 kernel honours training_mode = 0.
OPSET = 14
N_INPUTS = 8


class Net:
    """A graph under construction: nodes, initializers, one float input."""

    def __init__(self, name: str, shape: list[int], seed: int, elem=TensorProto.FLOAT):
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.input = helper.make_tensor_value_info("x", elem, shape)
        self.shape = shape
        self.last = "x"
        self.count = 0

    def weight(self, shape: list[int], scale: float = 0.5, raw: bool = True) -> str:
        """A seeded float initializer, in raw_data (or float_data with raw=False)."""
        name = f"w{len(self.inits)}"
        value = (self.rng.standard_normal(shape) * scale).astype(np.float32)
        self.inits.append(self.tensor(value, name, raw))
        return name

    def const(self, value: np.ndarray, raw: bool = True) -> str:
        name = f"c{len(self.inits)}"
        self.inits.append(self.tensor(value, name, raw))
        return name

    @staticmethod
    def tensor(value: np.ndarray, name: str, raw: bool) -> onnx.TensorProto:
        if raw:
            return numpy_helper.from_array(value, name)
        kind = helper.np_dtype_to_tensor_dtype(value.dtype)
        return helper.make_tensor(name, kind, value.shape, value.flatten().tolist())

    def op(self, op_type: str, inputs: list[str] | None = None, n_out: int = 1,
           name: str | None = None, **attrs) -> str:
        self.count += 1
        node_name = name or f"{op_type.lower()}{self.count}"
        outs = [f"t{self.count}"] + [f"t{self.count}_{k}" for k in range(1, n_out)]
        ins = [self.last] if inputs is None else inputs
        self.nodes.append(helper.make_node(op_type, ins, outs, name=node_name, **attrs))
        self.last = outs[0]
        return outs[0]

    def const_node(self, value: np.ndarray) -> str:
        """A Constant node holding `value` (a tensor attribute)."""
        return self.op("Constant", [], value=numpy_helper.from_array(value))

    def model(self, out_elem=TensorProto.FLOAT, opset: int = OPSET) -> onnx.ModelProto:
        out = helper.make_tensor_value_info(self.last, out_elem, None)
        graph = helper.make_graph(self.nodes, self.name, [self.input], [out], self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                                  producer_name="zkcnn make_onnx_tests.py")
        model.ir_version = 8
        # Fill in the output's shape (the checker wants one) by shape inference.
        inferred = onnx.shape_inference.infer_shapes(model)
        for vi in list(inferred.graph.value_info) + list(inferred.graph.output):
            if vi.name == self.last and vi.type.tensor_type.HasField("shape"):
                model.graph.output[0].CopyFrom(vi)
        return model


def conv(net: Net, cin: int, cout: int, k: int, bias: bool = True, **attrs) -> str:
    ins = [net.last, net.weight([cout, cin, k, k])]
    if bias:
        ins.append(net.weight([cout], 0.1))
    return net.op("Conv", ins, **attrs)


def gemm(net: Net, fin: int, fout: int, trans_b: int = 1, **attrs) -> str:
    w = net.weight([fout, fin] if trans_b else [fin, fout], 0.4)
    return net.op("Gemm", [net.last, w, net.weight([fout], 0.1)], transB=trans_b, **attrs)


def batchnorm(net: Net, c: int) -> str:
    """Inference BatchNormalization of `c` channels with seeded statistics."""
    bn = [net.const((1 + 0.3 * net.rng.standard_normal(c)).astype(np.float32)),
          net.const((0.2 * net.rng.standard_normal(c)).astype(np.float32)),
          net.const((0.3 * net.rng.standard_normal(c)).astype(np.float32)),
          net.const((0.5 + net.rng.random(c)).astype(np.float32))]
    return net.op("BatchNormalization", [net.last] + bn, epsilon=1e-3)


def supported() -> dict[str, onnx.ModelProto]:
    models = {}

    n = Net("conv_relu", [1, 1, 6, 6], 1)
    conv(n, 1, 2, 3, pads=[1, 1, 1, 1], kernel_shape=[3, 3])
    n.op("Relu")
    models["conv-relu"] = n.model()

    n = Net("conv_stride", [1, 2, 7, 7], 2)
    conv(n, 2, 3, 3, bias=False, strides=[2, 2])
    models["conv-stride"] = n.model()

    # MobileNetV2's inverted residual block without its residual (and ReLU for ReLU6): a 1×1
    # expansion, a 3×3 depthwise convolution (group = channels) with stride 2 and padding 1,
    # a 1×1 projection.
    n = Net("conv_depthwise", [1, 4, 7, 7], 40)
    conv(n, 4, 8, 1)
    n.op("Relu")
    conv(n, 1, 8, 3, group=8, strides=[2, 2], pads=[1, 1, 1, 1])
    n.op("Relu")
    conv(n, 8, 4, 1)
    models["conv-depthwise"] = n.model()

    # Grouped convolutions (ResNeXt-style): 2 groups of 2 → 4 channels, then 4 groups of
    # 2 → 1 channel, odd sides.
    n = Net("conv_grouped", [1, 4, 7, 5], 41)
    conv(n, 2, 8, 3, group=2, pads=[1, 1, 1, 1])
    n.op("Relu")
    conv(n, 2, 4, 3, group=4, strides=[2, 2])
    models["conv-grouped"] = n.model()

    # Weights in float_data (not raw_data).
    n = Net("gemm", [1, 8], 3)
    n.op("Gemm", [n.last, n.weight([6, 8], 0.4, raw=False), n.weight([6], 0.1, raw=False)],
         transB=1)
    n.op("Relu")
    gemm(n, 6, 4, trans_b=0)
    models["gemm"] = n.model()

    # A Reshape of a flat tensor to [1, -1] (dropped), its shape an int64_data initializer.
    n = Net("reshape_flat", [1, 8], 13)
    gemm(n, 8, 6)
    n.op("Reshape", [n.last, n.const(np.array([1, -1], np.int64), raw=False)])
    gemm(n, 6, 3)
    models["reshape-flat"] = n.model()

    n = Net("matmul_add", [1, 8], 4)
    n.op("MatMul", [n.last, n.weight([8, 5])])
    n.op("Add", [n.last, n.weight([5], 0.1)])
    models["matmul-add"] = n.model()

    n = Net("maxpool", [1, 1, 8, 8], 5)
    conv(n, 1, 2, 3, pads=[1, 1, 1, 1])
    n.op("MaxPool", kernel_shape=[2, 2], strides=[2, 2])
    models["maxpool"] = n.model()

    # Max-pools of other windows: ResNet's stem (3x3, stride 2, pads 1), GoogLeNet's ceil mode
    # (a last, partial window), a 3x3 stride-1 pool, and Keras's `same` padding (trailing
    # padding only, which the import maps to ceil mode).
    n = Net("maxpool_stem", [1, 1, 9, 9], 14)
    conv(n, 1, 2, 3, pads=[1, 1, 1, 1])
    n.op("MaxPool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    models["maxpool-stem"] = n.model()

    n = Net("maxpool_ceil", [1, 1, 8, 8], 15)
    conv(n, 1, 2, 3)
    n.op("MaxPool", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
    models["maxpool-ceil"] = n.model()

    n = Net("maxpool_3x3_s1", [1, 1, 6, 6], 16)
    conv(n, 1, 2, 3, pads=[1, 1, 1, 1])
    n.op("MaxPool", kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])
    models["maxpool-3x3-s1"] = n.model()

    n = Net("maxpool_same_upper", [1, 1, 6, 6], 17)
    conv(n, 1, 2, 3, pads=[1, 1, 1, 1])
    n.op("MaxPool", kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 1, 1])
    models["maxpool-same-upper"] = n.model()

    n = Net("averagepool", [1, 1, 8, 8], 6)
    conv(n, 1, 2, 3, pads=[1, 1, 1, 1])
    n.op("AveragePool", kernel_shape=[2, 2], strides=[2, 2])
    models["averagepool"] = n.model()

    n = Net("global_averagepool", [1, 1, 6, 6], 7)
    conv(n, 1, 3, 3)
    n.op("Relu")
    n.op("GlobalAveragePool")
    n.op("Flatten", axis=1)
    gemm(n, 3, 2)
    models["global-averagepool"] = n.model()

    n = Net("reshape", [1, 1, 6, 6], 8)
    conv(n, 1, 2, 3, strides=[2, 2])
    shape = n.op("Constant", [], value=numpy_helper.from_array(np.array([1, -1], np.int64)))
    n.op("Reshape", ["t1", shape])
    gemm(n, 8, 3)
    models["reshape"] = n.model()

    n = Net("residual_add", [1, 2, 6, 6], 9)
    conv(n, 2, 2, 3, pads=[1, 1, 1, 1])
    skip = n.op("Relu")
    conv(n, 2, 2, 3, pads=[1, 1, 1, 1])
    n.op("Add", [skip, n.last])
    n.op("Relu")
    models["residual-add"] = n.model()

    # DAGs. A ResNet basic block with a 1×1 stride-2 projection shortcut: the stem's output is
    # read by the main branch (conv, BN, ReLU, conv, BN) and by the shortcut (conv, BN).
    n = Net("resnet_projection", [1, 4, 8, 8], 21)
    conv(n, 4, 4, 3, pads=[1, 1, 1, 1])
    stem = n.op("Relu")
    conv(n, 4, 8, 3, pads=[1, 1, 1, 1], strides=[2, 2])
    batchnorm(n, 8)
    n.op("Relu")
    conv(n, 8, 8, 3, pads=[1, 1, 1, 1])
    main_branch = batchnorm(n, 8)
    n.last = stem
    conv(n, 4, 8, 1, strides=[2, 2])
    shortcut = batchnorm(n, 8)
    n.op("Add", [main_branch, shortcut])
    n.op("Relu")
    n.op("GlobalAveragePool")
    n.op("Flatten", axis=1)
    gemm(n, 8, 3)
    models["resnet-projection"] = n.model()

    # A SqueezeNet Fire module: squeeze 1×1, then expand 1×1 and 3×3 (both reading the squeeze)
    # concatenated along channels (4 + 5: not powers of two).
    n = Net("fire_concat", [1, 8, 6, 6], 22)
    conv(n, 8, 3, 1)
    squeeze = n.op("Relu")
    conv(n, 3, 4, 1)
    e1 = n.op("Relu")
    n.last = squeeze
    conv(n, 3, 5, 3, pads=[1, 1, 1, 1])
    e3 = n.op("Relu")
    n.op("Concat", [e1, e3], axis=1)
    conv(n, 9, 4, 1)
    n.op("Relu")
    n.op("AveragePool", kernel_shape=[2, 2], strides=[2, 2])
    n.op("Flatten", axis=1)
    gemm(n, 36, 3)
    models["fire-concat"] = n.model()

    # SqueezeNet's pattern: a Fire module's concatenation max-pooled (3×3, stride 2, ceil mode).
    n = Net("fire_maxpool", [1, 4, 7, 7], 23)
    conv(n, 4, 2, 1)
    squeeze = n.op("Relu")
    conv(n, 2, 3, 1)
    e1 = n.op("Relu")
    n.last = squeeze
    conv(n, 2, 3, 3, pads=[1, 1, 1, 1])
    e3 = n.op("Relu")
    n.op("Concat", [e1, e3], axis=1)
    n.op("MaxPool", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
    n.op("Flatten", axis=1)
    gemm(n, 54, 3)
    models["fire-maxpool"] = n.model()

    # ShuffleNetV2's unit as the dynamo exporter writes it (opset 18): the channels split in
    # two (Split, num_outputs), one half through a 1×1 Conv, concatenated with the other, then
    # the channel shuffle (Reshape to [1, 2, C/2, H, W], Transpose [0, 2, 1, 3, 4], Reshape
    # back) and a second unit on the shuffled tensor; a 1×1 Conv reads the last shuffle.
    n = Net("channel_shuffle", [1, 8, 4, 4], 24)
    x = n.last

    def shuffle_unit(n: Net, src: str, opset18: bool) -> str:
        if opset18:
            halves = n.op("Split", [src], n_out=2, axis=1, num_outputs=2)
        else:
            halves = n.op("Split", [src, n.const(np.array([4, 4], np.int64))], n_out=2, axis=1)
        a, b = halves, halves + "_1"
        n.last = b
        conv(n, 4, 4, 1)
        r = n.op("Relu")
        cat = n.op("Concat", [a, r], axis=1)
        v = n.op("Reshape", [cat, n.const(np.array([1, 2, 4, 4, 4], np.int64))])
        t = n.op("Transpose", [v], perm=[0, 2, 1, 3, 4])
        return n.op("Reshape", [t, n.const(np.array([1, 8, 4, 4], np.int64))])

    y = shuffle_unit(n, x, True)
    y = shuffle_unit(n, y, True)
    n.last = y
    conv(n, 8, 3, 1)
    models["channel-shuffle"] = n.model(opset=18)

    # The same unit as the legacy (TorchScript) exporter writes `chunk`: two Slices of the
    # channels whose bounds are shape arithmetic (Shape, Gather, Div, Mul), folded at import;
    # and a Split with a `split` input (opset 14). The shuffled tensor goes to a Relu (a
    # reader other than a Conv: a selection layer).
    n = Net("channel_shuffle_slice", [1, 8, 4, 4], 25)
    x = n.last
    c = n.op("Gather", [n.op("Shape", [x]), n.const(np.array(1, np.int64))], axis=0)
    half = n.op("Div", [c, n.const(np.array(2, np.int64))])
    end = n.op("Mul", [half, n.const(np.array(2, np.int64))])
    one_d = n.const(np.array([0], np.int64))
    a = n.op("Slice", [x, n.const(np.array([0], np.int64)),
                       n.op("Unsqueeze", [half, one_d]), n.const(np.array([1], np.int64))])
    b = n.op("Slice", [x, n.op("Unsqueeze", [half, one_d]), n.op("Unsqueeze", [end, one_d]),
                       n.const(np.array([1], np.int64))])
    n.last = b
    conv(n, 4, 4, 3, pads=[1, 1, 1, 1])
    r = n.op("Relu")
    cat = n.op("Concat", [a, r], axis=1)
    v = n.op("Reshape", [cat, n.const(np.array([1, 2, 4, 4, 4], np.int64))])
    t = n.op("Transpose", [v], perm=[0, 2, 1, 3, 4])
    s = n.op("Reshape", [t, n.const(np.array([1, 8, 4, 4], np.int64))])
    y = shuffle_unit(n, s, False)
    n.op("Relu", [y])
    models["channel-shuffle-slice"] = n.model()

    # Two branches from one Gemm (a diamond, refused while the IR was a chain).
    n = Net("diamond", [1, 8], 20)
    a = gemm(n, 8, 4)
    b = gemm(n, 4, 4)
    n.last = a
    n.op("Relu", [a], name="relu_a")
    n.op("Add", [b, n.last])
    models["diamond"] = n.model()

    n = Net("batchnorm", [1, 1, 6, 6], 10)
    conv(n, 1, 3, 3, pads=[1, 1, 1, 1])
    bn = [n.const((1 + 0.3 * n.rng.standard_normal(3)).astype(np.float32)),
          n.const((0.2 * n.rng.standard_normal(3)).astype(np.float32)),
          n.const((0.3 * n.rng.standard_normal(3)).astype(np.float32)),
          n.const((0.5 + n.rng.random(3)).astype(np.float32))]
    n.op("BatchNormalization", [n.last] + bn, epsilon=1e-3)
    n.op("Relu")
    models["batchnorm"] = n.model()

    n = Net("dropout_identity", [1, 8], 11)
    gemm(n, 8, 6)
    n.op("Dropout", [n.last, n.const(np.array(0.3, np.float32))], n_out=2)
    n.op("Identity")
    gemm(n, 6, 3)
    models["dropout-identity"] = n.model()

    n = Net("softmax_argmax", [1, 8], 12)
    gemm(n, 8, 5)
    n.op("Softmax", axis=1)
    n.op("ArgMax", axis=1, keepdims=1)
    models["softmax-argmax"] = n.model(out_elem=TensorProto.INT64)

    # torch's TorchScript exporter, `x.view(x.size(0), -1)`:
    # Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0), [0]), [-1])).
    n = Net("flatten_torchscript", [1, 1, 6, 6], 14)
    conv(n, 1, 2, 3, strides=[2, 2])
    x = n.op("Relu")
    shape = n.op("Shape", [x])
    batch = n.op("Gather", [shape, n.const_node(np.array(0, np.int64))], axis=0)
    batch = n.op("Unsqueeze", [batch, n.const_node(np.array([0], np.int64))])
    target = n.op("Concat", [batch, n.const_node(np.array([-1], np.int64))], axis=0)
    n.op("Reshape", [x, target])
    gemm(n, 8, 3)
    models["flatten-torchscript"] = n.model()

    # torch's dynamo exporter with a dynamic batch (opset 18): the batch size from
    # Shape(start=0, end=1), squeezed to a scalar and unsqueezed back, a `value_ints` Constant,
    # an identity Reshape, and the weights stored as external data (see main()).
    n = Net("flatten_dynamo", [1, 2, 6, 6], 15)
    conv(n, 2, 3, 3, pads=[1, 1, 1, 1])
    x = n.op("Relu")
    n.op("Reshape", [x, n.op("Shape", [x])])
    x = n.op("MaxPool", kernel_shape=[2, 2], strides=[2, 2])
    size = n.op("Shape", [x], start=0, end=1)
    size = n.op("Squeeze", [size, n.const(np.array([0], np.int64))])
    size = n.op("Unsqueeze", [size, n.const(np.array([0], np.int64))])
    minus_one = n.op("Constant", [], value_ints=[-1])
    target = n.op("Concat", [size, minus_one], axis=0)
    n.op("Reshape", [x, target])
    gemm(n, 27, 4)
    models["flatten-dynamo"] = n.model(opset=18)

    # tf2onnx's Keras Flatten: the batch size by Slice on an int32 Cast of Shape(x), the
    # feature count by integer arithmetic on the dimensions (C * H * W / 1 + 0, the 0 from a
    # ConstantOfShape), and a Cast of the activation to FLOAT (the identity).
    n = Net("flatten_tf2onnx", [1, 1, 8, 8], 16)
    conv(n, 1, 2, 3)
    x = n.op("Cast", to=TensorProto.FLOAT)
    shape = n.op("Cast", [n.op("Shape", [x])], to=TensorProto.INT32)
    batch = n.op("Slice", [shape, n.const(np.array([0], np.int32)),
                           n.const(np.array([1], np.int32)), n.const(np.array([0], np.int32))])
    dims = [n.op("Gather", [shape, n.const(np.array([k], np.int64))], axis=0) for k in (1, 2, 3)]
    features = n.op("Mul", [n.op("Mul", [dims[0], dims[1]]), dims[2]])
    features = n.op("Div", [features, n.const(np.array([1], np.int32))])
    zero = n.op("ConstantOfShape", [n.const(np.array([1], np.int64))],
                value=numpy_helper.from_array(np.array([0], np.int32)))
    features = n.op("Add", [features, zero])
    target = n.op("Cast", [n.op("Concat", [batch, features], axis=0)], to=TensorProto.INT64)
    n.op("Reshape", [x, target])
    gemm(n, 72, 3)
    models["flatten-tf2onnx"] = n.model()

    # tf2onnx's Keras CNN: an NHWC input transposed to NCHW for the Conv, transposed back to
    # NHWC before the Flatten, and a Dense (MatMul + Add) whose weights read the NHWC order.
    n = Net("keras_nhwc", [1, 6, 6, 2], 17)
    n.op("Transpose", perm=[0, 3, 1, 2])
    conv(n, 2, 3, 3, pads=[1, 1, 1, 1])
    n.op("Relu")
    x = n.op("Transpose", perm=[0, 2, 3, 1])
    batch = n.op("Slice", [n.op("Shape", [x]), n.const(np.array([0], np.int64)),
                           n.const(np.array([1], np.int64))])
    n.op("Reshape", [x, n.op("Concat", [batch, n.const(np.array([-1], np.int64))], axis=0)])
    n.op("MatMul", [n.last, n.weight([108, 4], 0.3)])
    n.op("Add", [n.last, n.weight([4], 0.1)])
    models["keras-nhwc"] = n.model()
    return models


# Models whose graph input is NHWC: the import takes their input in NCHW (the Transpose at the
# input is absorbed), so their `-inputs.npy` are NCHW and the reference runs on the transpose.
NHWC_INPUT = {"keras-nhwc"}


def lowered() -> dict[str, onnx.ModelProto]:
    """Models once refused, now lowered onto other layers (`lowered-<what>.onnx`, no reference
    outputs; tests/suite/onnx.rs checks the layers they become): a 3×3 average pool (a depthwise
    convolution of weights 1/9), a BatchNormalization after a Gemm (folded into it) and a Conv
    with pads [0, 0, 1, 1] (a 4×4 kernel with padding 1)."""
    models = {}

    def one(key: str, shape: list[int], build):
        n = Net(key.replace("-", "_"), shape, 20)
        build(n)
        models[key] = n.model()

    one("averagepool-3x3", [1, 1, 6, 6],
        lambda n: n.op("AveragePool", kernel_shape=[3, 3], strides=[3, 3]))

    def bn_after_gemm(n: Net):
        gemm(n, 8, 3)
        n.op("BatchNormalization", [n.last] + [n.const(np.ones(3, np.float32))] * 4,
             name="bn2")
    one("batchnorm-after-gemm", [1, 8], bn_after_gemm)
    # TF's stride-1 `same` with an even kernel writes pads like these: equal padding 1 and a
    # kernel grown by a zero row and column.
    one("conv-asymmetric-pads", [1, 1, 6, 6], lambda n: conv(n, 1, 2, 3, pads=[0, 0, 1, 1]))
    return models


def rejected() -> dict[str, tuple[onnx.ModelProto, str]]:
    """Each model and the name of the node the error must name."""
    models = {}

    def one(key: str, shape: list[int], build, seed: int = 20, elem=TensorProto.FLOAT,
            out_elem=TensorProto.FLOAT):
        n = Net(key.replace("-", "_"), shape, seed, elem)
        build(n)
        models[key] = (n.model(out_elem), n.nodes[-1].name if key not in NAMED else NAMED[key])

    NAMED = {"op-after-softmax": "bad",
             "int-input": "x", "batch-2": "x", "gather-on-activation": "gather2",
             "nhwc-not-flattened": "relu3", "concat-spatial": "bad"}
    # 3 groups do not divide 2 channels.
    one("conv-group", [1, 2, 6, 6], lambda n: conv(n, 1, 3, 3, group=3))
    # 2 groups of 1 → 3 channels: imported, but the prover needs powers of two per group.
    one("conv-group-widths", [1, 2, 8, 8], lambda n: conv(n, 1, 6, 3, group=2))
    one("conv-dilations", [1, 1, 6, 6], lambda n: conv(n, 1, 2, 3, dilations=[2, 2]))
    # Unequal pads of a kernel side or more (below it: lowered-conv-asymmetric-pads).
    one("conv-pads-beyond-kernel", [1, 1, 6, 6], lambda n: conv(n, 1, 2, 3, pads=[0, 0, 3, 3]))
    one("conv-auto-pad", [1, 1, 6, 6], lambda n: conv(n, 1, 2, 3, auto_pad="SAME_UPPER"))
    one("averagepool-ceil-mode", [1, 1, 7, 7],
        lambda n: n.op("AveragePool", kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1))
    one("maxpool-rectangular", [1, 1, 6, 6],
        lambda n: n.op("MaxPool", kernel_shape=[2, 3], strides=[2, 2]))
    one("maxpool-asymmetric-pads", [1, 1, 6, 6],
        lambda n: n.op("MaxPool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 0, 1, 0]))
    one("gemm-alpha", [1, 8], lambda n: gemm(n, 8, 3, alpha=0.5))
    one("gemm-beta", [1, 8], lambda n: gemm(n, 8, 3, beta=2.0))
    one("gemm-trans-a", [1, 8], lambda n: n.op(
        "Gemm", [n.last, n.weight([1, 3])], transA=1))
    one("reshape-not-flatten", [1, 8], lambda n: n.op(
        "Reshape", [n.last, n.const(np.array([1, 2, 4], np.int64))]))
    one("unknown-op", [1, 8], lambda n: (gemm(n, 8, 3), n.op("Hardmax")))

    def after_softmax(n: Net):
        gemm(n, 8, 3)
        n.op("Softmax", axis=1)
        n.op("Relu", name="bad")
    one("op-after-softmax", [1, 8], after_softmax)

    def concat_spatial(n: Net):
        conv(n, 1, 2, 3)
        n.op("Concat", [n.last, n.last], axis=2, name="bad")
    one("concat-spatial", [1, 1, 6, 6], concat_spatial)


    def int_input(n: Net):
        n.op("Cast", to=TensorProto.FLOAT)
        gemm(n, 8, 3)
    one("int-input", [1, 8], int_input, elem=TensorProto.INT64)
    one("batch-2", [2, 8], lambda n: gemm(n, 8, 3))

    def gather_on_activation(n: Net):
        gemm(n, 8, 4)
        n.op("Gather", [n.last, n.const(np.array([0, 1], np.int64))], axis=1)
        gemm(n, 2, 3)
    one("gather-on-activation", [1, 8], gather_on_activation)

    def nhwc_not_flattened(n: Net):
        conv(n, 1, 2, 3)
        n.op("Transpose", perm=[0, 2, 3, 1])
        n.op("Relu")
    one("nhwc-not-flattened", [1, 1, 6, 6], nhwc_not_flattened)

    # A channel shuffle's 5-D view read by anything but its Transpose and Reshape back.
    def grouped_view_read(n: Net):
        n.op("Reshape", [n.last, n.const(np.array([1, 2, 2, 4, 4], np.int64))])
        n.op("Relu")
    one("grouped-view-read", [1, 4, 4, 4], grouped_view_read)
    return models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent
                        / "fixtures" / "onnx-ops")
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    for key, model in supported().items():
        onnx.checker.check_model(model, full_check=True)
        shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
        if key in NHWC_INPUT:
            shape = [shape[0], shape[3], shape[1], shape[2]]
        rng = np.random.default_rng(sum(key.encode()))
        xs = rng.uniform(-1.0, 1.0, size=[N_INPUTS] + shape[1:]).astype(np.float32)
        fed = xs.transpose(0, 2, 3, 1) if key in NHWC_INPUT else xs
        sess = ReferenceEvaluator(model)
        ys = np.concatenate([sess.run(None, {"x": fed[i:i + 1]})[0] for i in range(N_INPUTS)])
        if key == "flatten-dynamo":
            # As torch >= 2.9 saves: every initializer in one side file next to the model.
            onnx.save(model, str(out / f"{key}-embedded.onnx"))
            onnx.save(model, str(out / f"{key}.onnx"), save_as_external_data=True,
                      all_tensors_to_one_file=True, location=f"{key}.onnx.data",
                      size_threshold=0)
        else:
            onnx.save(model, str(out / f"{key}.onnx"))
        np.save(out / f"{key}-inputs.npy", xs)
        np.save(out / f"{key}-outputs.npy", ys)
        print(f"{key}: {[n.op_type for n in model.graph.node]} -> {ys.shape} {ys.dtype}")
    for key, model in lowered().items():
        onnx.save(model, str(out / f"lowered-{key}.onnx"))
        print(f"lowered-{key}: {[n.op_type for n in model.graph.node]}")
    for key, (model, node) in rejected().items():
        onnx.save(model, str(out / f"rejected-{key}.onnx"))
        print(f"rejected-{key}: {[n.op_type for n in model.graph.node]}, names {node!r}")


if __name__ == "__main__":
    main()
