//! The element-wise product layer (`spec/mul.md`): integer inference against a hand loop,
//! validation, round trips (both fields), a cheating prover and tamper tests with exact errors,
//! transparent and in zero knowledge.

use ark_ff::{Field, One};

use ndarray::ArrayD;
use proptest::prelude::*;
use rand::{rngs::StdRng, SeedableRng};
use zkcnn::field::{BaseField, Bn254Fr, ExtField, Goldilocks, GoldilocksExt2};
use zkcnn::layers::LayerError;
use zkcnn::model::activation::Function;
use zkcnn::model::{
    infer, zoo, Activation, AvgPool2d, Conv2d, Dense, Layer, LayerKind, Model, ModelError, Mul,
};
use zkcnn::network::{self, cheat, ConvPolicy, VerifyError};
use zkcnn::sumcheck::SumcheckError;

fn weights(n: usize, seed: u64) -> Vec<i64> {
    (0..n as u64)
        .map(|i| ((i * 37 + seed * 11) % 15) as i64 - 7)
        .collect()
}

fn conv(ci: usize, co: usize, k: usize, seed: u64) -> Layer {
    Layer::Conv2d(Conv2d {
        input: None,
        in_channels: ci,
        out_channels: co,
        kernel: [k, k],
        stride: 1,
        padding: k / 2,
        weights: weights(co * ci * k * k, seed),
        bias: weights(co, seed + 1),
        shift: 0,
        groups: 1,
    })
}

/// A squeeze-and-excitation block on `[c, h, w]`: `x = relu(conv(input))` (tensor 2), the
/// channel scale `s = HardSigmoid(conv1×1(avg-pool(x)))` (tensor 5, `[c, 1, 1]`), `x·s`
/// broadcast (tensor 6), then `x·s` times the conv's output elementwise (tensor 7), a
/// flatten and a dense layer. `h` and `w` are equal powers of two (the pool covers the
/// whole plane).
fn se_block(c: usize, hw: usize, seed: u64) -> Model {
    let mut m = Model {
        name: "se-block".into(),
        input_shape: vec![c, hw, hw],
        activation_bits: 8,
        weight_bits: 8,
        layers: vec![
            conv(c, c, 3, seed),
            Layer::RELU,
            Layer::AvgPool2d(AvgPool2d {
                divisor: 1,
                input: None,
                size: hw,
                stride: hw,
                shift: 0,
            }),
            conv(c, c, 1, seed + 3),
            Layer::Activation(Activation {
                function: Function::HardSigmoid {
                    alpha: 13107,
                    beta: 32768,
                    in_frac_bits: 4,
                    out_frac_bits: 6,
                },
                input: None,
            }),
            Layer::Mul(Mul {
                input: Some(2),
                from: 4,
                shift: 0,
            }),
            Layer::Mul(Mul {
                input: None,
                from: 0,
                shift: 0,
            }),
            Layer::FLATTEN,
            Layer::Dense(Dense {
                input: None,
                in_features: c * hw * hw,
                out_features: 3,
                weights: weights(3 * c * hw * hw, seed + 5),
                bias: weights(3, seed + 6),
                shift: 0,
            }),
        ],
        quantization: None,
        saturate: false,
        bias_bits: 32,
    };
    calibrate(&mut m);
    m
}

fn calibrate(m: &mut Model) {
    let samples: Vec<_> = (0..4)
        .map(|i| zoo::random_input(&m.input_shape, m.activation_bits, 1000 + i))
        .collect();
    zoo::calibrate_shifts(m, &samples).unwrap();
}

/// `acc[i] = a[i]·b[i]` or `a[c][y][x]·b[c]`, by a hand loop over logical indices.
fn hand_products(a: &ArrayD<i64>, b: &ArrayD<i64>) -> Vec<i64> {
    let s = a.shape();
    let mut out = Vec::new();
    if a.shape() == b.shape() {
        for (x, y) in a.iter().zip(b.iter()) {
            out.push(x * y);
        }
        return out;
    }
    let b: Vec<i64> = b.iter().copied().collect();
    for c in 0..s[0] {
        for y in 0..s[1] {
            for x in 0..s[2] {
                out.push(a[[c, y, x]] * b[c]);
            }
        }
    }
    out
}

#[test]
fn inference_matches_a_hand_loop() {
    let m = se_block(3, 4, 1);
    let input = zoo::random_input(&m.input_shape, 8, 1001);
    let trace = infer(&m, &input).unwrap();
    let tensor = |t: usize| -> &ArrayD<i64> { &trace.outputs[t - 1] };
    for (l, a, b) in [(5, 2, 5), (6, 6, 1)] {
        let acc = trace.accumulators[l].as_ref().unwrap();
        let acc: Vec<i64> = acc.iter().copied().collect();
        assert_eq!(acc, hand_products(tensor(a), tensor(b)), "layer {l}");
        let shift = m.layers[l].shift().unwrap();
        let out: Vec<i64> = trace.outputs[l].iter().copied().collect();
        let expected: Vec<i64> = acc
            .iter()
            .map(|&v| zkcnn::model::round_shift(v, shift))
            .collect();
        assert_eq!(out, expected, "layer {l}");
    }
    // The per-channel operand is a real scale: not all equal, and the products differ from a.
    assert_ne!(m.layers[5].shift(), None);
}

