//! Saturating requantization (`Model::saturate`, `spec/requant-relu.md`): a requantizing layer
//! outputs `clamp(q, −L, L)`, `L = 2^{B−1} − 1`, proven with the overflow advice `o_hi`, `o_lo`
//! (`acc + 2^{s−1} = 2^s·(y − n + o_hi − o_lo) + rem`, `o_hi·(L − y) = 0`, `o_lo·(L − n) = 0`).
//! A naive oracle, round trips (single, batch, accuracy) on both fields, exact-error tamper tests
//! of the saturating zero-check, and cheating provers against each of its constraints.

use ark_ff::FftField;
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use ndarray::{ArrayD, IxDyn};
use proptest::prelude::*;
use zkcnn::field::{from_i64, to_i64, BaseField, Bn254Fr, ExtField, Goldilocks, GoldilocksExt2};
use zkcnn::layers::LayerError;
use zkcnn::model::{Add, AvgPool2d, Conv2d, Dense, InferenceError, Layer, Model};
use zkcnn::network::cheat::{self, WitnessMut};
use zkcnn::network::plan::{Overflow, Plan, Requant};
use zkcnn::network::{self, ConvPolicy, VerifyError};

type G = Goldilocks;
type G2 = GoldilocksExt2;

const L: i64 = 127;

fn weights(rng: &mut StdRng, n: usize) -> Vec<i64> {
    (0..n).map(|_| rng.gen_range(-128..128)).collect()
}

/// Conv 2→2 (3×3, pad 1) shift `s0`, residual add of the conv's output to itself (shift 0),
/// ReLU, 2×2 average pool (shift `s3`), flatten, dense 8→4 (shift `s5`): with small shifts
/// every requantizing layer saturates, high and low.
fn chain(seed: u64, s0: u32, s3: u32, s5: u32, saturate: bool) -> Model {
    chain_with(2, seed, s0, s3, s5, saturate)
}

/// [`chain`] with `ch` channels.
fn chain_with(ch: usize, seed: u64, s0: u32, s3: u32, s5: u32, saturate: bool) -> Model {
    let mut rng = StdRng::seed_from_u64(seed);
    Model {
        name: "saturating-chain".into(),
        input_shape: vec![ch, 4, 4],
        activation_bits: 8,
        weight_bits: 8,
        layers: vec![
            Layer::Conv2d(Conv2d {
                input: None,
                in_channels: ch,
                out_channels: ch,
                kernel: [3, 3],
                stride: 1,
                padding: 1,
                weights: weights(&mut rng, ch * ch * 9),
                bias: (0..ch).map(|_| rng.gen_range(-500..500)).collect(),
                shift: s0,
                groups: 1,
            }),
            Layer::Add(Add {
                from: 0,
                shift: 0,
                input: None,
            }),
            Layer::RELU,
            Layer::AvgPool2d(AvgPool2d {
                divisor: 1,
                size: 2,
                stride: 2,
                shift: s3,
                input: None,
            }),
            Layer::FLATTEN,
            Layer::Dense(Dense {
                input: None,
                in_features: ch * 4,
                out_features: 4,
                weights: weights(&mut rng, ch * 16),
                bias: (0..4).map(|_| rng.gen_range(-100..100)).collect(),
                shift: s5,
            }),
        ],
        quantization: None,
        saturate,
        bias_bits: 32,
    }
}

/// The chain in zero knowledge: four channels, so that the average pool's output (`[4, 2, 2]`)
/// has the 16 entries a proof needs to hide its reads of it (`spec/zk.md`, "The advice"; with
/// two channels the prover refuses: `NetworkError::AdviceReads`).
fn zk_chain(seed: u64, s0: u32, s3: u32, s5: u32, saturate: bool) -> Model {
    chain_with(4, seed, s0, s3, s5, saturate)
}

/// The zero-knowledge chain's input shape.
const ZK_SHAPE: [usize; 3] = [4, 4, 4];

/// Dense 8→4 with shift `shift`, then dense 4→4 with shift 8: the first layer's output is
/// read by another layer (so the statement's output range does not catch its edits).
fn dense(seed: u64, shift: u32) -> Model {
    let mut rng = StdRng::seed_from_u64(seed);
    Model {
        name: "saturating-dense".into(),
        input_shape: vec![8],
        activation_bits: 8,
        weight_bits: 8,
        layers: vec![
            Layer::Dense(Dense {
                input: None,
                in_features: 8,
                out_features: 4,
                weights: weights(&mut rng, 32),
                bias: (0..4).map(|_| rng.gen_range(-1000..1000)).collect(),
                shift,
            }),
            Layer::Dense(Dense {
                input: None,
                in_features: 4,
                out_features: 4,
                weights: weights(&mut rng, 16),
                bias: (0..4).map(|_| rng.gen_range(-1000..1000)).collect(),
                shift: 8,
            }),
        ],
        quantization: None,
        saturate: true,
        bias_bits: 32,
    }
}

fn input(shape: &[usize], seed: u64) -> ArrayD<i64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let n = shape.iter().product();
    let v = (0..n).map(|_| rng.gen_range(-L..=L)).collect();
    ArrayD::from_shape_vec(IxDyn(shape), v).unwrap()
}

/// `⌊(acc + 2^{s−1})/2^s⌋` clamped to `[−L, L]`, written out.
fn requant(acc: i64, s: u32) -> i64 {
    let half = if s > 0 { 1 << (s - 1) } else { 0 };
    ((acc + half) >> s).clamp(-L, L)
}

