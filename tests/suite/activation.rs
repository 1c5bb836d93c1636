//! Element-wise activations by lookup (`spec/activation.md`): round trips of every function on
//! both field instantiations, a naive oracle for the lookup columns and the table, cheating
//! provers (an output entry, a wrapped output, a padded output, the multiplicities), tampered
//! proofs with their exact errors; the same in zero knowledge (round trips on both fields and
//! with a hidden input, cheating provers, tampered hiding lookups) and the refusal of an
//! activation of a committed input.

use ark_ff::{AdditiveGroup, FftField, Field};
use proptest::prelude::*;
use rand::{rngs::StdRng, SeedableRng};
use zkcnn::field::{from_i64, BaseField, Bn254Fr, ExtField, Goldilocks, GoldilocksExt2};
use zkcnn::model::activation::{table, Function};
use zkcnn::model::{zoo, Activation, Conv2d, Dense, Layer, Model};
use zkcnn::network::cheat::{self, WitnessMut};
use zkcnn::network::plan::{Plan, Step};
use zkcnn::network::{self, ConvPolicy, NetworkError, VerifyError};
use zkcnn::range::{RangeError, Tree};

type G = Goldilocks;
type G2 = GoldilocksExt2;

fn functions() -> Vec<Function> {
    vec![
        Function::Clip { min: 0, max: 40 },
        Function::LeakyRelu { alpha: 6554 },
        Function::HardSigmoid {
            alpha: 13107,
            beta: 32768,
            in_frac_bits: 4,
            out_frac_bits: 6,
        },
        Function::HardSwish {
            in_frac_bits: 4,
            out_frac_bits: 4,
        },
        Function::Sigmoid {
            in_frac_bits: 4,
            out_frac_bits: 6,
        },
        Function::Tanh {
            in_frac_bits: 4,
            out_frac_bits: 6,
        },
        Function::Silu {
            in_frac_bits: 4,
            out_frac_bits: 4,
        },
        Function::Gelu {
            in_frac_bits: 4,
            out_frac_bits: 4,
        },
        Function::GeluTanh {
            in_frac_bits: 4,
            out_frac_bits: 5,
        },
    ]
}

fn act(function: Function, input: Option<usize>) -> Layer {
    Layer::Activation(Activation { function, input })
}

fn weights(n: usize, s: u64) -> Vec<i64> {
    (0..n as u64)
        .map(|i| ((i * 7 + s * 13 + 3) % 11) as i64 - 5)
        .collect()
}

fn conv(c: usize, o: usize, seed: u64) -> Layer {
    Layer::Conv2d(Conv2d {
        input: None,
        in_channels: c,
        out_channels: o,
        kernel: [3, 3],
        stride: 1,
        padding: 1,
        weights: weights(o * c * 9, seed),
        bias: weights(o, seed + 1),
        shift: 0,
        groups: 1,
    })
}

fn dense(features: usize, seed: u64) -> Layer {
    Layer::Dense(Dense {
        input: None,
        in_features: features,
        out_features: 3,
        weights: weights(3 * features, seed),
        bias: vec![1, -2, 3],
        shift: 0,
    })
}

/// `[c, h, w]` → (conv →)? `f` (→ `g`)? → flatten → dense(3), calibrated on seeds
/// `seed..seed + 4`.
fn model(fs: &[Function], c: usize, h: usize, w: usize, with_conv: bool, seed: u64) -> Model {
    let mut layers = Vec::new();
    if with_conv {
        layers.push(conv(c, c, seed));
    }
    for f in fs {
        layers.push(act(f.clone(), None));
    }
    layers.push(Layer::FLATTEN);
    layers.push(dense(c * h * w, seed + 2));
    calibrated(layers, vec![c, h, w], seed)
}

fn calibrated(layers: Vec<Layer>, input_shape: Vec<usize>, seed: u64) -> Model {
    let mut m = Model {
        name: "activation".into(),
        input_shape,
        activation_bits: 8,
        weight_bits: 8,
        layers,
        quantization: None,
        saturate: false,
        bias_bits: 32,
    };
    let inputs: Vec<_> = (seed..seed + 4)
        .map(|s| zoo::random_input(&m.input_shape, 8, s))
        .collect();
    zoo::calibrate_shifts(&mut m, &inputs).unwrap();
    m
}

/// Proves and verifies `m` on a seeded input: the proven output is the inference's, and
/// another output is refused.
fn round_trip<F: BaseField + FftField, E: ExtField<F>>(m: &Model, seed: u64) {
    let committed = network::commit_model::<F, E>(m).unwrap();
    let checked = committed.public.check(&m.architecture()).unwrap();
    let input = zoo::random_input(&m.input_shape, m.activation_bits, seed);
    let (output, proof) = network::prove::<F, E>(m, &committed, &input).unwrap();
    assert!(proof.lookup.0.is_some());
    assert_eq!(output, zkcnn::model::infer_output(m, &input).unwrap());
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = output.iter().copied().collect();
    network::verify(&m.architecture(), &checked, &x, &y, &proof).unwrap();
    // Through the bytes.
    let digest = network::statement_digest(m, committed.commitment(), &x, &y);
    let back = network::Proof::<F, E>::from_bytes(&proof.to_bytes(digest), digest).unwrap();
    assert_eq!(back, proof);
    let mut y2 = y.clone();
    y2[0] += 1;
    assert_eq!(
        network::verify(&m.architecture(), &checked, &x, &y2, &proof),
        Err(VerifyError::Output)
    );
}