#[test]
fn validation_takes_the_same_shape_or_one_value_per_channel() {
    let base = |n: usize| Model {
        name: "v".into(),
        input_shape: vec![2, 2, 2],
        activation_bits: 8,
        weight_bits: 8,
        layers: vec![
            Layer::FLATTEN,
            Layer::Dense(Dense {
                input: None,
                in_features: 8,
                out_features: n,
                weights: vec![1; 8 * n],
                bias: vec![0; n],
                shift: 0,
            }),
            Layer::Mul(Mul {
                input: Some(0),
                from: 1,
                shift: 0,
            }),
        ],
        quantization: None,
        saturate: false,
        bias_bits: 32,
    };
    // `[2]` per channel of `[2, 2, 2]`: accepted.
    assert_eq!(base(2).validate().unwrap()[2], vec![2, 2, 2]);
    // `[8]`, `[3]`: refused, naming both shapes.
    for n in [8, 3] {
        assert_eq!(
            base(n).validate().unwrap_err(),
            ModelError::MulShapeMismatch {
                layer: 2,
                kind: LayerKind::Mul,
                from: 1,
                previous: vec![2, 2, 2],
                other: vec![n],
            }
        );
    }
    // A `from` that is not earlier.
    let mut m = base(2);
    m.layers[2] = Layer::Mul(Mul {
        input: None,
        from: 2,
        shift: 0,
    });
    let e = m.validate().unwrap_err();
    assert!(matches!(
        e,
        ModelError::AddFromNotEarlier {
            layer: 2,
            from: 2,
            ..
        }
    ));
    assert_eq!(
        e.to_string(),
        "layer 2 (Mul) reads layer 2's output as its second operand; it must be an earlier layer"
    );
    // JSON: the variant round-trips and unknown fields are refused.
    let m = se_block(2, 2, 3);
    assert_eq!(Model::from_json(&m.to_json()).unwrap(), m);
    let bad = r#"{"name":"x","input_shape":[1,2,2],"activation_bits":8,"weight_bits":8,
        "layers":[{"type":"Mul","from":0,"shift":0,"extra":1}]}"#;
    assert!(Model::from_json(bad).is_err());
}

fn round_trip<F: BaseField + ark_ff::FftField, E: ExtField<F>>(model: &Model, seed: u64) {
    let committed = network::commit_model::<F, E>(model).unwrap();
    let checked = committed.public.check(&model.architecture()).unwrap();
    let input = zoo::random_input(&model.input_shape, model.activation_bits, seed);
    let (output, proof) = network::prove::<F, E>(model, &committed, &input).unwrap();
    let expected = infer(model, &input).unwrap();
    assert_eq!(Some(&output), expected.output());
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = output.iter().copied().collect();
    let arch = model.architecture();
    network::verify(&arch, &checked, &x, &y, &proof).unwrap();
    let mut y2 = y.clone();
    y2[0] += 1;
    assert!(network::verify(&arch, &checked, &x, &y2, &proof).is_err());
}

#[test]
fn se_block_round_trips_on_both_fields() {
    let m = se_block(3, 4, 2);
    round_trip::<Goldilocks, GoldilocksExt2>(&m, 1001);
    round_trip::<Bn254Fr, Bn254Fr>(&m, 1002);
}

/// `conv` on `[c, h, w]` (tensor 1), a per-channel `[c]` or `[c, 1, 1]` operand or one of
/// the same shape (a second conv, tensor 2; through avg-pool and flatten when per channel),
/// then `Mul(tensor 1, b)`; saturating or not.
fn random_mul(c: usize, h: usize, w: usize, kind: u8, saturate: bool, seed: u64) -> Model {
    let mut layers = vec![conv(c, c, 3, seed)];
    match kind {
        // Same shape.
        0 => layers.push(conv(c, c, 1, seed + 1)),
        // `[c, 1, 1]`: a global average pool.
        1 => layers.push(Layer::AvgPool2d(AvgPool2d {
            divisor: 1,
            input: None,
            size: h.min(w),
            stride: h.min(w),
            shift: 0,
        })),
        // `[c]`: a dense layer on the flattened tensor.
        _ => {
            layers.push(Layer::FLATTEN);
            layers.push(Layer::Dense(Dense {
                input: None,
                in_features: c * h * w,
                out_features: c,
                weights: weights(c * c * h * w, seed + 2),
                bias: weights(c, seed + 3),
                shift: 0,
            }));
        }
    }
    let from = layers.len() - 1;
    layers.push(Layer::Mul(Mul {
        input: Some(1),
        from,
        shift: 0,
    }));
    let mut m = Model {
        name: "mul".into(),
        input_shape: vec![c, h, w],
        activation_bits: 8,
        weight_bits: 8,
        layers,
        quantization: None,
        saturate,
        bias_bits: 32,
    };
    calibrate(&mut m);
    if saturate {
        // Halve the shift so that some products saturate.
        let l = m.layers.len() - 1;
        let s = m.layers[l].shift().unwrap();
        m.layers[l].set_shift(s / 2);
    }
    m
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn mul_round_trips(seed in 0u64..1000, c in 1usize..5, h in 1usize..6, w in 1usize..6,
                       kind in 0u8..3, saturate: bool) {
        // A global pool needs a square plane.
        let (h, w) = if kind == 1 { (h, h) } else { (h, w) };
        let m = random_mul(c, h, w, kind, saturate, seed);
        round_trip::<Goldilocks, GoldilocksExt2>(&m, 1000 + seed % 4);
        round_trip::<Bn254Fr, Bn254Fr>(&m, 1000 + (seed + 1) % 4);
    }
}