/// The chain's integer inference ([`chain_with`], any channels), written out with loops: each
/// layer's output.
fn oracle(m: &Model, x: &ArrayD<i64>) -> Vec<Vec<i64>> {
    let x: Vec<i64> = x.iter().copied().collect();
    let (Layer::Conv2d(c), Layer::AvgPool2d(p), Layer::Dense(d)) =
        (&m.layers[0], &m.layers[3], &m.layers[5])
    else {
        unreachable!()
    };
    let ch = c.out_channels;
    let mut conv = vec![0; ch * 16];
    for o in 0..ch {
        for y in 0..4i64 {
            for xx in 0..4i64 {
                let mut acc = c.bias[o];
                for i in 0..ch {
                    for ky in 0..3i64 {
                        for kx in 0..3i64 {
                            let (iy, ix) = (y + ky - 1, xx + kx - 1);
                            if (0..4).contains(&iy) && (0..4).contains(&ix) {
                                let w =
                                    c.weights[((o * ch + i) * 3 + ky as usize) * 3 + kx as usize];
                                acc += w * x[i * 16 + (iy * 4 + ix) as usize];
                            }
                        }
                    }
                }
                conv[o * 16 + (y * 4 + xx) as usize] = requant(acc, c.shift);
            }
        }
    }
    let add: Vec<i64> = conv.iter().map(|&v| requant(2 * v, 0)).collect();
    let relu: Vec<i64> = add.iter().map(|&v| v.max(0)).collect();
    let mut pool = vec![0; ch * 4];
    for o in 0..ch {
        for y in 0..2 {
            for xx in 0..2 {
                let acc: i64 = (0..4)
                    .map(|k| relu[o * 16 + (2 * y + k / 2) * 4 + 2 * xx + k % 2])
                    .sum();
                pool[o * 4 + y * 2 + xx] = requant(acc, p.shift);
            }
        }
    }
    let out = (0..4)
        .map(|o| {
            let n = ch * 4;
            let acc = d.bias[o] + (0..n).map(|i| d.weights[o * n + i] * pool[i]).sum::<i64>();
            requant(acc, d.shift)
        })
        .collect();
    vec![conv, add, relu, pool.clone(), pool, out]
}

fn prove_verify<F: BaseField + FftField, E: ExtField<F>>(
    m: &Model,
    x: &ArrayD<i64>,
) -> Result<Vec<i64>, VerifyError> {
    let committed = network::commit_model::<F, E>(m).unwrap();
    let checked = committed.public.check(&m.architecture()).unwrap();
    let (out, proof) = network::prove::<F, E>(m, &committed, x).unwrap();
    let xs: Vec<i64> = x.iter().copied().collect();
    let y: Vec<i64> = out.iter().copied().collect();
    network::verify(&m.architecture(), &checked, &xs, &y, &proof)?;
    Ok(y)
}

#[test]
fn oracle_clips_and_the_proof_is_of_the_clipped_output() {
    let m = chain(1, 5, 1, 6, true);
    let mut highs = [0usize; 6];
    let mut lows = [0usize; 6];
    for seed in 0..3 {
        let x = input(&[2, 4, 4], seed);
        let want = oracle(&m, &x);
        let trace = zkcnn::model::infer(&m, &x).unwrap();
        for (l, w) in want.iter().enumerate() {
            let got: Vec<i64> = trace.outputs[l].iter().copied().collect();
            assert_eq!(&got, w, "layer {l}, input {seed}");
            highs[l] += w.iter().filter(|&&v| v == L).count();
            lows[l] += w.iter().filter(|&&v| v == -L).count();
        }
        assert_eq!(prove_verify::<G, G2>(&m, &x).unwrap(), want[5]);
    }
    // Saturated high and low at the convolution, the add and the dense layer; high at the
    // pool (after the ReLU).
    for l in [0, 1, 5] {
        assert!(highs[l] > 0 && lows[l] > 0, "layer {l}: {highs:?} {lows:?}");
    }
    assert!(highs[3] > 0, "{highs:?}");
    // Without saturation the same model refuses the input, naming the layer.
    let plain = chain(1, 5, 1, 6, false);
    let err = zkcnn::model::infer(&plain, &input(&[2, 4, 4], 0)).unwrap_err();
    assert!(
        matches!(err, InferenceError::Overflow { layer: 0, .. }),
        "{err:?}"
    );
}

#[test]
fn round_trips_on_bn254() {
    let m = chain(2, 5, 1, 6, true);
    let x = input(&[2, 4, 4], 7);
    let y = prove_verify::<Bn254Fr, Bn254Fr>(&m, &x).unwrap();
    assert_eq!(y, oracle(&m, &x)[5]);
}

#[test]
fn the_flag_is_off_by_default_and_absent_from_the_json() {
    let m = chain(3, 12, 2, 14, false);
    let json = m.to_json();
    assert!(!json.contains("saturate"), "{json}");
    assert!(!Model::from_json(&json).unwrap().saturate);
    let on = chain(3, 12, 2, 14, true);
    let json = on.to_json();
    assert!(json.contains("\"saturate\": true"), "{json}");
    assert_eq!(Model::from_json(&json).unwrap(), on);
    // The flag is part of the architecture the statement binds.
    assert_ne!(m.architecture_json(), on.architecture_json());
    // A plan of a non-saturating model has no overflow; of a saturating one, at every layer
    // whose accumulator bound can leave the range (not the ReLU, whose shift is 0 on a value
    // in range).
    let plan = Plan::new(&m).unwrap();
    assert!((0..6).all(|l| plan.requant_of(l).is_none_or(|r| r.overflow.is_none())));
    let plan = Plan::new(&on).unwrap();
    for l in [0, 1, 5] {
        assert!(plan.requant_of(l).unwrap().overflow.is_some(), "layer {l}");
    }
    // The pool: |acc| ≤ 4·127 = 508 and shift 2, so |q| ≤ 127: nothing to prove.
    assert!(plan.requant_of(3).unwrap().overflow.is_none());
    // The add: |acc| ≤ 254, so o ≤ 127, 7 bits in one limb.
    let o = plan.requant_of(1).unwrap().overflow.clone().unwrap();
    assert_eq!((o.limit, o.bits, o.hi.len(), o.lo.len()), (L, 7, 1, 1));
}

/// Commits `m` with the hiding commitment, proves `x` in zero knowledge and verifies; returns
/// the output and the proof's verdict.
fn zk_prove_verify<F: BaseField + FftField, E: ExtField<F>>(
    m: &Model,
    x: &ArrayD<i64>,
    seed: u64,
) -> (Vec<i64>, Result<(), VerifyError>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut committed = network::commit_model_zk::<F, E, _>(m, &mut rng).unwrap();
    let (out, proof) = network::prove_zk::<F, E, _>(m, &mut committed, x, &mut rng).unwrap();
    let xs: Vec<i64> = x.iter().copied().collect();
    let y: Vec<i64> = out.iter().copied().collect();
    let verdict = network::verify_zk(
        &m.architecture(),
        &zkcnn::network::CheckedZkCommitment::assume_checked(
            &m.architecture(),
            &committed.commitment,
        ),
        &xs,
        &y,
        &proof,
    );
    (y, verdict)
}

