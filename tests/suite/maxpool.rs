//! Max-pooling of any window (kernel, stride, padding, ceil mode): round trips on both field
//! instantiations, a cheating prover that edits the output, and tampered proofs
//! (`spec/pooling.md`, "Max pool (any window)").

use ark_ff::{FftField, Field};
use ndarray::ArrayD;
use proptest::prelude::*;
use zkcnn::field::{from_i64, to_i64, BaseField, Bn254Fr, ExtField, Goldilocks, GoldilocksExt2};
use zkcnn::layers::LayerError;
use zkcnn::model::{zoo, Conv2d, Dense, Layer, MaxPool2d, Model};
use zkcnn::network::cheat::{self, WitnessMut};
use zkcnn::network::plan::{Plan, Step};
use zkcnn::network::{self, ConvPolicy, VerifyError};

type G = Goldilocks;
type G2 = GoldilocksExt2;

/// `[c, h, w]` → optional conv 3×3 pad 1 + ReLU → max-pool → flatten → dense(3).
fn model(c: usize, h: usize, w: usize, pool: MaxPool2d, conv: bool, seed: u64) -> Model {
    let mut layers = Vec::new();
    let wt = |n: usize, s: u64| -> Vec<i64> {
        (0..n as u64)
            .map(|i| ((i * 7 + s * 13 + 3) % 11) as i64 - 5)
            .collect()
    };
    if conv {
        layers.push(Layer::Conv2d(Conv2d {
            input: None,
            in_channels: c,
            out_channels: c,
            kernel: [3, 3],
            stride: 1,
            padding: 1,
            weights: wt(c * c * 9, seed),
            bias: wt(c, seed + 1),
            shift: 0,
            groups: 1,
        }));
        layers.push(Layer::RELU);
    }
    let (oh, ow) = (pool.output(h).unwrap(), pool.output(w).unwrap());
    layers.push(Layer::MaxPool2d(pool));
    layers.push(Layer::FLATTEN);
    let features = c * oh * ow;
    layers.push(Layer::Dense(Dense {
        input: None,
        in_features: features,
        out_features: 3,
        weights: wt(3 * features, seed + 2),
        bias: vec![1, -2, 3],
        shift: 0,
    }));
    let mut m = Model {
        name: "maxpool".into(),
        input_shape: vec![c, h, w],
        activation_bits: 8,
        weight_bits: 8,
        layers,
        quantization: None,
        saturate: false,
        bias_bits: 32,
    };
    // Calibrated on the inputs the tests prove (seeds `seed` to `seed + 3`).
    let inputs: Vec<_> = (seed..seed + 4)
        .map(|s| zoo::random_input(&m.input_shape, 8, s))
        .collect();
    zoo::calibrate_shifts(&mut m, &inputs).unwrap();
    m
}

fn pool(size: usize, stride: usize, padding: usize, ceil_mode: bool) -> MaxPool2d {
    MaxPool2d {
        input: None,
        size,
        stride,
        padding,
        ceil_mode,
    }
}

/// Proves and verifies `m` on a seeded input (or `input`): the proven output is the
/// inference's, and another output is refused.
fn round_trip<F: BaseField + FftField, E: ExtField<F>>(m: &Model, seed: u64) {
    let committed = network::commit_model::<F, E>(m).unwrap();
    let checked = committed.public.check(&m.architecture()).unwrap();
    let input = zoo::random_input(&m.input_shape, m.activation_bits, seed);
    let (output, proof) = network::prove::<F, E>(m, &committed, &input).unwrap();
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = output.iter().copied().collect();
    assert_eq!(
        output,
        zkcnn::model::infer_output(m, &input).unwrap(),
        "the proven output is the inference's"
    );
    network::verify(&m.architecture(), &checked, &x, &y, &proof).unwrap();
    let mut y2 = y.clone();
    y2[0] += 1;
    assert_eq!(
        network::verify(&m.architecture(), &checked, &x, &y2, &proof),
        Err(VerifyError::Output)
    );
}

/// The max-pool's layer in `m` and whether the plan proves it with the window protocol.
fn pool_layer(m: &Model) -> (usize, bool) {
    let plan = Plan::new(m).unwrap();
    let l = m
        .layers
        .iter()
        .position(|l| matches!(l, Layer::MaxPool2d(_)))
        .unwrap();
    (l, matches!(plan.steps[l], Step::MaxPoolWindow { .. }))
}