/// Proves with `edit` at layer `layer`, verifies the statement it leads to.
fn cheat_verdict<F: BaseField + ark_ff::FftField, E: ExtField<F>>(
    model: &Model,
    layer: usize,
    edit: impl Fn(zkcnn::network::cheat::WitnessMut<'_, F>),
) -> Result<(), VerifyError> {
    let committed = network::commit_model::<F, E>(model).unwrap();
    let checked = committed.public.check(&model.architecture()).unwrap();
    let input = zoo::random_input(&model.input_shape, model.activation_bits, 1001);
    let (out, proof) = cheat::prove_edited::<F, E>(
        model,
        &committed,
        &input,
        ConvPolicy::CostModel,
        |l, w| {
            if l == layer {
                edit(w)
            }
        },
        |_| {},
    )
    .unwrap();
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = out.iter().copied().collect();
    network::verify(&model.architecture(), &checked, &x, &y, &proof)
}

/// Adds 1 to entry 0 of the `y` segment of layer `l`'s requantization (or of an activation's
/// output), so that the committed output is off by one there.
fn bump_output<F: BaseField>(w: zkcnn::network::cheat::WitnessMut<'_, F>, l: usize) {
    let plan = w.plan;
    let seg = match (&plan.steps[l], plan.requant_of(l)) {
        (_, Some(r)) => r.y,
        (
            zkcnn::network::plan::Step::Activation(zkcnn::layers::activation::Activation {
                y, ..
            }),
            None,
        ) => *y,
        _ => panic!("layer {l} commits no output"),
    };
    w.advice[seg][0] += F::one();
}

fn cheats_are_caught<F: BaseField + ark_ff::FftField, E: ExtField<F>>() {
    let m = se_block(2, 2, 4);
    // The honest proof verifies.
    assert_eq!(cheat_verdict::<F, E>(&m, 5, |_| {}), Ok(()));
    // One product output off by one: the product's sum-check.
    for l in [5, 6] {
        let verdict = cheat_verdict::<F, E>(&m, l, |w| bump_output(w, l));
        assert!(
            matches!(verdict, Err(VerifyError::Layer { layer, .. }) if layer == l),
            "layer {l}: {verdict:?}"
        );
    }
    // One entry of `b` (the HardSigmoid's output, layer 4) or of `a` (the conv's, layer 0)
    // off by one, the products computed from the edited values: the edited tensor's own
    // relation fails (the lookup, the conv's requantization).
    for l in [4, 0] {
        let verdict = cheat_verdict::<F, E>(&m, l, |w| bump_output(w, l));
        assert!(verdict.is_err(), "layer {l}: {verdict:?}");
    }
}

#[test]
fn a_cheating_prover_is_caught_on_both_fields() {
    cheats_are_caught::<Goldilocks, GoldilocksExt2>();
    cheats_are_caught::<Bn254Fr, Bn254Fr>();
}

#[test]
fn tampered_product_proofs_fail_with_exact_errors() {
    type F = Goldilocks;
    type E = GoldilocksExt2;
    // conv (tensor 1), a global pool (tensor 2, `[2, 1, 1]`), then the product (the output):
    // the backward pass proves the product first.
    let mut m = Model {
        name: "tamper".into(),
        input_shape: vec![2, 2, 2],
        activation_bits: 8,
        weight_bits: 8,
        layers: vec![
            conv(2, 2, 3, 9),
            Layer::AvgPool2d(AvgPool2d {
                divisor: 1,
                input: None,
                size: 2,
                stride: 2,
                shift: 0,
            }),
            Layer::Mul(Mul {
                input: Some(1),
                from: 1,
                shift: 0,
            }),
        ],
        quantization: None,
        saturate: false,
        bias_bits: 32,
    };
    calibrate(&mut m);
    let committed = network::commit_model::<F, E>(&m).unwrap();
    let checked = committed.public.check(&m.architecture()).unwrap();
    let input = zoo::random_input(&m.input_shape, 8, 1001);
    let (out, proof) = network::prove::<F, E>(&m, &committed, &input).unwrap();
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = out.iter().copied().collect();
    let verify = |p: &network::Proof<F, E>| network::verify(&m, &checked, &x, &y, p);
    verify(&proof).unwrap();
    let mul = proof
        .products
        .iter()
        .position(|p| p.values.len() == 3 && p.sumcheck.rounds.len() == 3)
        .unwrap();
    let layer_err = |source| Err(VerifyError::Layer { layer: 2, source });
    let two = E::from(2u64);
    // A round message changed: the final value no longer matches the values' product.
    let mut p = proof.clone();
    p.products[mul].sumcheck.rounds[1].evals[0] += E::one();
    assert_eq!(
        verify(&p),
        layer_err(LayerError::FinalProduct { step: "mul" })
    );
    // One value changed.
    let mut p = proof.clone();
    p.products[mul].values[2] += E::one();
    assert_eq!(
        verify(&p),
        layer_err(LayerError::FinalProduct { step: "mul" })
    );
    // `eq(r, ρ)` doubled and `a(ρ)` halved: the product holds, the public value does not.
    let mut p = proof.clone();
    p.products[mul].values[0] *= two;
    p.products[mul].values[1] *= two.inverse().unwrap();
    assert_eq!(
        verify(&p),
        layer_err(LayerError::PublicValue { what: "mul eq" })
    );
    // A value missing.
    let mut p = proof.clone();
    p.products[mul].values.pop();
    assert_eq!(
        verify(&p),
        layer_err(LayerError::Count {
            what: "mul",
            expected: 3,
            got: 2
        })
    );
    // A round missing.
    let mut p = proof.clone();
    p.products[mul].sumcheck.rounds.pop();
    assert_eq!(
        verify(&p),
        layer_err(LayerError::Sumcheck {
            step: "mul",
            source: SumcheckError::RoundCount {
                expected: 3,
                got: 2
            }
        })
    );
    // `a(ρ)` doubled and `b(ρ_c)` halved: the product's checks hold, the claims on the two
    // tensors do not (their openings or the producers' relations reject).
    let mut p = proof.clone();
    p.products[mul].values[1] *= two;
    p.products[mul].values[2] *= two.inverse().unwrap();
    assert!(verify(&p).is_err());
}

/// An ONNX squeeze-and-excitation block on a `[1, 4, 4, 4]` input: `r = Relu(Conv3×3(x))`,
/// `s = HardSigmoid(Conv1×1(GlobalAveragePool(r)))` (`[1, 4, 1, 1]`), `Mul(r, s)` (or
/// `Mul(s, r)` when `swapped`), Flatten, Gemm to 3 logits.
fn se_onnx(swapped: bool) -> Vec<u8> {
    use zkcnn::onnx::proto::*;
    let value = |name: &str, dims: &[i64]| ValueInfoProto {
        name: Some(name.into()),
        r#type: Some(TypeProto {
            tensor_type: Some(TypeProtoTensor {
                elem_type: Some(data_type::FLOAT),
                shape: Some(TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|&d| Dimension {
                            dim_value: Some(d),
                            dim_param: None,
                        })
                        .collect(),
                }),
            }),
        }),
    };
    let node = |name: &str, op: &str, inputs: &[&str], output: &str| NodeProto {
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        name: Some(name.into()),
        op_type: Some(op.into()),
        domain: None,
        attribute: Vec::new(),
    };
    let tensor = |name: &str, dims: &[i64], seed: u64| {
        let n: i64 = dims.iter().product();
        TensorProto {
            dims: dims.to_vec(),
            data_type: Some(data_type::FLOAT),
            float_data: (0..n as u64)
                .map(|i| (((i * 7919 + seed * 104729) % 97) as f32 - 48.0) / 160.0)
                .collect(),
            name: Some(name.into()),
            ..Default::default()
        }
    };
    let mut conv0 = node("conv0", "Conv", &["x", "w0", "b0"], "a");
    conv0.attribute.push(AttributeProto {
        name: Some("pads".into()),
        r#type: Some(attribute_type::INTS),
        ints: vec![1, 1, 1, 1],
        ..AttributeProto::default()
    });
    let mul = if swapped { ["s", "r"] } else { ["r", "s"] };
    let nodes = vec![
        conv0,
        node("relu", "Relu", &["a"], "r"),
        node("pool", "GlobalAveragePool", &["r"], "g"),
        node("conv1", "Conv", &["g", "w1", "b1"], "c"),
        node("hsig", "HardSigmoid", &["c"], "s"),
        node("mul", "Mul", &mul, "m"),
        node("flatten", "Flatten", &["m"], "f"),
        node("gemm", "Gemm", &["f", "w2"], "y"),
    ];
    let inits = vec![
        tensor("w0", &[4, 4, 3, 3], 1),
        tensor("b0", &[4], 2),
        tensor("w1", &[4, 4, 1, 1], 3),
        tensor("b1", &[4], 4),
        tensor("w2", &[64, 3], 5),
    ];
    let model = ModelProto {
        ir_version: Some(8),
        opset_import: vec![OperatorSetIdProto {
            domain: None,
            version: Some(13),
        }],
        producer_name: None,
        graph: Some(GraphProto {
            node: nodes,
            name: Some("se".into()),
            initializer: inits,
            input: vec![value("x", &[1, 4, 4, 4])],
            output: vec![value("y", &[])],
        }),
    };
    prost::Message::encode_to_vec(&model)
}