#[test]
fn zero_knowledge_proofs_of_saturating_layers_round_trip() {
    // Every requantizing kind (conv, add, average pool, dense; the ReLU after the add is fused)
    // saturating high and low, as the transparent oracle test checks of the two-channel model.
    let m = zk_chain(1, 5, 1, 6, true);
    for seed in 0..2 {
        let x = input(&ZK_SHAPE, seed);
        let want = oracle(&m, &x);
        assert!(
            want[0].contains(&L) && want[0].contains(&-L),
            "{:?}",
            want[0]
        );
        let (y, verdict) = zk_prove_verify::<G, G2>(&m, &x, seed);
        verdict.unwrap();
        assert_eq!(y, want[5]);
    }
    let m = zk_chain(2, 5, 1, 6, true);
    let x = input(&ZK_SHAPE, 7);
    let (y, verdict) = zk_prove_verify::<Bn254Fr, Bn254Fr>(&m, &x, 7);
    verdict.unwrap();
    assert_eq!(y, oracle(&m, &x)[5]);
    // The dense model, an output saturated each way and one inside, on both fields.
    let (m, x, _) = mixed();
    let want: Vec<i64> = zkcnn::model::infer_output(&m, &x)
        .unwrap()
        .iter()
        .copied()
        .collect();
    for seed in [3, 4] {
        let (y, verdict) = if seed == 3 {
            zk_prove_verify::<G, G2>(&m, &x, seed)
        } else {
            zk_prove_verify::<Bn254Fr, Bn254Fr>(&m, &x, seed)
        };
        verdict.unwrap();
        assert_eq!(y, want);
    }
}

#[test]
fn a_saturating_proof_does_not_verify_as_the_plain_model() {
    // The flag is in the architecture: the plain model's verifier refuses the commitment.
    let m = zk_chain(4, 5, 1, 6, true);
    let x = input(&ZK_SHAPE, 4);
    let mut rng = StdRng::seed_from_u64(4);
    let mut committed = network::commit_model_zk::<G, G2, _>(&m, &mut rng).unwrap();
    let (out, proof) = network::prove_zk::<G, G2, _>(&m, &mut committed, &x, &mut rng).unwrap();
    let xs: Vec<i64> = x.iter().copied().collect();
    let y: Vec<i64> = out.iter().copied().collect();
    let plain = zk_chain(4, 5, 1, 6, false);
    assert!(network::verify_zk(
        &plain,
        &zkcnn::network::CheckedZkCommitment::assume_checked(&plain, &committed.commitment),
        &xs,
        &y,
        &proof
    )
    .is_err());
    network::verify_zk(
        &m,
        &zkcnn::network::CheckedZkCommitment::assume_checked(&m, &committed.commitment),
        &xs,
        &y,
        &proof,
    )
    .unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    /// Random shifts (overflowing or not) and inputs in zero knowledge: the proof verifies and
    /// its output is the oracle's.
    #[test]
    fn random_shifts_round_trip_in_zero_knowledge(
        seed in 0u64..1 << 32, s0 in 0u32..12, s3 in 0u32..4, s5 in 0u32..14,
    ) {
        let m = zk_chain(seed, s0, s3, s5, true);
        let x = input(&ZK_SHAPE, seed ^ 0x5a);
        let (y, verdict) = zk_prove_verify::<G, G2>(&m, &x, seed);
        prop_assert_eq!(verdict, Ok(()));
        prop_assert_eq!(y, oracle(&m, &x)[5].clone());
    }
}

#[test]
fn batch_and_accuracy_proofs_of_saturating_inputs() {
    // Two dense layers, the first saturating both ways.
    let (m, _, _) = mixed();
    let committed = network::commit_model::<G, G2>(&m).unwrap();
    let checked = committed.public.check(&m.architecture()).unwrap();
    let xs: Vec<ArrayD<i64>> = (0..3).map(|s| input(&[8], 20 + s)).collect();
    let (outs, proof) = network::prove_batch::<G, G2>(&m, &committed, &xs).unwrap();
    let flat: Vec<Vec<i64>> = xs.iter().map(|x| x.iter().copied().collect()).collect();
    let ys: Vec<Vec<i64>> = outs.iter().map(|y| y.iter().copied().collect()).collect();
    for (x, y) in xs.iter().zip(&ys) {
        let want: Vec<i64> = zkcnn::model::infer_output(&m, x)
            .unwrap()
            .iter()
            .copied()
            .collect();
        assert_eq!(*y, want);
    }
    let xr: Vec<&[i64]> = flat.iter().map(Vec::as_slice).collect();
    let yr: Vec<&[i64]> = ys.iter().map(Vec::as_slice).collect();
    network::verify_batch(&m, &checked, &xr, &yr, &proof).unwrap();
    // Labels: the first maximal logit for two inputs, another class for the third.
    let argmax = |y: &[i64]| {
        (0..y.len())
            .find(|&i| y[i] == *y.iter().max().unwrap())
            .unwrap()
    };
    let labels = vec![argmax(&ys[0]), argmax(&ys[1]), (argmax(&ys[2]) + 1) % 4];
    let proof = network::prove_accuracy::<G, G2>(&m, &committed, &xs, &labels).unwrap();
    assert_eq!((proof.count, proof.correct), (3, 2));
    network::verify_accuracy(&m, &checked, &xr, &labels, &proof).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// Random shifts (overflowing or not) and inputs: the proof verifies and its output is the
    /// oracle's.
    #[test]
    fn random_shifts_round_trip(seed in 0u64..1 << 32, s0 in 0u32..12, s3 in 0u32..4, s5 in 0u32..14) {
        let m = chain(seed, s0, s3, s5, true);
        let x = input(&[2, 4, 4], seed ^ 0x5a);
        let y = prove_verify::<G, G2>(&m, &x).unwrap();
        prop_assert_eq!(y, oracle(&m, &x)[5].clone());
    }

    #[test]
    fn random_dense_shifts_round_trip(seed in 0u64..1 << 32, shift in 0u32..16) {
        let m = dense(seed, shift);
        let x = input(&[8], seed);
        prove_verify::<G, G2>(&m, &x).unwrap();
    }
}

/// The dense model's saturating zero-check in a proof: its index among the products.
fn saturating_product<F: BaseField + FftField, E: ExtField<F>>(
    proof: &network::Proof<F, E>,
    limbs: usize,
) -> usize {
    // The layers' products from the output back: layer 1's dense and zero-check, then
    // layer 0's dense and zero-check.
    let found: Vec<usize> = (0..proof.products.len())
        .filter(|&i| proof.products[i].values.len() == 3 + 2 * limbs)
        .collect();
    *found.last().unwrap()
}