#[test]
fn every_function_round_trips_after_a_convolution_on_both_fields() {
    for (i, f) in functions().into_iter().enumerate() {
        let m = model(&[f], 2, 4, 3, true, i as u64);
        round_trip::<G, G2>(&m, i as u64);
        round_trip::<Bn254Fr, Bn254Fr>(&m, i as u64 + 1);
    }
}

#[test]
fn activations_of_the_input_of_each_other_and_shared_tables_round_trip() {
    let fs = functions();
    // The public input; two functions in a row (two tags); the same function twice (one tag).
    for chain in [
        vec![fs[4].clone()],
        vec![fs[0].clone(), fs[5].clone()],
        vec![fs[6].clone(), fs[1].clone(), fs[6].clone()],
    ] {
        let m = model(&chain, 1, 3, 5, false, 9);
        let plan = Plan::new(&m).unwrap();
        let lookup = plan.lookup.as_ref().unwrap();
        let distinct = chain
            .iter()
            .enumerate()
            .filter(|(i, f)| !chain[..*i].contains(f))
            .count();
        assert_eq!(lookup.functions.len(), distinct);
        assert_eq!(lookup.columns.len(), chain.len());
        round_trip::<G, G2>(&m, 9);
    }
    // Nine functions in one model: a table of 16·2^8 entries.
    let m = model(&fs, 2, 2, 2, true, 3);
    assert_eq!(Plan::new(&m).unwrap().lookup.unwrap().bits, 12);
    round_trip::<G, G2>(&m, 3);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Random functions and shapes, after a convolution or on the input.
    #[test]
    fn random_activations_round_trip(
        f in 0usize..9, g in proptest::option::of(0usize..9),
        c in 1usize..=3, h in 1usize..=5, w in 1usize..=5, with_conv: bool, seed in 0u64..1000,
    ) {
        let fs = functions();
        let mut chain = vec![fs[f].clone()];
        chain.extend(g.map(|g| fs[g].clone()));
        let m = model(&chain, c, h, w, with_conv, seed);
        round_trip::<G, G2>(&m, seed);
    }
}

/// The naive oracle: the plan's table holds exactly the pairs `(x, T(x))` of each function,
/// and the witness's lookup column entries are the pairs of the inference's tensors.
#[test]
fn the_lookup_table_is_the_pairs_of_each_function() {
    let fs = functions();
    let m = model(&fs[..3], 1, 2, 2, false, 1);
    let plan = Plan::new(&m).unwrap();
    let lk = plan.lookup.as_ref().unwrap();
    let bits = 8u32;
    let off = 128i64;
    let ints = lk.table_ints(bits);
    assert_eq!(ints.len(), 1 << lk.bits);
    assert_eq!(ints[0], 0);
    for (tag, f) in lk.functions.iter().enumerate() {
        let t = table(f, bits);
        for x in -127i64..=127 {
            let want = (x + off) + ((t[(x + 127) as usize] + off) << bits) + ((tag as i64) << 16);
            assert_eq!(ints[(tag << 8) + (x + off) as usize], want);
            assert_eq!(f.apply(x, bits), t[(x + 127) as usize]);
        }
        // Entry 0 of each function's block is the padding's 0.
        assert_eq!(ints[tag << 8], 0);
    }
    // The unused fourth block is zeros.
    assert!(ints[3 << 8..].iter().all(|&v| v == 0));
    // Every entry is below 2^{2B}·4 (no wrap in the field).
    assert!(ints.iter().all(|&v| (0..4 << 16).contains(&v)));
}

/// A model whose activation output no layer reads: conv → f (tensor 2, unread); flatten of
/// the conv's output → dense. A cheating prover's edits of `y` then meet only the activation's
/// own checks (the lookup and `y`'s range column).
fn unread_activation(f: Function) -> Model {
    let layers = vec![
        conv(1, 2, 5),
        act(f, None),
        Layer::Flatten { input: Some(1) },
        dense(2 * 3 * 3, 6),
    ];
    calibrated(layers, vec![1, 3, 3], 5)
}