#[test]
fn an_onnx_squeeze_and_excitation_block_imports_proves_and_verifies() {
    type F = Goldilocks;
    type E = GoldilocksExt2;
    let sample = |seed: u64| -> Vec<f32> {
        (0..64u64)
            .map(|i| (((i * 31 + seed * 17) % 41) as f32 - 20.0) / 20.0)
            .collect()
    };
    let options = zkcnn::onnx::ImportOptions {
        calibration: (0..16).map(sample).collect(),
        ..Default::default()
    };
    for swapped in [false, true] {
        let imported = zkcnn::onnx::import(&se_onnx(swapped), &options).unwrap();
        let m = &imported.model;
        let kinds: Vec<_> = m.layers.iter().map(|l| l.kind().name()).collect();
        assert_eq!(
            kinds,
            [
                "Conv2d",
                "Relu",
                "AvgPool2d",
                "Conv2d",
                "Activation",
                "Mul",
                "Flatten",
                "Dense"
            ]
        );
        // `a` is the ReLU's output (tensor 2), `b` the HardSigmoid's (layer 4), whichever
        // operand order the graph wrote.
        assert_eq!(m.layers[5].inputs(5), vec![2, 5]);
        let a = &imported.report.agreement;
        eprintln!("swapped {swapped}: {a:?}");
        assert_eq!(a.overflows, 0);
        assert_eq!(a.samples, 16);
        // The float reference and the quantized model agree (the logits are O(1)).
        assert!(a.max_logit_error < 0.05, "{a:?}");
        assert!(a.top1_match_rate >= 0.75, "{a:?}");
        let q = m.quantization.as_ref().unwrap();
        let x = q.quantize_input(&sample(3), m.activation_bits);
        let input = ArrayD::from_shape_vec(vec![4, 4, 4], x.clone()).unwrap();
        let committed = network::commit_model::<F, E>(m).unwrap();
        let checked = committed.public.check(&m.architecture()).unwrap();
        let (out, proof) = network::prove::<F, E>(m, &committed, &input).unwrap();
        let y: Vec<i64> = out.iter().copied().collect();
        network::verify(&m.architecture(), &checked, &x, &y, &proof).unwrap();
        // Committed in zero knowledge, but not proven: its squeezed tensors have four
        // channels, too few to hide the reads a proof makes of them (the 8-channel block
        // proves: `se_block_proves_in_zero_knowledge_on_both_fields`).
        let mut rng = StdRng::seed_from_u64(u64::from(swapped));
        let mut zc = network::commit_model_zk::<F, E, _>(m, &mut rng).unwrap();
        let err = network::prove_zk::<F, E, _>(m, &mut zc, &input, &mut rng).unwrap_err();
        assert!(
            matches!(err, network::NetworkError::AdviceReads { entries: 4, .. }),
            "{err:?}"
        );
    }
}