fn tamper_errors<F: BaseField + FftField, E: ExtField<F>>() {
    let m = dense(9, 4);
    let plan = Plan::new(&m).unwrap();
    let o = plan.requant_of(0).unwrap().overflow.clone().unwrap();
    let committed = network::commit_model::<F, E>(&m).unwrap();
    let checked = committed.public.check(&m.architecture()).unwrap();
    let x = input(&[8], 9);
    let (out, proof) = network::prove::<F, E>(&m, &committed, &x).unwrap();
    let xs: Vec<i64> = x.iter().copied().collect();
    let y: Vec<i64> = out.iter().copied().collect();
    network::verify(&m, &checked, &xs, &y, &proof).unwrap();
    let at = saturating_product(&proof, o.hi.len());
    let layer_err = |source| VerifyError::Layer { layer: 0, source };
    let check = |edit: &dyn Fn(&mut network::Proof<F, E>), want: VerifyError| {
        let mut p = proof.clone();
        edit(&mut p);
        assert_eq!(network::verify(&m, &checked, &xs, &y, &p), Err(want));
    };
    const STEP: &str = "saturating zero-check";
    check(
        &|p| p.products[at].values[0] += E::ONE,
        layer_err(LayerError::PublicValue {
            what: "saturating zero-check eq",
        }),
    );
    for v in 1..3 + 2 * o.hi.len() {
        check(
            &|p| p.products[at].values[v] += E::ONE,
            layer_err(LayerError::FinalProduct { step: STEP }),
        );
    }
    let expected = 3 + 2 * o.hi.len();
    check(
        &|p| {
            p.products[at].values.pop();
        },
        layer_err(LayerError::Count {
            what: STEP,
            expected,
            got: expected - 1,
        }),
    );
    // A changed round message changes ρ: the sent eq(r', ρ) no longer matches.
    check(
        &|p| p.products[at].sumcheck.rounds[0].evals[0] += E::ONE,
        layer_err(LayerError::PublicValue {
            what: "saturating zero-check eq",
        }),
    );
    let mut p = proof.clone();
    p.products[at].sumcheck.rounds.pop();
    assert!(matches!(
        network::verify(&m, &checked, &xs, &y, &p),
        Err(VerifyError::Layer {
            layer: 0,
            source: LayerError::Sumcheck { step: STEP, .. }
        })
    ),);
}

#[test]
fn tampered_saturating_zero_checks_fail_exactly() {
    tamper_errors::<G, G2>();
    tamper_errors::<Bn254Fr, Bn254Fr>();
}