#[test]
fn resnet_stem_round_trips_on_both_fields() {
    for conv in [false, true] {
        let m = model(2, 7, 8, pool(3, 2, 1, false), conv, 1);
        assert!(pool_layer(&m).1, "the window protocol");
        round_trip::<G, G2>(&m, 1);
        round_trip::<Bn254Fr, Bn254Fr>(&m, 2);
    }
}

#[test]
fn the_2x2_stride_2_pool_on_even_sides_keeps_the_sub_grid_protocol() {
    // Also with ceil mode (the same windows on even sides); odd sides take the window protocol.
    for (h, ceil, window) in [
        (6, false, false),
        (6, true, false),
        (7, false, true),
        (7, true, true),
    ] {
        let m = model(2, h, 6, pool(2, 2, 0, ceil), true, 3);
        assert_eq!(pool_layer(&m).1, window, "{h} {ceil}");
        round_trip::<G, G2>(&m, 3);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Random windows (kernel 1–3, stride 1–3, padding below the kernel and at most 1, floor or
    /// ceil mode) on odd and even sides, pooling the public input or a committed ReLU output,
    /// prove and verify on both field instantiations.
    #[test]
    fn random_windows_round_trip_on_both_fields(
        size in 1usize..=3, stride in 1usize..=3, pad in 0usize..=1, ceil_mode: bool,
        c in 1usize..=3, h in 1usize..=9, w in 1usize..=9, conv: bool, seed in 0u64..1000,
    ) {
        let (h, w) = (h.max(size), w.max(size));
        let m = model(c, h, w, pool(size, stride, pad.min(size - 1), ceil_mode), conv, seed);
        round_trip::<G, G2>(&m, seed);
        round_trip::<Bn254Fr, Bn254Fr>(&m, seed + 1);
    }
}

/// A cheating prover: `edit` changes the max-pool's advice after its witness is computed, the
/// rest is honest. Returns the verdict on the resulting statement.
fn cheat_pool<F: BaseField + FftField, E: ExtField<F>>(
    m: &Model,
    input: &ArrayD<i64>,
    mut edit: impl FnMut(&[usize], WitnessMut<'_, F>),
) -> Result<(), VerifyError> {
    let committed = network::commit_model::<F, E>(m).unwrap();
    let checked = committed.public.check(&m.architecture()).unwrap();
    let plan = Plan::new(m).unwrap();
    let (l, _) = pool_layer(m);
    let Step::MaxPoolWindow(zkcnn::layers::maxpool::MaxPoolWindow { segs, .. }) = &plan.steps[l]
    else {
        unreachable!()
    };
    let (out, proof) = cheat::prove_edited::<F, E>(
        m,
        &committed,
        input,
        ConvPolicy::CostModel,
        |layer, w| {
            if layer == l {
                edit(segs, w)
            }
        },
        |_| {},
    )
    .unwrap();
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = out.iter().copied().collect();
    network::verify(&m.architecture(), &checked, &x, &y, &proof)
}

/// The extended views `V'_d` at output `(c, oy, ox)` of a `k × k`, stride `s`, padding `p`
/// pool, offsets row-major: the input value, or `−L = −(2^{B−1} − 1)` in the padding.
fn views_at(
    x: &ArrayD<i64>,
    pool: &MaxPool2d,
    bits: u32,
    (c, oy, ox): (usize, usize, usize),
) -> Vec<i64> {
    let (h, w) = (x.shape()[1], x.shape()[2]);
    let low = -((1i64 << (bits - 1)) - 1);
    let (k, s, p) = (pool.size, pool.stride, pool.padding);
    (0..k * k)
        .map(|d| {
            let (iy, ix) = (
                (oy * s + d / k).checked_sub(p),
                (ox * s + d % k).checked_sub(p),
            );
            match (iy, ix) {
                (Some(iy), Some(ix)) if iy < h && ix < w => x[[c, iy, ix]],
                _ => low,
            }
        })
        .collect()
}

/// Sets every two-way maximum of output `pos` (padded index) to `chain[i]`.
fn set_chain<F: BaseField>(segs: &[usize], w: &mut WitnessMut<'_, F>, pos: usize, chain: &[i64]) {
    for (&s, &v) in segs.iter().zip(chain) {
        w.advice[s][pos] = from_i64(v);
    }
}

/// Cheating provers that set a max-pool's output below or above the window's maximum (and the
/// layers after it from there), on both fields:
///
/// * every link of the chain takes its second candidate, so the output is the last offset's
///   element, a real one below the maximum: every `(z − u)(z − v)` vanishes, the range check
///   of `z − u` catches it;
/// * every link takes its first candidate at the corner window, whose first offset is padding:
///   the output is `−L`, padding "winning" over the real elements: the range check again;
/// * the output alone set to a real element below the maximum: the last link's relation;
/// * the maximum plus one, and 0 (what zero padding would give) where every real element is
///   negative: no candidate equals it, the zero-check fails.
fn non_maxima_are_rejected<F: BaseField + FftField, E: ExtField<F>>() {
    let p = pool(3, 2, 1, false);
    let m = model(2, 7, 7, p.clone(), false, 5);
    let plan = Plan::new(&m).unwrap();
    let dims = plan.dims[1].clone();
    let mut x = zoo::random_input(&m.input_shape, 8, 5);
    // Channel 1 all negative, above −L.
    for v in x.index_axis_mut(ndarray::Axis(0), 1).iter_mut() {
        *v = -(v.abs() % 100) - 1;
    }
    let pos_of = |at: (usize, usize, usize)| dims.index(&[at.0, at.1, at.2]);
    // A window whose last offset is real and below its maximum.
    let at = (0..3)
        .flat_map(|y| (0..3).map(move |xx| (0, y, xx)))
        .find(|&at| {
            let v = views_at(&x, &p, 8, at);
            v[8] < *v.iter().max().unwrap()
        })
        .unwrap();
    let v = views_at(&x, &p, 8, at);
    let max = *v.iter().max().unwrap();
    let second: Vec<i64> = v[1..].to_vec();
    let verdict = cheat_pool::<F, E>(&m, &x, |segs, mut w| {
        set_chain(segs, &mut w, pos_of(at), &second)
    });
    assert!(matches!(verdict, Err(VerifyError::Range(_))), "{verdict:?}");
    // The corner: offset 0 is padding.
    let corner = views_at(&x, &p, 8, (0, 0, 0));
    assert_eq!(corner[0], -127);
    assert!(corner.iter().any(|&v| v > -127));
    let first = vec![corner[0]; 8];
    let verdict = cheat_pool::<F, E>(&m, &x, |segs, mut w| {
        set_chain(segs, &mut w, pos_of((0, 0, 0)), &first)
    });
    assert!(matches!(verdict, Err(VerifyError::Range(_))), "{verdict:?}");
    // The output alone, set to the smallest real element.
    let lo = *v.iter().filter(|&&e| e > -127).min().unwrap();
    assert!(lo < max);
    let verdict = cheat_pool::<F, E>(&m, &x, |segs, w| {
        w.advice[*segs.last().unwrap()][pos_of(at)] = from_i64(lo);
    });
    assert!(
        matches!(
            verdict,
            Err(VerifyError::Layer { layer: 0, .. }) | Err(VerifyError::Range(_))
        ),
        "{verdict:?}"
    );
    // Above the maximum: the maximum plus one along the chain where the honest chain holds it.
    let verdict = cheat_pool::<F, E>(&m, &x, |segs, w| {
        for &s in segs {
            if to_i64(w.advice[s][pos_of(at)]) == Some(max) {
                w.advice[s][pos_of(at)] = from_i64(max + 1);
            }
        }
    });
    assert!(
        matches!(verdict, Err(VerifyError::Layer { layer: 0, .. })),
        "{verdict:?}"
    );
    // Zero padding's answer on an all-negative window.
    let neg = (1, 0, 0);
    assert!(views_at(&x, &p, 8, neg).iter().all(|&v| v < 0));
    let zeros = vec![0; 8];
    let verdict = cheat_pool::<F, E>(&m, &x, |segs, mut w| {
        set_chain(segs, &mut w, pos_of(neg), &zeros)
    });
    assert!(
        matches!(verdict, Err(VerifyError::Layer { layer: 0, .. })),
        "{verdict:?}"
    );
}

#[test]
fn non_maxima_are_rejected_on_both_fields() {
    non_maxima_are_rejected::<G, G2>();
    non_maxima_are_rejected::<Bn254Fr, Bn254Fr>();
}

/// Each new part of a proof, changed, is rejected with its own error: the batched zero-check's
/// sent values (`eq`, a pair's difference), the view reduction's values, a missing reduction,
/// and every value of the proof (a view read at the zero-check's point fails the differences;
/// one read at the range check's point fails its column).
#[test]
fn tampered_window_proofs_fail_with_their_errors() {
    let m = model(2, 7, 7, pool(3, 2, 1, false), false, 7);
    assert_eq!(pool_layer(&m), (0, true));
    let committed = network::commit_model::<G, G2>(&m).unwrap();
    let checked = committed.public.check(&m.architecture()).unwrap();
    let input = zoo::random_input(&m.input_shape, 8, 7);
    let (output, proof) = network::prove::<G, G2>(&m, &committed, &input).unwrap();
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = output.iter().copied().collect();
    let arch = m.architecture();
    let verify = |p: &network::Proof<G, G2>| network::verify(&arch, &checked, &x, &y, p);
    verify(&proof).unwrap();
    let layer0 = |source| Err(VerifyError::Layer { layer: 0, source });
    // The zero-check: eq(r', ρ), then 8 pairs of differences.
    let zc = proof
        .products
        .iter()
        .position(|p| p.values.len() == 17)
        .unwrap();
    let mut p = proof.clone();
    p.products[zc].values[0] += G2::from(1u64);
    assert_eq!(
        verify(&p),
        layer0(LayerError::PublicValue {
            what: "max-pool zero-check eq"
        })
    );
    let mut p = proof.clone();
    p.products[zc].values[5] += G2::from(1u64);
    assert_eq!(
        verify(&p),
        layer0(LayerError::FinalProduct {
            step: "max-pool zero-check"
        })
    );
    // The view reduction: the last product sum-check, `(x̃(ρ), T̃(ρ))`.
    let views = proof.products.len() - 1;
    assert_eq!(proof.products[views].values.len(), 2);
    let mut p = proof.clone();
    p.products[views].values[1] += G2::from(1u64);
    assert_eq!(
        verify(&p),
        layer0(LayerError::FinalProduct {
            step: "max-pool views"
        })
    );
    // The same product with the verifier's map value wrong.
    let mut p = proof.clone();
    let two = G2::from(2u64);
    p.products[views].values[0] *= two;
    p.products[views].values[1] *= two.inverse().unwrap();
    assert_eq!(
        verify(&p),
        layer0(LayerError::PublicValue {
            what: "max-pool view map"
        })
    );
    let mut p = proof.clone();
    p.products.pop();
    assert_eq!(
        verify(&p),
        Err(VerifyError::Exhausted {
            what: "product sum-checks"
        })
    );
    // Every value changed: rejected; the views read at the zero-check's and at the range
    // check's points are among them.
    let mut seen = (false, false);
    for i in 0..proof.values.len() {
        let mut p = proof.clone();
        p.values[i] += G2::from(1u64);
        match verify(&p) {
            Ok(()) => panic!("value {i} changed and accepted"),
            Err(VerifyError::Layer {
                layer: 0,
                source:
                    LayerError::Relation {
                        what: "max-pool differences",
                    },
            }) => seen.0 = true,
            Err(VerifyError::RangeColumn { .. }) => seen.1 = true,
            Err(_) => {}
        }
    }
    assert_eq!(seen, (true, true));
}

/// Models that predate padding and ceil mode read as before: JSON without the fields loads
/// with the defaults, and the defaults are not written (so architecture digests and golden
/// proofs are unchanged).
#[test]
fn json_without_padding_and_ceil_mode_reads_and_writes_as_before() {
    let m = model(1, 6, 6, MaxPool2d::new(2, 2), false, 1);
    let json = m.architecture_json();
    assert!(
        json.contains(r#"{"type":"MaxPool2d","size":2,"stride":2}"#),
        "{json}"
    );
    let back = Model::architecture_from_json(&json).unwrap();
    assert_eq!(back.layers[0], Layer::MaxPool2d(MaxPool2d::new(2, 2)));
    let m = model(1, 7, 7, pool(3, 2, 1, true), false, 1);
    let json = m.architecture_json();
    assert!(
        json.contains(r#"{"type":"MaxPool2d","size":3,"stride":2,"padding":1,"ceil_mode":true}"#),
        "{json}"
    );
    assert_eq!(
        Model::architecture_from_json(&json).unwrap(),
        m.architecture()
    );
    // Padding not below the window: refused by validation, naming the layer.
    let mut bad = m.architecture();
    bad.layers[0] = Layer::MaxPool2d(pool(2, 2, 2, false));
    let err = bad.validate_architecture().unwrap_err();
    assert_eq!(
        err,
        zkcnn::model::ModelError::PoolPadding {
            layer: 0,
            kind: zkcnn::model::LayerKind::MaxPool2d,
            padding: 2,
            size: 2
        }
    );
    assert!(err.to_string().contains("layer 0 (MaxPool2d)"), "{err}");
}