/// A per-channel operand of three channels (padded to four entries), read by the layer that
/// makes it, its range columns and the product, is not hidden by its four mask entries: the
/// zero-knowledge prover refuses the proof before sending anything, naming the layer.
#[test]
fn a_small_per_channel_operand_is_refused_in_zero_knowledge() {
    let m = se_block(3, 4, 2);
    let mut rng = StdRng::seed_from_u64(5);
    let mut committed =
        network::commit_model_zk::<Goldilocks, GoldilocksExt2, _>(&m, &mut rng).unwrap();
    let input = zoo::random_input(&m.input_shape, m.activation_bits, 1001);
    let err =
        network::prove_zk::<Goldilocks, GoldilocksExt2, _>(&m, &mut committed, &input, &mut rng)
            .unwrap_err();
    match &err {
        network::NetworkError::AdviceReads {
            layer: Some(l),
            entries: 4,
            reads,
            degree: 2,
        } => {
            assert!(2 * reads > 4 && [2, 3, 4].contains(l), "{err:?}");
            assert!(
                err.to_string().contains(&format!("layer {l} commits")),
                "{err}"
            );
        }
        other => panic!("expected AdviceReads, got {other:?}"),
    }
}

/// Batch proofs take a product of each operand kind (one layout, `[c, 1, 1]`, `[c]`): a
/// batch of three verifies, its outputs the single proofs'; one output changed is rejected.
#[test]
fn batch_proofs_take_a_product() {
    type G = Goldilocks;
    type X = GoldilocksExt2;
    for kind in 0..3u8 {
        let m = random_mul(2, 3, 3, kind, false, 7);
        let committed = network::commit_model::<G, X>(&m).unwrap();
        let checked = committed.public.check(&m.architecture()).unwrap();
        let xs: Vec<ArrayD<i64>> = (0..3)
            .map(|i| zoo::random_input(&m.input_shape, m.activation_bits, 300 + i))
            .collect();
        let (ys, proof) = network::prove_batch::<G, X>(&m, &committed, &xs).unwrap();
        for (x, y) in xs.iter().zip(&ys) {
            assert_eq!(&network::prove::<G, X>(&m, &committed, x).unwrap().0, y);
        }
        let flat = |v: &[ArrayD<i64>]| -> Vec<Vec<i64>> {
            v.iter().map(|a| a.iter().copied().collect()).collect()
        };
        let (x, mut y) = (flat(&xs), flat(&ys));
        let xr: Vec<&[i64]> = x.iter().map(Vec::as_slice).collect();
        let verify = |y: &[Vec<i64>]| {
            let yr: Vec<&[i64]> = y.iter().map(Vec::as_slice).collect();
            network::verify_batch(&m.architecture(), &checked, &xr, &yr, &proof)
        };
        assert_eq!(verify(&y), Ok(()), "kind {kind}");
        y[1][0] += 1;
        assert_eq!(verify(&y), Err(VerifyError::Output), "kind {kind}");
    }
}