/// A cheating prover on the dense model: `edit(requant, overflow, witness)` after the layer,
/// everything else honest. Returns the edited output and the verdict.
fn cheat<F: BaseField + FftField, E: ExtField<F>>(
    m: &Model,
    x: &ArrayD<i64>,
    mut edit: impl FnMut(&Requant, &Overflow, WitnessMut<'_, F>),
) -> (Vec<i64>, Result<(), VerifyError>) {
    let plan = Plan::new(m).unwrap();
    let r = plan.requant_of(0).unwrap().clone();
    let o = r.overflow.clone().unwrap();
    let committed = network::commit_model::<F, E>(m).unwrap();
    let checked = committed.public.check(&m.architecture()).unwrap();
    let (out, proof) = cheat::prove_edited::<F, E>(
        m,
        &committed,
        x,
        ConvPolicy::CostModel,
        |l, w| {
            if l == 0 {
                edit(&r, &o, w)
            }
        },
        |_| {},
    )
    .unwrap();
    let xs: Vec<i64> = x.iter().copied().collect();
    let y: Vec<i64> = out.iter().copied().collect();
    let verdict = network::verify(m, &checked, &xs, &y, &proof);
    (y, verdict)
}

/// The dense model's accumulators (no requantization).
fn accumulators(m: &Model, x: &ArrayD<i64>) -> Vec<i64> {
    let Layer::Dense(d) = &m.layers[0] else {
        unreachable!()
    };
    (0..4)
        .map(|o| d.bias[o] + (0..8).map(|i| d.weights[o * 8 + i] * x[[i]]).sum::<i64>())
        .collect()
}

/// A shift and an input with an output saturated high (`q > L`), one saturated low
/// (`q < −L`) and one inside (`|q| < L`), found by search over seeds; with `tight`, the model's
/// `bias_bits` is the fewest its biases need (fewer overflow limbs).
fn mixed_with(tight: bool) -> (Model, ArrayD<i64>, [usize; 3]) {
    for seed in 0..200 {
        let mut m = dense(seed, 5);
        if tight {
            m.bias_bits = m.tight_bias_bits();
        }
        let x = input(&[8], seed);
        let q: Vec<i64> = accumulators(&m, &x)
            .iter()
            .map(|&a| zkcnn::model::round_shift(a, 5))
            .collect();
        let hi = q.iter().position(|&v| v > L + 3);
        let lo = q.iter().position(|&v| v < -L - 3);
        let mid = q.iter().position(|&v| v.abs() < L - 3);
        if let (Some(h), Some(l), Some(i)) = (hi, lo, mid) {
            return (m, x, [h, l, i]);
        }
    }
    unreachable!("some seed saturates both ways")
}

fn mixed() -> (Model, ArrayD<i64>, [usize; 3]) {
    mixed_with(false)
}

fn value<F: BaseField>(v: F) -> i64 {
    to_i64(v).unwrap()
}

#[track_caller]
fn caught_at_layer(r: Result<(), VerifyError>) {
    assert!(
        matches!(r, Err(VerifyError::Layer { layer: 0, .. })),
        "{r:?}"
    );
}

#[track_caller]
fn caught_by_range(r: Result<(), VerifyError>) {
    assert!(matches!(r, Err(VerifyError::Range(_))), "{r:?}");
}

/// The cheating provers, through the transparent prover or (`zk`) the zero-knowledge one, where
/// every edit is rejected at the opening (its verifier defers the relation, the zero-check and
/// the range check to it).
fn cheating_provers<F: BaseField + FftField, E: ExtField<F>>(zk: bool, tight: bool) {
    let (m, x, [hi, lo, mid]) = mixed_with(tight);
    let s = 5;

    // Honest: verifies.
    let (y, verdict) = edited::<F, E>(zk, &m, &x, |_, _, _| {});
    verdict.unwrap();
    let first = zkcnn::model::infer(&m, &x).unwrap().outputs[0].clone();
    assert_eq!((first[[hi]], first[[lo]]), (L, -L));

    // 1. The clipped output replaced by the unclipped value: y = q, o_hi = 0 (the relation and
    //    the zero-check hold; y leaves the range). The next layer ignores that entry (zero
    //    weights), so that its own proof, on the unclamped value, stays consistent.
    let mut m1 = m.clone();
    let Layer::Dense(d1) = &mut m1.layers[1] else {
        unreachable!()
    };
    for o in 0..4 {
        d1.weights[o * 4 + hi] = 0;
    }
    let (_, verdict) = edited::<F, E>(zk, &m1, &x, |r, o, w| {
        let extra: i64 =
            o.hi.iter()
                .enumerate()
                .map(|(j, &seg)| value(w.advice[seg][hi]) << (8 * j))
                .sum();
        w.advice[r.y][hi] += from_i64::<F>(extra);
        for &seg in &o.hi {
            w.advice[seg][hi] = F::ZERO;
        }
    });
    by_range(zk, verdict);

    // 2. An output claimed saturated when q < L: y = L, o_hi = 1 at an inside position, the
    //    remainder paying for it (a negative limb) — or not (the relation fails).
    for pay in [true, false] {
        let (_, verdict) = edited::<F, E>(zk, &m, &x, |r, o, w| {
            let yv = value(w.advice[r.y][mid]) - value(w.advice[r.n][mid]);
            w.advice[r.y][mid] = from_i64::<F>(L);
            w.advice[r.n][mid] = F::ZERO;
            w.advice[o.hi[0]][mid] = F::ONE;
            if pay {
                w.advice[r.limbs[0].0][mid] -= from_i64::<F>((L + 1 - yv) << s);
            }
        });
        if pay {
            by_range(zk, verdict);
        } else {
            at_layer(zk, verdict);
        }
    }

    // 2b. … with a negative o_hi instead: y = L, o_hi = q − L < 0 keeps the relation and the
    //     zero-check (y = L); only the range of o_hi's limbs catches it.
    let (_, verdict) = edited::<F, E>(zk, &m, &x, |r, o, w| {
        let q = value(w.advice[r.y][mid]) - value(w.advice[r.n][mid]);
        w.advice[r.y][mid] = from_i64::<F>(L);
        w.advice[r.n][mid] = F::ZERO;
        w.advice[o.hi[0]][mid] = from_i64::<F>(q - L);
    });
    by_range(zk, verdict);

    // 3. o_hi and o_lo both nonzero: both raised by one where the output saturates high (the
    //    relation and every range hold; only o_lo·(L − n) = 0 fails).
    let (y2, verdict) = edited::<F, E>(zk, &m, &x, |_, o, w| {
        w.advice[o.hi[0]][hi] += F::ONE;
        w.advice[o.lo[0]][hi] += F::ONE;
    });
    assert_eq!(y2, y, "the statement is the honest one");
    at_layer(zk, verdict);
    // Where the output saturates low: only o_hi·(L − y) = 0 fails.
    let (_, verdict) = edited::<F, E>(zk, &m, &x, |_, o, w| {
        w.advice[o.hi[0]][lo] += F::ONE;
        w.advice[o.lo[0]][lo] += F::ONE;
    });
    at_layer(zk, verdict);
    // The same where the output is inside: both constraints fail.
    let (_, verdict) = edited::<F, E>(zk, &m, &x, |_, o, w| {
        w.advice[o.hi[0]][mid] += F::ONE;
        w.advice[o.lo[0]][mid] += F::ONE;
    });
    at_layer(zk, verdict);

    // 4. A negative overflow hidden in the remainder: o_lo = 0 where the output saturates low,
    //    the remainder's limbs taking −2^s·o_lo (negative: the range check).
    let (_, verdict) = edited::<F, E>(zk, &m, &x, |r, o, w| {
        let olo: i64 =
            o.lo.iter()
                .enumerate()
                .map(|(j, &seg)| value(w.advice[seg][lo]) << (8 * j))
                .sum();
        for &seg in &o.lo {
            w.advice[seg][lo] = F::ZERO;
        }
        w.advice[r.limbs[0].0][lo] -= from_i64::<F>(olo << s);
    });
    by_range(zk, verdict);
    // … or a low overflow moved into a high one with the output unchanged: o_hi = o_lo
    // where n = L (the relation's sign flips: it fails).
    let (_, verdict) = edited::<F, E>(zk, &m, &x, |_, o, w| {
        for (&h, &l) in o.hi.iter().zip(&o.lo) {
            w.advice[h][lo] = w.advice[l][lo];
            w.advice[l][lo] = F::ZERO;
        }
    });
    at_layer(zk, verdict);

    // 5. One overflow limb edited alone at a real position: the relation fails (padded
    //    positions: `padded_overflow_edits_are_rejected`).
    for seg_of in [0usize, 1] {
        let (_, verdict) = edited::<F, E>(zk, &m, &x, |_, o, w| {
            let seg = if seg_of == 0 { o.hi[0] } else { o.lo[0] };
            w.advice[seg][mid] += F::ONE;
        });
        at_layer(zk, verdict);
    }
}

#[test]
fn cheating_provers_are_rejected_on_both_fields() {
    for tight in [false, true] {
        cheating_provers::<G, G2>(false, tight);
        cheating_provers::<Bn254Fr, Bn254Fr>(false, tight);
    }
}

#[test]
fn zero_knowledge_cheating_provers_are_rejected_on_both_fields() {
    for tight in [false, true] {
        cheating_provers::<G, G2>(true, tight);
        cheating_provers::<Bn254Fr, Bn254Fr>(true, tight);
    }
}

/// `K` of `spec/requant-relu.md` written out for a dense layer of fan-in `fan_in`: the bit
/// length of `⌊(A + 2^{s−1})/2^s⌋ − L`, `A = fan_in·128·127 + 2^{β−1}` (`B = W = 8`).
fn overflow_bits_oracle(fan_in: u64, shift: u32, bias_bits: u32) -> u32 {
    let a = fan_in * 128 * 127 + (1u64 << (bias_bits - 1));
    let q = (a + (1 << (shift - 1))) >> shift;
    64 - (q - L as u64).leading_zeros()
}

/// A model's `bias_bits = β` (`import` writes the fewest its biases need) bounds the biases in
/// the commitment and sizes a saturating layer's overflow from `2^{β−1}` instead of `2^31`:
/// fewer overflow limbs, the same outputs, proofs of both kinds verify (also with biases at both
/// ends of the range); a committed bias limb beyond its narrow top width fails the commitment's
/// check.
fn a_tight_bias_bound<F: BaseField + FftField, E: ExtField<F>>() {
    let wide = dense(4, 5);
    let mut tight = wide.clone();
    tight.bias_bits = tight.tight_bias_bits();
    // Biases drawn from −1000..1000: 11 bits (−1024..=1023) hold them, 10 do not.
    assert_eq!(tight.bias_bits, 11);
    assert!(tight.validate().is_ok());
    let mut narrower = tight.clone();
    narrower.bias_bits = 10;
    assert!(narrower.validate().is_err());
    // The overflow of layer 0 (fan-in 8, shift 5): 27 bits in 4 limbs of T = 8 against 12 bits
    // in 2.
    let (pw, pt) = (Plan::new(&wide).unwrap(), Plan::new(&tight).unwrap());
    let ow = pw.requant_of(0).unwrap().overflow.clone().unwrap();
    let ot = pt.requant_of(0).unwrap().overflow.clone().unwrap();
    assert_eq!(
        (ow.bits, ot.bits),
        (
            overflow_bits_oracle(8, 5, 32),
            overflow_bits_oracle(8, 5, 11)
        )
    );
    assert_eq!((ow.bits, ow.hi.len(), ot.bits, ot.hi.len()), (27, 4, 12, 2));
    assert!(pt.advice_vars.len() < pw.advice_vars.len());
    assert!(
        pt.model_segs.len() < pw.model_segs.len(),
        "two bias limbs per layer, not four"
    );
    // Same outputs, both kinds verify.
    for seed in 0..2 {
        let x = input(&[8], seed);
        let y = prove_verify::<F, E>(&tight, &x).unwrap();
        assert_eq!(y, prove_verify::<F, E>(&wide, &x).unwrap());
        let (yz, verdict) = zk_prove_verify::<F, E>(&tight, &x, seed);
        verdict.unwrap();
        assert_eq!(yz, y);
    }
    // Biases at both ends of [−2^10, 2^10).
    let mut ends = tight.clone();
    for layer in &mut ends.layers {
        if let Layer::Dense(d) = layer {
            for (i, b) in d.bias.iter_mut().enumerate() {
                *b = if i % 2 == 0 { -1024 } else { 1023 };
            }
        }
    }
    assert_eq!(ends.tight_bias_bits(), 11);
    let x = input(&[8], 5);
    prove_verify::<F, E>(&ends, &x).unwrap();
    zk_prove_verify::<F, E>(&ends, &x, 5).1.unwrap();
    // A cheating committer: layer 0's top bias limb (3 bits wide: 11 = 8 + 3) set to 8, which
    // would stand for a bias of 8·2^8 − 1024 + low = beyond 1023. The check refuses it.
    let Some(zkcnn::network::plan::Step::Dense(zkcnn::layers::dense::Dense { bias, .. })) =
        pt.steps.first()
    else {
        unreachable!()
    };
    assert_eq!(
        bias.limbs.iter().map(|&(_, at)| at).collect::<Vec<_>>(),
        [0, 8]
    );
    let top = bias.limbs[1].0;
    assert_eq!((pt.model_segs[top].lo, pt.model_segs[top].hi), (0, 7));
    let at = pt.model_packing.offset(top);
    let forged = cheat::commit_edited::<F, E>(&tight, |_, t| t[at] = from_i64(8)).unwrap();
    let err = forged.public.check(&tight.architecture()).unwrap_err();
    assert!(
        matches!(err, zkcnn::network::CheckError::Range(_)),
        "{err:?}"
    );
}

#[test]
fn a_tight_bias_bound_shrinks_the_overflow_on_both_fields() {
    a_tight_bias_bound::<G, G2>();
    a_tight_bias_bound::<Bn254Fr, Bn254Fr>();
}

/// A cheating prover of either kind ([`cheat`], [`zk_cheat`]).
fn edited<F: BaseField + FftField, E: ExtField<F>>(
    zk: bool,
    m: &Model,
    x: &ArrayD<i64>,
    edit: impl FnMut(&Requant, &Overflow, WitnessMut<'_, F>),
) -> (Vec<i64>, Result<(), VerifyError>) {
    if zk {
        zk_cheat::<F, E>(m, x, edit)
    } else {
        cheat::<F, E>(m, x, edit)
    }
}

/// Rejected by the range check (transparent) or at the opening (zero knowledge).
#[track_caller]
fn by_range(zk: bool, r: Result<(), VerifyError>) {
    if zk {
        caught_at_opening(r)
    } else {
        caught_by_range(r)
    }
}

/// Rejected at layer 0 (transparent) or at the opening (zero knowledge).
#[track_caller]
fn at_layer(zk: bool, r: Result<(), VerifyError>) {
    if zk {
        caught_at_opening(r)
    } else {
        caught_at_layer(r)
    }
}

// ---------------------------------------------------------------------------------------------
// Zero knowledge: tamper tests and cheating provers through the zero-knowledge prover.

const ZK_STEP: &str = "saturating zero-check (zero knowledge)";

/// Whether `r` is a rejection at the zero-knowledge opening (where the zero-knowledge proof
/// checks every relation, zero-check and range claim it deferred).
fn at_opening(r: &Result<(), VerifyError>) -> bool {
    matches!(
        r,
        Err(VerifyError::Deferred(zkcnn::zk::DischargeError::Opening(_)))
    )
}

fn zk_tamper_errors<F: BaseField + FftField, E: ExtField<F>>() {
    let m = dense(9, 4);
    let plan = cheat::zk_plan::<F, E>(&m, false).unwrap();
    let k = plan
        .requant_of(0)
        .unwrap()
        .overflow
        .as_ref()
        .unwrap()
        .hi
        .len();
    let x = input(&[8], 9);
    let mut rng = StdRng::seed_from_u64(9);
    let mut committed = network::commit_model_zk::<F, E, _>(&m, &mut rng).unwrap();
    let (out, proof) = network::prove_zk::<F, E, _>(&m, &mut committed, &x, &mut rng).unwrap();
    let xs: Vec<i64> = x.iter().copied().collect();
    let y: Vec<i64> = out.iter().copied().collect();
    let c = committed.commitment.clone();
    let check = |edit: &dyn Fn(&mut network::ZkNetworkProof<F, E>)| {
        let mut p = proof.clone();
        edit(&mut p);
        network::verify_zk(
            &m,
            &zkcnn::network::CheckedZkCommitment::assume_checked(&m, &c),
            &xs,
            &y,
            &p,
        )
    };
    check(&|_| {}).unwrap();
    // Proof order: layer 1's step and zero-check, then layer 0's step and zero-check (the
    // last sum-check); each zero-check sends y, n and the 2k overflow limbs, masked.
    let at = proof.sumchecks.len() - 1;
    assert_eq!(proof.sumchecks[at].values.len(), 2 + 2 * k);
    let k1 = cheat::zk_plan::<F, E>(&m, false)
        .unwrap()
        .requant_of(1)
        .unwrap()
        .overflow
        .as_ref()
        .unwrap()
        .hi
        .len();
    assert_eq!(
        proof.sumchecks[at - 2].values.len(),
        2 + 2 * k1,
        "layer 1's"
    );
    // Every masked value is bound: its claim, or the mask's form, fails at the opening.
    for v in 0..2 + 2 * k {
        let got = check(&|p| p.sumchecks[at].values[v] += E::ONE);
        assert!(at_opening(&got), "value {v}: {got:?}");
    }
    // The layer step's masked values of the overflow limbs (its last 2k), likewise.
    let step = &proof.sumchecks[at - 1];
    let n = step.values.len();
    for v in n - 2 * k..n {
        let got = check(&|p| p.sumchecks[at - 1].values[v] += E::ONE);
        assert!(at_opening(&got), "layer step value {v}: {got:?}");
    }
    let got = check(&|p| p.sumchecks[at].zk.mask_sum += E::ONE);
    assert!(at_opening(&got), "{got:?}");
    for j in 0..proof.sumchecks[at].zk.sumcheck.rounds.len() {
        let got = check(&|p| p.sumchecks[at].zk.sumcheck.rounds[j].evals[0] += E::ONE);
        assert!(got.is_err(), "round {j}");
    }
    // Shapes: exact errors.
    let layer0 = |source| Err(VerifyError::Layer { layer: 0, source });
    assert_eq!(
        check(&|p| {
            p.sumchecks[at].values.pop();
        }),
        layer0(LayerError::Sumcheck {
            step: ZK_STEP,
            source: zkcnn::sumcheck::SumcheckError::MaskedValues {
                expected: 2 + 2 * k,
                got: 1 + 2 * k,
            },
        })
    );
    assert_eq!(
        check(&|p| p.sumchecks[at].values.push(E::ONE)),
        layer0(LayerError::Sumcheck {
            step: ZK_STEP,
            source: zkcnn::sumcheck::SumcheckError::MaskedValues {
                expected: 2 + 2 * k,
                got: 3 + 2 * k,
            },
        })
    );
    let rounds = proof.sumchecks[at].zk.sumcheck.rounds.len();
    assert_eq!(
        check(&|p| {
            p.sumchecks[at].zk.sumcheck.rounds.pop();
        }),
        layer0(LayerError::Sumcheck {
            step: ZK_STEP,
            source: zkcnn::sumcheck::SumcheckError::RoundCount {
                expected: rounds,
                got: rounds - 1,
            },
        })
    );
    // The plain zero-check's proof (two values) in its place.
    assert!(matches!(
        check(&|p| p.sumchecks[at].values.truncate(2)),
        Err(VerifyError::Layer {
            layer: 0,
            source: LayerError::Sumcheck { step: ZK_STEP, .. }
        })
    ));
}

#[test]
fn tampered_zero_knowledge_saturating_zero_checks_fail_exactly() {
    zk_tamper_errors::<G, G2>();
    zk_tamper_errors::<Bn254Fr, Bn254Fr>();
}

/// A cheating zero-knowledge prover on the dense model: `edit(requant, overflow, witness)`
/// after layer 0 (the zero-knowledge plan's segments), everything else honest — the masks,
/// the range check and the opening on the edited tables. Returns the edited output and the
/// verdict.
fn zk_cheat<F: BaseField + FftField, E: ExtField<F>>(
    m: &Model,
    x: &ArrayD<i64>,
    mut edit: impl FnMut(&Requant, &Overflow, WitnessMut<'_, F>),
) -> (Vec<i64>, Result<(), VerifyError>) {
    let plan = cheat::zk_plan::<F, E>(m, false).unwrap();
    let r = plan.requant_of(0).unwrap().clone();
    let o = r.overflow.clone().unwrap();
    let mut rng = StdRng::seed_from_u64(21);
    let mut committed = network::commit_model_zk::<F, E, _>(m, &mut rng).unwrap();
    let (out, proof) = cheat::prove_zk_edited::<F, E, _>(
        m,
        &mut committed,
        network::zk::ZkProverInput::Public(x),
        |l, w| {
            if l == 0 {
                edit(&r, &o, w)
            }
        },
        |_| {},
        &mut rng,
    )
    .unwrap();
    let xs: Vec<i64> = x.iter().copied().collect();
    let y: Vec<i64> = out.iter().copied().collect();
    let verdict = network::verify_zk(
        &m.architecture(),
        &zkcnn::network::CheckedZkCommitment::assume_checked(
            &m.architecture(),
            &committed.commitment,
        ),
        &xs,
        &y,
        &proof,
    );
    (y, verdict)
}

#[track_caller]
fn caught_at_opening(r: Result<(), VerifyError>) {
    assert!(at_opening(&r), "{r:?}");
}

/// The dense model with 3 outputs at layer 0 (padded to 4).
fn padded_dense() -> Model {
    let mut m = dense(11, 5);
    let Layer::Dense(d) = &mut m.layers[0] else {
        unreachable!()
    };
    d.out_features = 3;
    d.weights.truncate(24);
    d.bias.truncate(3);
    let Layer::Dense(d1) = &mut m.layers[1] else {
        unreachable!()
    };
    d1.in_features = 3;
    d1.weights = (0..12).map(|i| i % 7 - 3).collect();
    m
}

/// Padded positions of a saturating layer: the dense output 3 → 4 entries (one padded), where
/// o_hi = o_lo = 1 keeps the relation but not the zero-check, and o_hi = 1 alone breaks the
/// relation; through both provers.
#[test]
fn padded_overflow_edits_are_rejected() {
    let m = padded_dense();
    let x = input(&[8], 11);
    let pad = 3;
    for (zk, both) in [(false, true), (false, false), (true, true), (true, false)] {
        let (_, verdict) = edited::<G, G2>(zk, &m, &x, |_, o, w| {
            w.advice[o.hi[0]][pad] += from_i64::<G>(1);
            if both {
                w.advice[o.lo[0]][pad] += from_i64::<G>(1);
            }
        });
        at_layer(zk, verdict);
    }
}

/// The LeNet-5 fixture on its 5,000 eval digits, with and without saturation: prints the
/// digits whose inference overflows, both quantized accuracies, and writes (to
/// `$ZKCNN_SATURATE_OUT`, default `/tmp/zkcnn-saturate`) the saturating model and the first
/// 1,000 eval digits plus the overflowing ones (`images.npy`, real values, and `labels.npy`)
/// for the CLI's accuracy proof. Run by hand (`--ignored`): the measurement of
/// `spec/requant-relu.md`.
#[test]
#[ignore]
fn lenet5_eval_overflows() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/mnist-lenet5");
    let read = |n: &str| std::fs::read(dir.join(n)).unwrap();
    let model = Model::from_json(&String::from_utf8(read("model.json")).unwrap()).unwrap();
    let mut sat = model.clone();
    sat.saturate = true;
    let q = model.quantization.clone().unwrap();
    let images = zkcnn::npy::read_f32(&read("eval-images.npy")).unwrap();
    let labels = zkcnn::npy::read_i64(&read("eval-labels.npy")).unwrap().data;
    let len = images.data.len() / images.shape[0];
    let argmax = |y: &[i64]| {
        (0..y.len())
            .find(|&i| y[i] == *y.iter().max().unwrap())
            .unwrap()
    };
    let (mut plain_ok, mut sat_ok, mut overflows) = (0, 0, Vec::new());
    let reals: Vec<Vec<f32>> = images
        .data
        .chunks(len)
        .map(|c| c.iter().map(|&p| p / 255.0).collect())
        .collect();
    for (i, x) in reals.iter().enumerate() {
        let xq = q.quantize_input(x, model.activation_bits);
        let a = ArrayD::from_shape_vec(IxDyn(&model.input_shape), xq).unwrap();
        match zkcnn::model::infer_output(&model, &a) {
            Ok(y) => {
                plain_ok +=
                    usize::from(argmax(&y.iter().copied().collect::<Vec<_>>()) as i64 == labels[i])
            }
            Err(e) => {
                println!("eval digit {i} (label {}): {e}", labels[i]);
                overflows.push(i);
            }
        }
        let y = zkcnn::model::infer_output(&sat, &a).unwrap();
        sat_ok += usize::from(argmax(&y.iter().copied().collect::<Vec<_>>()) as i64 == labels[i]);
    }
    println!(
        "5,000 eval digits: {} overflow without saturation {overflows:?}; correct: {plain_ok} \
         (overflows counted wrong), {sat_ok} with saturation",
        overflows.len()
    );
    let out = std::path::PathBuf::from(
        std::env::var("ZKCNN_SATURATE_OUT").unwrap_or_else(|_| "/tmp/zkcnn-saturate".into()),
    );
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("model-saturate.json"), sat.to_json()).unwrap();
    let mut pick: Vec<usize> = (0..1000).collect();
    pick.extend(overflows.iter().filter(|&&i| i >= 1000));
    let mut data = Vec::new();
    for &i in &pick {
        data.extend_from_slice(&reals[i]);
    }
    let mut shape = vec![pick.len()];
    shape.extend_from_slice(&model.input_shape);
    std::fs::write(out.join("images.npy"), zkcnn::npy::write_f32(&shape, &data)).unwrap();
    let l: Vec<i64> = pick.iter().map(|&i| labels[i]).collect();
    std::fs::write(
        out.join("labels.npy"),
        zkcnn::npy::write_i64(&[l.len()], &l),
    )
    .unwrap();
    let count = |m: &Model| {
        pick.iter()
            .filter(|&&i| {
                let xq = q.quantize_input(&reals[i], model.activation_bits);
                let a = ArrayD::from_shape_vec(IxDyn(&model.input_shape), xq).unwrap();
                zkcnn::model::infer_output(m, &a).is_ok_and(|y| {
                    argmax(&y.iter().copied().collect::<Vec<_>>()) as i64 == labels[i]
                })
            })
            .count()
    };
    println!(
        "the {} digits written: correct {} without saturation, {} with",
        pick.len(),
        count(&model),
        count(&sat)
    );
}

/// The LeNet-5 fixture in zero knowledge, with and without saturation: eval digit 0 both ways
/// (commit, prove, verify times and the proof's size printed), and digit 1512 (which overflows
/// at layer 9 without saturation) refused without and proven with. Run by hand (`--ignored`,
/// `RAYON_NUM_THREADS=2`): the measurement of `spec/zk.md`, "Saturating requantization, in
/// zero-knowledge mode".
#[test]
#[ignore]
fn lenet5_fixture_in_zero_knowledge_with_saturation() {
    use std::time::Instant;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/mnist-lenet5");
    let read = |n: &str| std::fs::read(dir.join(n)).unwrap();
    let model = Model::from_json(&String::from_utf8(read("model.json")).unwrap()).unwrap();
    let mut sat = model.clone();
    sat.saturate = true;
    let q = model.quantization.clone().unwrap();
    let images = zkcnn::npy::read_f32(&read("eval-images.npy")).unwrap();
    let len = images.data.len() / images.shape[0];
    let digit = |i: usize| {
        let x: Vec<f32> = images.data[i * len..(i + 1) * len]
            .iter()
            .map(|&p| p / 255.0)
            .collect();
        let xq = q.quantize_input(&x, model.activation_bits);
        ArrayD::from_shape_vec(IxDyn(&model.input_shape), xq).unwrap()
    };
    for (name, m) in [("plain", &model), ("saturating", &sat)] {
        let mut rng = StdRng::seed_from_u64(1);
        let t = Instant::now();
        let mut committed = network::commit_model_zk::<G, G2, _>(m, &mut rng).unwrap();
        let commit = t.elapsed();
        for i in [0usize, 1512] {
            let x = digit(i);
            let t = Instant::now();
            let proven = network::prove_zk::<G, G2, _>(m, &mut committed, &x, &mut rng);
            let prove = t.elapsed();
            let (out, proof) = match proven {
                Ok(p) => p,
                Err(e) => {
                    assert!(name == "plain" && i == 1512, "{name} {i}: {e}");
                    println!("{name}: digit {i} refused: {e}");
                    continue;
                }
            };
            let xs: Vec<i64> = x.iter().copied().collect();
            let y: Vec<i64> = out.iter().copied().collect();
            let c = &committed.commitment;
            let t = Instant::now();
            network::verify_zk(
                &m.architecture(),
                &zkcnn::network::CheckedZkCommitment::assume_checked(&m.architecture(), c),
                &xs,
                &y,
                &proof,
            )
            .unwrap();
            let verify = t.elapsed();
            let digest = network::zk_statement_digest(m, c, network::ZkInput::Public(&xs), &y);
            let bytes = proof.to_bytes(digest).len();
            println!(
                "{name}: digit {i}: commit {commit:.2?}, prove {prove:.2?}, verify {verify:.2?}, \
                 {bytes} bytes"
            );
        }
    }
}