/// Proves `m` with `edit(y_segment, witness)` after the activation layer 1's witness and
/// `lookup_m` on the lookup multiplicities; returns the verifier's verdict.
fn cheat_activation<F: BaseField + FftField, E: ExtField<F>>(
    m: &Model,
    mut edit: impl FnMut(usize, WitnessMut<'_, F>),
    lookup_m: impl FnMut(&mut [F]),
) -> Result<(), VerifyError> {
    let committed = network::commit_model::<F, E>(m).unwrap();
    let checked = committed.public.check(&m.architecture()).unwrap();
    let plan = Plan::new(m).unwrap();
    let Step::Activation(zkcnn::layers::activation::Activation { y, .. }) = plan.steps[1] else {
        unreachable!()
    };
    let input = zoo::random_input(&m.input_shape, m.activation_bits, 5);
    let (out, proof) = cheat::prove_edited_lookup::<F, E>(
        m,
        &committed,
        &input,
        ConvPolicy::CostModel,
        |layer, w| {
            if layer == 1 {
                edit(y, w)
            }
        },
        |_| {},
        lookup_m,
    )
    .unwrap();
    let x: Vec<i64> = input.iter().copied().collect();
    let yv: Vec<i64> = out.iter().copied().collect();
    network::verify(&m.architecture(), &checked, &x, &yv, &proof)
}

/// The position of the first logical entry of tensor 2 where `T(x + 1) ≠ T(x)` (`x` the conv's
/// output), with `x` and `T(x + 1)`.
fn movable(m: &Model, f: &Function) -> (usize, i64) {
    let input = zoo::random_input(&m.input_shape, m.activation_bits, 5);
    let trace = zkcnn::model::infer(m, &input).unwrap();
    let x: Vec<i64> = trace.outputs[0].iter().copied().collect();
    let plan = Plan::new(m).unwrap();
    let (i, &v) = x
        .iter()
        .enumerate()
        .find(|(_, &v)| v < 127 && f.apply(v + 1, 8) != f.apply(v, 8))
        .expect("some entry moves");
    (plan.dims[2].padded_index(i), f.apply(v + 1, 8))
}

fn tanh() -> Function {
    Function::Tanh {
        in_frac_bits: 3,
        out_frac_bits: 6,
    }
}

/// `y` at one position set to `T(x + 1)`, a table output but not `x`'s: the lookup rejects it.
fn wrong_output_is_rejected<F: BaseField + FftField, E: ExtField<F>>() {
    let f = tanh();
    let m = unread_activation(f.clone());
    let (pos, other) = movable(&m, &f);
    let verdict = cheat_activation::<F, E>(&m, |y, w| w.advice[y][pos] = from_i64(other), |_| {});
    assert_eq!(verdict, Err(VerifyError::Lookup(RangeError::RootMismatch)));
    // The honest witness passes the same path.
    assert_eq!(cheat_activation::<F, E>(&m, |_, _| {}, |_| {}), Ok(()));
}

#[test]
fn a_wrong_output_is_rejected_on_both_fields() {
    wrong_output_is_rejected::<G, G2>();
    wrong_output_is_rejected::<Bn254Fr, Bn254Fr>();
}

/// The wrap: `y' = T(x + 1) + 2^{−B}` in the field makes the pair's column entry
/// `(x + 1 + off) + 2^B·(T(x + 1) + off)`, a table entry; only `y`'s range column rejects it.
fn wrapped_output_is_rejected<F: BaseField + FftField, E: ExtField<F>>() {
    let f = tanh();
    let m = unread_activation(f.clone());
    let (pos, other) = movable(&m, &f);
    let inv = F::from(256u64).inverse().unwrap();
    let verdict = cheat_activation::<F, E>(
        &m,
        |y, w| w.advice[y][pos] = from_i64::<F>(other) + inv,
        |_| {},
    );
    assert_eq!(verdict, Err(VerifyError::Range(RangeError::RootMismatch)));
}

#[test]
fn a_wrapped_output_is_rejected_by_its_range_column_on_both_fields() {
    wrapped_output_is_rejected::<G, G2>();
    wrapped_output_is_rejected::<Bn254Fr, Bn254Fr>();
}

/// A padded entry of `y` set to 5 (in range): its column entry `2^B·5` is not in the table.
#[test]
fn a_nonzero_padded_output_is_rejected() {
    let m = unread_activation(tanh());
    let plan = Plan::new(&m).unwrap();
    let d = &plan.dims[2];
    let logical: Vec<usize> = (0..d.logical_len()).map(|i| d.padded_index(i)).collect();
    let pad = (0..d.len()).find(|i| !logical.contains(i)).unwrap();
    let verdict = cheat_activation::<G, G2>(&m, |y, w| w.advice[y][pad] = G::from(5u64), |_| {});
    assert_eq!(verdict, Err(VerifyError::Lookup(RangeError::RootMismatch)));
}

/// One lookup multiplicity moved to another entry: the roots differ.
#[test]
fn edited_lookup_multiplicities_are_rejected() {
    let m = unread_activation(tanh());
    let verdict = cheat_activation::<G, G2>(
        &m,
        |_, _| {},
        |m| {
            let i = m.iter().position(|v| *v != G::ZERO && m[0] != *v).unwrap();
            m[i] -= G::ONE;
            m[(i + 1) % m.len()] += G::ONE;
        },
    );
    assert_eq!(verdict, Err(VerifyError::Lookup(RangeError::RootMismatch)));
}

/// Tampered proofs: the lookup removed or added, a lookup column value, a root half.
#[test]
fn tampered_lookups_fail_with_their_errors() {
    type F = G;
    type E = G2;
    let m = model(&[tanh()], 1, 3, 3, true, 2);
    let committed = network::commit_model::<F, E>(&m).unwrap();
    let checked = committed.public.check(&m.architecture()).unwrap();
    let input = zoo::random_input(&m.input_shape, 8, 2);
    let (output, proof) = network::prove::<F, E>(&m, &committed, &input).unwrap();
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = output.iter().copied().collect();
    let verify = |p: &network::Proof<F, E>| network::verify(&m.architecture(), &checked, &x, &y, p);
    assert_eq!(verify(&proof), Ok(()));

    let mut p = proof.clone();
    p.lookup.0 = None;
    assert_eq!(
        verify(&p),
        Err(VerifyError::LookupPresence { model_has: true })
    );

    let mut p = proof.clone();
    if let Some(l) = p.lookup.0.as_mut() {
        l.column_values[0] += E::ONE;
    }
    assert_eq!(
        verify(&p),
        Err(VerifyError::Lookup(RangeError::LeafDenominator {
            tree: Tree::Columns
        }))
    );

    let mut p = proof.clone();
    if let Some(l) = p.lookup.0.as_mut() {
        l.multiplicities_value += E::ONE;
    }
    assert_eq!(
        verify(&p),
        Err(VerifyError::Lookup(RangeError::LeafNumerator {
            tree: Tree::Table
        }))
    );

    let mut p = proof.clone();
    if let Some(l) = p.lookup.0.as_mut() {
        l.table.root.p0 += E::ONE;
    }
    assert_eq!(
        verify(&p),
        Err(VerifyError::Lookup(RangeError::RootMismatch))
    );

    // A model without activations refuses a proof carrying one.
    let plain = zoo::mlp(2);
    let c2 = network::commit_model::<F, E>(&plain).unwrap();
    let k2 = c2.public.check(&plain.architecture()).unwrap();
    let input2 = zoo::random_input(&plain.input_shape, plain.activation_bits, 1);
    let (out2, mut p2) = network::prove::<F, E>(&plain, &c2, &input2).unwrap();
    assert!(p2.lookup.0.is_none());
    p2.lookup = proof.lookup.clone();
    let x2: Vec<i64> = input2.iter().copied().collect();
    let y2: Vec<i64> = out2.iter().copied().collect();
    assert_eq!(
        network::verify(&plain.architecture(), &k2, &x2, &y2, &p2),
        Err(VerifyError::LookupPresence { model_has: false })
    );
}

/// A flatten's output is derived: an activation of it is refused by the plan, by name.
#[test]
fn an_activation_of_a_derived_tensor_is_refused() {
    let layers = vec![Layer::FLATTEN, act(tanh(), None), dense(4, 1)];
    let m = calibrated(layers, vec![1, 2, 2], 1);
    let err = Plan::new(&m).unwrap_err();
    assert!(
        matches!(&err, NetworkError::Unsupported { layer: 1, what } if what.contains("Tanh")),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------
// Zero knowledge (`spec/zk.md`, "Activations by lookup, hiding").

/// A zero-knowledge verifier of one statement but its output.
type ZkVerify<F, E> = dyn Fn(&[i64], &network::ZkNetworkProof<F, E>) -> Result<(), VerifyError>;

/// Proves `m` in zero knowledge on a seeded input (public, or committed when `hidden`) and
/// verifies: the proven output is the inference's, the proof carries the hiding lookup, the
/// bytes round trip, and another output is refused.
fn zk_round_trip<F: BaseField + FftField, E: ExtField<F>>(m: &Model, seed: u64, hidden: bool) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut committed = network::commit_model_zk::<F, E, _>(m, &mut rng).unwrap();
    let input = zoo::random_input(&m.input_shape, m.activation_bits, seed);
    let c = committed.commitment.clone();
    let mut y2 = Vec::new();
    let (output, proof, verify): (_, _, Box<ZkVerify<F, E>>) = if hidden {
        let mut ci = network::commit_input_zk::<F, E, _>(m, &input, &mut rng).unwrap();
        let (output, proof) =
            network::prove_zk_committed_input::<F, E, _>(m, &mut committed, &mut ci, &mut rng)
                .unwrap();
        let cx = ci.commitment.clone();
        let arch = m.architecture();
        let c = c.clone();
        (
            output,
            proof,
            Box::new(move |y, p| {
                network::verify_zk_committed_input(
                    &arch,
                    &zkcnn::network::CheckedZkCommitment::assume_checked(&arch, &c),
                    &cx,
                    y,
                    p,
                )
            }),
        )
    } else {
        let (output, proof) =
            network::prove_zk::<F, E, _>(m, &mut committed, &input, &mut rng).unwrap();
        let x: Vec<i64> = input.iter().copied().collect();
        let arch = m.architecture();
        let c = c.clone();
        (
            output,
            proof,
            Box::new(move |y, p| {
                network::verify_zk(
                    &arch,
                    &zkcnn::network::CheckedZkCommitment::assume_checked(&arch, &c),
                    &x,
                    y,
                    p,
                )
            }),
        )
    };
    assert!(proof.lookup.0.is_some());
    assert_eq!(output, zkcnn::model::infer_output(m, &input).unwrap());
    let y: Vec<i64> = output.iter().copied().collect();
    verify(&y, &proof).unwrap();
    if !hidden {
        let x: Vec<i64> = input.iter().copied().collect();
        let digest = network::zk_statement_digest(m, &c, network::ZkInput::Public(&x), &y);
        let back =
            network::ZkNetworkProof::<F, E>::from_bytes(&proof.to_bytes(digest), digest).unwrap();
        assert_eq!(back, proof);
    }
    y2.extend_from_slice(&y);
    y2[0] += 1;
    assert!(verify(&y2, &proof).is_err());
}

/// Functions `range` of [`functions`] in zero knowledge after a convolution (Goldilocks²), the
/// first of them also on BN254. Three tests of three functions keep each short.
fn zk_functions_round_trip(range: std::ops::Range<usize>) {
    let first = range.start;
    for (i, f) in functions()
        .into_iter()
        .enumerate()
        .skip(first)
        .take(range.len())
    {
        let m = model(&[f], 2, 4, 3, true, i as u64);
        zk_round_trip::<G, G2>(&m, i as u64, false);
        if i == first {
            zk_round_trip::<Bn254Fr, Bn254Fr>(&m, i as u64 + 1, false);
        }
    }
}

#[test]
fn clip_leaky_relu_hard_sigmoid_round_trip_in_zero_knowledge_on_both_fields() {
    zk_functions_round_trip(0..3);
}

#[test]
fn hard_swish_sigmoid_tanh_round_trip_in_zero_knowledge_on_both_fields() {
    zk_functions_round_trip(3..6);
}

#[test]
fn silu_gelu_gelu_tanh_round_trip_in_zero_knowledge_on_both_fields() {
    zk_functions_round_trip(6..9);
}

/// Activations of the public input (its `x̃` is the column's public shift), chains with two
/// tags and a shared one, nine functions.
#[test]
fn zero_knowledge_activations_of_the_input_and_chains_round_trip() {
    let fs = functions();
    for chain in [
        vec![fs[4].clone()],
        vec![fs[0].clone(), fs[5].clone()],
        vec![fs[6].clone(), fs[1].clone(), fs[6].clone()],
    ] {
        let m = model(&chain, 1, 3, 5, false, 9);
        zk_round_trip::<G, G2>(&m, 9, false);
    }
    let m = model(&fs, 2, 2, 4, true, 3);
    zk_round_trip::<G, G2>(&m, 3, false);
}

/// A hidden input feeding a convolution, then two activations; both fields.
#[test]
fn zero_knowledge_activations_after_a_hidden_input_round_trip_on_both_fields() {
    let m = model(&[tanh(), functions()[0].clone()], 2, 3, 3, true, 4);
    zk_round_trip::<G, G2>(&m, 4, true);
    zk_round_trip::<Bn254Fr, Bn254Fr>(&m, 5, true);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    /// Random functions and shapes in zero knowledge, after a convolution or on the input
    /// (every tensor of at least 16 padded entries: a smaller one, read by several lookups, is
    /// not hidden and the prover refuses it, `NetworkError::AdviceReads`).
    #[test]
    fn random_activations_round_trip_in_zero_knowledge(
        f in 0usize..9, g in proptest::option::of(0usize..9),
        c in 1usize..=2, h in 3usize..=5, w in 3usize..=5, with_conv: bool, seed in 0u64..1000,
    ) {
        let fs = functions();
        let mut chain = vec![fs[f].clone()];
        chain.extend(g.map(|g| fs[g].clone()));
        let m = model(&chain, c, h, w, with_conv, seed);
        zk_round_trip::<G, G2>(&m, seed, false);
    }
}

/// An activation of a committed input is refused by name: its lookup column would combine
/// the input's commitment and the advice.
#[test]
fn zero_knowledge_refuses_an_activation_of_a_committed_input_by_name() {
    type F = G;
    type E = G2;
    let m = model(&[tanh()], 1, 3, 3, false, 2);
    let mut rng = StdRng::seed_from_u64(1);
    // The model's hiding commitment is made (the public-input mode supports it).
    network::commit_model_zk::<F, E, _>(&m, &mut rng).unwrap();
    let input = zoo::random_input(&m.input_shape, 8, 2);
    // Committing the input already builds the hidden-input plan.
    let Err(err) = network::commit_input_zk::<F, E, _>(&m, &input, &mut rng) else {
        panic!("the input commitment must refuse the activation of the input")
    };
    assert_eq!(
        err,
        NetworkError::Unsupported {
            layer: 0,
            what: "an activation of the committed input in a zero-knowledge proof (not yet)".into()
        }
    );
    // The public input's proof of the same model goes through.
    zk_round_trip::<F, E>(&m, 2, false);
}

/// A zero-knowledge cheating prover: `edit(y_segment, witness)` after layer `layer`'s witness
/// (an activation), `lookup_m` on the lookup multiplicities; everything else — masks, range
/// check, lookup, opening — is the honest prover's on the edited tables. The verifier's
/// verdict.
fn zk_cheat<F: BaseField + FftField, E: ExtField<F>>(
    m: &Model,
    layer: usize,
    mut edit: impl FnMut(usize, WitnessMut<'_, F>),
    lookup_m: impl FnMut(&mut [F]),
) -> Result<(), VerifyError> {
    let mut rng = StdRng::seed_from_u64(7);
    let mut committed = network::commit_model_zk::<F, E, _>(m, &mut rng).unwrap();
    let plan = cheat::zk_plan::<F, E>(m, false).unwrap();
    let Step::Activation(zkcnn::layers::activation::Activation { y, .. }) = plan.steps[layer]
    else {
        unreachable!()
    };
    let input = zoo::random_input(&m.input_shape, m.activation_bits, 5);
    let (out, proof) = cheat::prove_zk_edited_lookup::<F, E, _>(
        m,
        &mut committed,
        zkcnn::network::zk::ZkProverInput::Public(&input),
        |l, w| {
            if l == layer {
                edit(y, w)
            }
        },
        |_| {},
        lookup_m,
        &mut rng,
    )
    .unwrap();
    let x: Vec<i64> = input.iter().copied().collect();
    let yv: Vec<i64> = out.iter().copied().collect();
    network::verify_zk(
        &m.architecture(),
        &zkcnn::network::CheckedZkCommitment::assume_checked(
            &m.architecture(),
            &committed.commitment,
        ),
        &x,
        &yv,
        &proof,
    )
}

fn opening_rejects(verdict: Result<(), VerifyError>) -> bool {
    matches!(
        verdict,
        Err(VerifyError::Deferred(zkcnn::zk::DischargeError::Opening(_)))
    )
}

/// An output entry set to `T(x + 1)` (in range, a table output but not `x`'s), with nothing
/// else reading it: only the hiding lookup's claims meet the edit, and the opening rejects
/// them. The honest witness passes the same path; both fields.
fn zk_wrong_output_is_rejected<F: BaseField + FftField, E: ExtField<F>>() {
    let f = tanh();
    let m = unread_activation(f.clone());
    let (pos, other) = movable(&m, &f);
    assert_eq!(zk_cheat::<F, E>(&m, 1, |_, _| {}, |_| {}), Ok(()));
    let verdict = zk_cheat::<F, E>(&m, 1, |y, w| w.advice[y][pos] = from_i64(other), |_| {});
    assert!(opening_rejects(verdict.clone()), "{verdict:?}");
}

#[test]
fn a_wrong_output_is_rejected_in_zero_knowledge() {
    zk_wrong_output_is_rejected::<G, G2>();
}

#[test]
fn a_wrong_output_is_rejected_in_zero_knowledge_on_bn254() {
    zk_wrong_output_is_rejected::<Bn254Fr, Bn254Fr>();
}

/// The wrap `y' = T(x + 1) + 2^{−B}` (its lookup column entry is a table entry): only `y`'s
/// range column, in the hiding range check, rejects it; both fields.
fn zk_wrapped_output_is_rejected<F: BaseField + FftField, E: ExtField<F>>() {
    let f = tanh();
    let m = unread_activation(f.clone());
    let (pos, other) = movable(&m, &f);
    let inv = F::from(256u64).inverse().unwrap();
    let verdict = zk_cheat::<F, E>(
        &m,
        1,
        |y, w| w.advice[y][pos] = from_i64::<F>(other) + inv,
        |_| {},
    );
    assert!(opening_rejects(verdict.clone()), "{verdict:?}");
}

#[test]
fn a_wrapped_output_is_rejected_in_zero_knowledge_on_both_fields() {
    zk_wrapped_output_is_rejected::<G, G2>();
    zk_wrapped_output_is_rejected::<Bn254Fr, Bn254Fr>();
}

/// One lookup multiplicity moved to another entry: the lookup's fraction sums differ.
#[test]
fn edited_lookup_multiplicities_are_rejected_in_zero_knowledge() {
    let m = unread_activation(tanh());
    let verdict = zk_cheat::<G, G2>(
        &m,
        1,
        |_, _| {},
        |m| {
            let i = m.iter().position(|v| *v != G::ZERO && m[0] != *v).unwrap();
            m[i] -= G::ONE;
            m[(i + 1) % m.len()] += G::ONE;
        },
    );
    assert!(opening_rejects(verdict.clone()), "{verdict:?}");
}

/// Two functions (two tags), neither output read: conv → Tanh (layer 1) and Sigmoid (layer 2)
/// of the conv's output; flatten of the conv's output → dense.
fn two_tags() -> (Model, Function, Function) {
    let (f, g) = (
        tanh(),
        Function::Sigmoid {
            in_frac_bits: 3,
            out_frac_bits: 6,
        },
    );
    let layers = vec![
        conv(1, 2, 5),
        act(f.clone(), None),
        act(g.clone(), Some(1)),
        Layer::Flatten { input: Some(1) },
        dense(2 * 3 * 3, 6),
    ];
    (calibrated(layers, vec![1, 3, 3], 5), f, g)
}

/// A pair valid for another function: the Tanh layer's output entry set to the Sigmoid of its
/// input (an entry of the Sigmoid's block of the table, with the Tanh's tag in its column): the
/// tag term rejects it, in both modes.
#[test]
fn a_pair_of_another_function_is_rejected_in_both_modes() {
    let (m, f, g) = two_tags();
    let input = zoo::random_input(&m.input_shape, m.activation_bits, 5);
    let trace = zkcnn::model::infer(&m, &input).unwrap();
    let x: Vec<i64> = trace.outputs[0].iter().copied().collect();
    let plan = Plan::new(&m).unwrap();
    let (i, &v) = x
        .iter()
        .enumerate()
        .find(|(_, &v)| f.apply(v, 8) != g.apply(v, 8))
        .expect("the functions differ somewhere");
    let (pos, other) = (plan.dims[2].padded_index(i), g.apply(v, 8));
    let edit = |y: usize, w: WitnessMut<'_, G>| w.advice[y][pos] = from_i64(other);
    assert_eq!(zk_cheat::<G, G2>(&m, 1, |_, _| {}, |_| {}), Ok(()));
    let verdict = zk_cheat::<G, G2>(&m, 1, edit, |_| {});
    assert!(opening_rejects(verdict.clone()), "{verdict:?}");
    let verdict = cheat_activation::<G, G2>(&m, edit, |_| {});
    assert_eq!(verdict, Err(VerifyError::Lookup(RangeError::RootMismatch)));
}

/// Tampered zero-knowledge proofs: the lookup removed, or added to a model without
/// activations (`LookupPresence`); its shape (`ProofShape`); a column value or the
/// multiplicities' value (a false claim: the opening rejects it).
#[test]
fn tampered_zero_knowledge_lookups_fail_with_their_errors() {
    use zkcnn::range::{ProofPart, ZkStep};
    type F = G;
    type E = G2;
    let m = model(&[tanh()], 1, 3, 3, true, 2);
    let mut rng = StdRng::seed_from_u64(3);
    let mut committed = network::commit_model_zk::<F, E, _>(&m, &mut rng).unwrap();
    let input = zoo::random_input(&m.input_shape, 8, 2);
    let (output, proof) =
        network::prove_zk::<F, E, _>(&m, &mut committed, &input, &mut rng).unwrap();
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = output.iter().copied().collect();
    let c = committed.commitment.clone();
    let verify = |p: &network::ZkNetworkProof<F, E>| {
        network::verify_zk(
            &m.architecture(),
            &zkcnn::network::CheckedZkCommitment::assume_checked(&m.architecture(), &c),
            &x,
            &y,
            p,
        )
    };
    assert_eq!(verify(&proof), Ok(()));
    let tamper = |f: &dyn Fn(&mut zkcnn::range::zk::ZkRangeProof<E>)| {
        let mut p = proof.clone();
        f(p.lookup.0.as_mut().unwrap());
        verify(&p)
    };

    let mut p = proof.clone();
    p.lookup.0 = None;
    assert_eq!(
        verify(&p),
        Err(VerifyError::LookupPresence { model_has: true })
    );

    let layers = proof.lookup.0.as_ref().unwrap().table.len();
    assert_eq!(
        tamper(&|l| {
            l.table.pop();
        }),
        Err(VerifyError::Lookup(RangeError::ProofShape {
            part: ProofPart::Layers { tree: Tree::Table },
            expected: layers,
            got: layers - 1,
        }))
    );
    assert_eq!(
        tamper(&|l| l.column_values.push(E::ONE)),
        Err(VerifyError::Lookup(RangeError::ProofShape {
            part: ProofPart::ColumnValues,
            expected: 1,
            got: 2,
        }))
    );
    assert_eq!(
        tamper(&|l| {
            l.join.values.pop();
        }),
        Err(VerifyError::Lookup(RangeError::ProofShape {
            part: ProofPart::ZkValues { step: ZkStep::Join },
            expected: 4,
            got: 3,
        }))
    );
    type Edit = dyn Fn(&mut zkcnn::range::zk::ZkRangeProof<E>);
    let edits: [&Edit; 3] = [
        &|l| l.column_values[0] += E::ONE,
        &|l| l.multiplicities_value += E::ONE,
        &|l| l.join.values[1] += E::ONE,
    ];
    for edit in edits {
        let verdict = tamper(edit);
        assert!(opening_rejects(verdict.clone()), "{verdict:?}");
    }

    // A model without activations refuses a proof carrying one.
    let plain = zoo::mlp(2);
    let mut c2 = network::commit_model_zk::<F, E, _>(&plain, &mut rng).unwrap();
    let input2 = zoo::random_input(&plain.input_shape, plain.activation_bits, 1);
    let (out2, mut p2) = network::prove_zk::<F, E, _>(&plain, &mut c2, &input2, &mut rng).unwrap();
    assert!(p2.lookup.0.is_none());
    p2.lookup = proof.lookup.clone();
    let x2: Vec<i64> = input2.iter().copied().collect();
    let y2: Vec<i64> = out2.iter().copied().collect();
    assert_eq!(
        network::verify_zk(
            &plain.architecture(),
            &zkcnn::network::CheckedZkCommitment::assume_checked(
                &plain.architecture(),
                &c2.commitment
            ),
            &x2,
            &y2,
            &p2
        ),
        Err(VerifyError::LookupPresence { model_has: false })
    );
}

/// JSON: the layer reads and writes with its function's name and parameters; bad parameters
/// are refused with the layer named.
#[test]
fn activation_json_round_trips_and_bad_parameters_are_named() {
    let m = model(&functions(), 1, 2, 2, false, 1);
    let json = m.to_json();
    assert!(json.contains(r#""type":"Activation""#) || json.contains(r#""type": "Activation""#));
    assert_eq!(Model::from_json(&json).unwrap(), m);
    let mut bad = m.clone();
    bad.layers[0] = act(Function::Clip { min: 5, max: 1 }, None);
    let err = bad.validate().unwrap_err();
    assert_eq!(err.layer(), Some(0));
    assert!(err.to_string().contains("Clip with min 5 > max 1"), "{err}");
    let unknown = json.replacen("Clip", "Erf", 1);
    assert_ne!(unknown, json);
    assert!(Model::from_json(&unknown).is_err());
}

/// What an activation adds to a proof: conv(8 → 8, 16×16) → {ReLU, Sigmoid, Sigmoid + Tanh}
/// → flatten → dense, proof parts in bytes and prove time (run it with `--release`).
#[test]
#[ignore]
fn activation_cost() {
    use std::time::Instant;
    let fs = functions();
    for (name, tail) in [
        ("relu", vec![Layer::RELU]),
        ("sigmoid", vec![act(fs[4].clone(), None)]),
        (
            "sigmoid+tanh",
            vec![act(fs[4].clone(), None), act(fs[5].clone(), None)],
        ),
    ] {
        let mut layers = vec![conv(8, 8, 1)];
        layers.extend(tail);
        layers.push(Layer::FLATTEN);
        layers.push(dense(8 * 16 * 16, 2));
        let m = calibrated(layers, vec![8, 16, 16], 1);
        let committed = network::commit_model::<G, G2>(&m).unwrap();
        let input = zoo::random_input(&m.input_shape, 8, 1);
        let t = Instant::now();
        let (_, proof) = network::prove::<G, G2>(&m, &committed, &input).unwrap();
        let ms = t.elapsed().as_secs_f64() * 1e3;
        let parts = proof.part_sizes();
        let total: usize = parts.iter().map(|p| p.1).sum();
        println!("| {name} | {ms:.1} ms | {total} B | {parts:?} |");
    }
}

/// Edit `x`: in conv → tanh → sigmoid (unread), the tanh's output (the sigmoid's `x`) set to
/// `T(x + 1)` at one position and the sigmoid recomputed from it honestly; the pair of the
/// first activation is no table entry.
#[test]
fn an_edited_input_is_rejected() {
    let f = tanh();
    let layers = vec![
        conv(1, 2, 5),
        act(f.clone(), None),
        act(functions()[4].clone(), None),
        Layer::Flatten { input: Some(1) },
        dense(2 * 3 * 3, 6),
    ];
    let m = calibrated(layers, vec![1, 3, 3], 5);
    let (pos, other) = movable(&m, &f);
    let verdict = cheat_activation::<G, G2>(&m, |y, w| w.advice[y][pos] = from_i64(other), |_| {});
    assert_eq!(verdict, Err(VerifyError::Lookup(RangeError::RootMismatch)));
    assert_eq!(cheat_activation::<G, G2>(&m, |_, _| {}, |_| {}), Ok(()));
}