/// A committed model, a proof of it in zero knowledge on a public input, and the verifier.
struct Zk<F: BaseField + ark_ff::FftField, E: ExtField<F>> {
    model: Model,
    committed: network::ZkCommittedModel<F>,
    input: ArrayD<i64>,
    output: Vec<i64>,
    proof: network::ZkNetworkProof<F, E>,
}

impl<F: BaseField + ark_ff::FftField, E: ExtField<F>> Zk<F, E> {
    /// Commits and proves `model` on one of its calibration inputs (`1000 + seed % 4`).
    fn new(model: &Model, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut committed = network::commit_model_zk::<F, E, _>(model, &mut rng).unwrap();
        let input = zoo::random_input(&model.input_shape, model.activation_bits, 1000 + seed % 4);
        let (output, proof) =
            network::prove_zk::<F, E, _>(model, &mut committed, &input, &mut rng).unwrap();
        assert_eq!(output, zkcnn::model::infer_output(model, &input).unwrap());
        Self {
            model: model.clone(),
            committed,
            input,
            output: output.iter().copied().collect(),
            proof,
        }
    }

    fn verify_as(
        &self,
        y: &[i64],
        proof: &network::ZkNetworkProof<F, E>,
    ) -> Result<(), VerifyError> {
        let arch = self.model.architecture();
        let x: Vec<i64> = self.input.iter().copied().collect();
        network::verify_zk(
            &arch,
            &network::CheckedZkCommitment::assume_checked(&arch, &self.committed.commitment),
            &x,
            y,
            proof,
        )
    }

    fn verify(&self, proof: &network::ZkNetworkProof<F, E>) -> Result<(), VerifyError> {
        self.verify_as(&self.output, proof)
    }

    fn digest(&self) -> [u8; 32] {
        let x: Vec<i64> = self.input.iter().copied().collect();
        network::zk_statement_digest(
            &self.model,
            &self.committed.commitment,
            network::ZkInput::Public(&x),
            &self.output,
        )
    }
}

/// Proves `m` in zero knowledge and verifies: the output is the inference's, the proof's bytes
/// round trip, another output is refused.
fn zk_round_trip<F: BaseField + ark_ff::FftField, E: ExtField<F>>(m: &Model, seed: u64) {
    let zk = Zk::<F, E>::new(m, seed);
    zk.verify(&zk.proof).unwrap();
    let digest = zk.digest();
    let back =
        network::ZkNetworkProof::<F, E>::from_bytes(&zk.proof.to_bytes(digest), digest).unwrap();
    assert_eq!(back, zk.proof);
    let mut y2 = zk.output.clone();
    y2[0] += 1;
    assert!(zk.verify_as(&y2, &zk.proof).is_err());
}

#[test]
fn se_block_proves_in_zero_knowledge_on_both_fields() {
    let m = se_block(16, 4, 2);
    zk_round_trip::<Goldilocks, GoldilocksExt2>(&m, 11);
    zk_round_trip::<Bn254Fr, Bn254Fr>(&m, 12);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]
    /// Element-wise and per-channel (`[c, 1, 1]` from a pool, `[c]` from a dense layer)
    /// products of small sizes, saturating or not, in zero knowledge on both fields. Nine
    /// channels at least (16 padded entries): a per-channel operand of fewer, read by its
    /// layer, its range columns and the product, is not hidden (the prover refuses it:
    /// `a_small_per_channel_operand_is_refused_in_zero_knowledge`).
    #[test]
    fn mul_round_trips_in_zero_knowledge(seed in 0u64..1000, c in 9usize..13, h in 2usize..5,
                                         w in 2usize..5, kind in 0u8..3, saturate: bool) {
        let (h, w) = if kind == 1 { (h, h) } else { (h, w) };
        let m = random_mul(c, h, w, kind, saturate, seed);
        match cheat::zk_plan::<Goldilocks, GoldilocksExt2>(&m, false) {
            Ok(_) => {
                zk_round_trip::<Goldilocks, GoldilocksExt2>(&m, seed);
                zk_round_trip::<Bn254Fr, Bn254Fr>(&m, seed + 1);
            }
            Err(e) => prop_assert!(false, "{e:?}"),
        }
    }
}

/// A product of the input: refused by name in zero knowledge with a public input (as a
/// residual add of it is), proven with a committed one.
#[test]
fn a_product_of_the_input_needs_a_committed_input() {
    type F = Goldilocks;
    type E = GoldilocksExt2;
    let mut m = Model {
        name: "input-mul".into(),
        input_shape: vec![2, 4, 4],
        activation_bits: 8,
        weight_bits: 8,
        layers: vec![
            conv(2, 2, 3, 21),
            Layer::Mul(Mul {
                input: Some(0),
                from: 0,
                shift: 0,
            }),
            Layer::FLATTEN,
            Layer::Dense(Dense {
                input: None,
                in_features: 32,
                out_features: 3,
                weights: weights(96, 22),
                bias: weights(3, 23),
                shift: 0,
            }),
        ],
        quantization: None,
        saturate: false,
        bias_bits: 32,
    };
    calibrate(&mut m);
    let err = cheat::zk_plan::<F, E>(&m, false).unwrap_err();
    assert!(
        matches!(&err, network::NetworkError::Unsupported { layer: 1, what }
            if what.contains("element-wise product of the public input")),
        "{err:?}"
    );
    let mut rng = StdRng::seed_from_u64(24);
    let mut committed = network::commit_model_zk::<F, E, _>(&m, &mut rng).unwrap();
    let input = zoo::random_input(&m.input_shape, 8, 1001);
    let mut ci = network::commit_input_zk::<F, E, _>(&m, &input, &mut rng).unwrap();
    let (out, proof) =
        network::prove_zk_committed_input::<F, E, _>(&m, &mut committed, &mut ci, &mut rng)
            .unwrap();
    assert_eq!(out, zkcnn::model::infer_output(&m, &input).unwrap());
    let arch = m.architecture();
    let checked = network::CheckedZkCommitment::assume_checked(&arch, &committed.commitment);
    let y: Vec<i64> = out.iter().copied().collect();
    network::verify_zk_committed_input(&arch, &checked, &ci.commitment, &y, &proof).unwrap();
    let mut y2 = y.clone();
    y2[0] += 1;
    assert!(
        network::verify_zk_committed_input(&arch, &checked, &ci.commitment, &y2, &proof).is_err()
    );
}

/// The zero-knowledge prover with `edit` after layer `layer` (everything else honest, fresh
/// masks); the verifier's verdict on the statement it leads to.
fn zk_cheat_verdict<F: BaseField + ark_ff::FftField, E: ExtField<F>>(
    model: &Model,
    layer: usize,
    edit: impl Fn(zkcnn::network::cheat::WitnessMut<'_, F>),
) -> Result<(), VerifyError> {
    let mut rng = StdRng::seed_from_u64(layer as u64);
    let mut committed = network::commit_model_zk::<F, E, _>(model, &mut rng).unwrap();
    let input = zoo::random_input(&model.input_shape, model.activation_bits, 1001);
    let (out, proof) = cheat::prove_zk_edited::<F, E, _>(
        model,
        &mut committed,
        network::zk::ZkProverInput::Public(&input),
        |l, w| {
            if l == layer {
                edit(w)
            }
        },
        |_| {},
        &mut rng,
    )
    .unwrap();
    let arch = model.architecture();
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = out.iter().copied().collect();
    network::verify_zk(
        &arch,
        &network::CheckedZkCommitment::assume_checked(&arch, &committed.commitment),
        &x,
        &y,
        &proof,
    )
}

/// In zero knowledge every check is a claim that the one opening discharges: a cheating proof
/// is rejected there. Edits: a product's committed output (per channel, layer 5, and
/// element-wise, layer 6), `b` (the HardSigmoid's output, layer 4) and `a` (the conv's, layer
/// 0), the later layers computed from the edited values; then a product's output and its
/// remainder moved together (the relation holds as integers, the remainder leaves its range).
fn zk_cheats_are_caught<F: BaseField + ark_ff::FftField, E: ExtField<F>>() {
    let m = se_block(16, 2, 4);
    let opening = |v: &Result<(), VerifyError>| {
        matches!(
            v,
            Err(VerifyError::Deferred(zkcnn::zk::DischargeError::Opening(_)))
        )
    };
    assert_eq!(zk_cheat_verdict::<F, E>(&m, 5, |_| {}), Ok(()));
    for l in [5, 6, 4, 0] {
        let verdict = zk_cheat_verdict::<F, E>(&m, l, |w| bump_output(w, l));
        assert!(opening(&verdict), "layer {l}: {verdict:?}");
    }
    for l in [5, 6] {
        let verdict = zk_cheat_verdict::<F, E>(&m, l, |w| {
            let rq = w.plan.requant_of(l).unwrap().clone();
            assert!(rq.shift > 0 && !rq.limbs.is_empty(), "layer {l}");
            w.advice[rq.y][1] += F::one();
            w.advice[rq.limbs[0].0][1] -= zkcnn::field::from_i64::<F>(1 << rq.shift);
        });
        assert!(opening(&verdict), "layer {l} (remainder): {verdict:?}");
    }
}

#[test]
fn a_cheating_prover_is_caught_in_zero_knowledge_on_both_fields() {
    zk_cheats_are_caught::<Goldilocks, GoldilocksExt2>();
    zk_cheats_are_caught::<Bn254Fr, Bn254Fr>();
}

/// The zero-knowledge product's proof parts tampered: exact errors for the structure (a
/// masked value or a round missing, a round too long), a rejection at the opening for every
/// value (the mask sum, every round, every masked value, `a`'s and `b`'s moved together), and
/// `Err` on truncations of the proof's bytes.
#[test]
fn tampered_zero_knowledge_products_fail_with_exact_errors() {
    type F = Goldilocks;
    type E = GoldilocksExt2;
    // conv (tensor 1), a global pool (tensor 2, `[16, 1, 1]`), then the product (the output,
    // 6 variables): the backward pass proves the product first, `sumchecks[0]`.
    let mut m = Model {
        name: "tamper".into(),
        input_shape: vec![16, 2, 2],
        activation_bits: 8,
        weight_bits: 8,
        layers: vec![
            conv(16, 16, 3, 9),
            Layer::AvgPool2d(AvgPool2d {
                divisor: 1,
                input: None,
                size: 2,
                stride: 2,
                shift: 0,
            }),
            Layer::Mul(Mul {
                input: Some(1),
                from: 1,
                shift: 0,
            }),
        ],
        quantization: None,
        saturate: false,
        bias_bits: 32,
    };
    calibrate(&mut m);
    let zk = Zk::<F, E>::new(&m, 13);
    zk.verify(&zk.proof).unwrap();
    let plan = cheat::zk_plan::<F, E>(&m, false).unwrap();
    let rq = plan.requant_of(2).unwrap();
    // `a`, `b`, `y`, `n`, the remainder's limbs.
    let private = 4 + rq.limbs.len();
    let mul = &zk.proof.sumchecks[0];
    assert_eq!(mul.values.len(), private);
    // 6 variables and `b`, degree 3 (the value at 1 derived).
    assert_eq!(mul.zk.sumcheck.rounds.len(), 7);
    let evals = mul.zk.sumcheck.rounds[1].evals.len();
    let edit = |f: &dyn Fn(&mut zkcnn::sumcheck::zk::MaskedProof<E>)| {
        let mut p = zk.proof.clone();
        f(&mut p.sumchecks[0]);
        zk.verify(&p)
    };
    let layer_err = |source| {
        Err(VerifyError::Layer {
            layer: 2,
            source: LayerError::Sumcheck {
                step: "mul (zero knowledge)",
                source,
            },
        })
    };
    assert_eq!(
        edit(&|p| {
            p.values.pop();
        }),
        layer_err(SumcheckError::MaskedValues {
            expected: private,
            got: private - 1
        })
    );
    assert_eq!(
        edit(&|p| {
            p.zk.sumcheck.rounds.pop();
        }),
        layer_err(SumcheckError::RoundCount {
            expected: 7,
            got: 6
        })
    );
    assert_eq!(
        edit(&|p| p.zk.sumcheck.rounds[1].evals.push(E::one())),
        layer_err(SumcheckError::MessageLength {
            round: 1,
            expected: evals,
            got: evals + 1
        })
    );
    let opening = |v: Result<(), VerifyError>| {
        assert!(
            matches!(
                v,
                Err(VerifyError::Deferred(zkcnn::zk::DischargeError::Opening(_)))
            ),
            "{v:?}"
        )
    };
    opening(edit(&|p| p.zk.mask_sum += E::one()));
    for round in 0..7 {
        opening(edit(&|p| p.zk.sumcheck.rounds[round].evals[0] += E::one()));
    }
    for v in 0..private {
        opening(edit(&|p| p.values[v] += E::one()));
    }
    // `a`'s masked value doubled, `b`'s halved: the product is unchanged, the claims on the
    // two tensors are not.
    let two = E::from(2u64);
    opening(edit(&|p| {
        p.values[0] *= two;
        p.values[1] *= two.inverse().unwrap();
    }));
    let digest = zk.digest();
    let bytes = zk.proof.to_bytes(digest);
    for cut in (0..bytes.len()).step_by(97) {
        assert!(network::ZkNetworkProof::<F, E>::from_bytes(&bytes[..cut], digest).is_err());
    }
}
