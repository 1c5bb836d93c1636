//! Layer protocols (dense, direct and FFT convolution, window sums, flatten, concatenation): naive oracles, proptest
//! round trips over random shapes and values, tamper tests with exact errors — on Goldilocks
//! (challenges in its quadratic extension) and on BN254's scalar field.

use ark_ff::Field;
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use merlin::Transcript;
use proptest::prelude::*;
use zkcnn::field::{from_i64, BaseField, Bn254Fr, ExtField, Goldilocks, GoldilocksExt2};
use zkcnn::layers::conv::{self, ConvShape};
use zkcnn::layers::fft_conv::{self, FftLayout};
use zkcnn::layers::window::Window;
use zkcnn::layers::{concat, dense, flatten, Dims, LayerError};
use zkcnn::poly::evaluate_base;
use zkcnn::sumcheck::SumcheckError;

fn rand_ints(rng: &mut StdRng, n: usize) -> Vec<i64> {
    (0..n).map(|_| rng.gen_range(-127..=127)).collect()
}

fn field<F: BaseField>(v: &[i64]) -> Vec<F> {
    v.iter().map(|&x| from_i64(x)).collect()
}

fn point<E: Field>(rng: &mut StdRng, n: usize) -> Vec<E> {
    (0..n).map(|_| E::rand(rng)).collect()
}

/// A padded `[c][h][w]` tensor from row-major logical values.
fn pad(d: &Dims, v: &[i64]) -> Vec<i64> {
    let mut out = vec![0; d.len()];
    for (i, &x) in v.iter().enumerate() {
        out[d.padded_index(i)] = x;
    }
    out
}

struct ConvCase {
    shape: ConvShape,
    x: Vec<i64>,
    /// Kernel matrices `[dy·kw + dx]`, each `[o][i]` padded.
    kernel: Vec<Vec<i64>>,
    /// The accumulators, padded.
    acc: Vec<i64>,
}

/// A random convolution and its accumulators by plain loops.
#[allow(clippy::too_many_arguments)]
fn conv_case(
    rng: &mut StdRng,
    ci: usize,
    co: usize,
    h: usize,
    w: usize,
    k: usize,
    s: usize,
    p: usize,
) -> ConvCase {
    grouped_case(rng, 1, (ci, co), h, w, k, s, p)
}

/// A random convolution in `g` channel groups (`g` divides `ci` and `co`): output channel `o`
/// reads input channels `(o / (co/g))·(ci/g) …`; the kernel matrices are `[o][j]`, `j` the
/// input channel within the group.
#[allow(clippy::too_many_arguments)]
fn grouped_case(
    rng: &mut StdRng,
    g: usize,
    (ci, co): (usize, usize),
    h: usize,
    w: usize,
    k: usize,
    s: usize,
    p: usize,
) -> ConvCase {
    let (oh, ow) = ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1);
    let (cg, og) = (ci / g, co / g);
    let input = Dims::new(&[ci, h, w]);
    let output = Dims::new(&[co, oh, ow]);
    let xl = rand_ints(rng, ci * h * w);
    let wl = rand_ints(rng, co * cg * k * k);
    let mut acc = vec![0i64; co * oh * ow];
    for o in 0..co {
        for y in 0..oh {
            for x in 0..ow {
                let mut a = 0;
                for j in 0..cg {
                    let i = (o / og) * cg + j;
                    for dy in 0..k {
                        for dx in 0..k {
                            let (iy, ix) = (
                                (y * s + dy) as i64 - p as i64,
                                (x * s + dx) as i64 - p as i64,
                            );
                            if iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < w {
                                a += wl[((o * cg + j) * k + dy) * k + dx]
                                    * xl[(i * h + iy as usize) * w + ix as usize];
                            }
                        }
                    }
                }
                acc[(o * oh + y) * ow + x] = a;
            }
        }
    }
    let vj = input.vars[0] - zkcnn::layers::ceil_log2(g);
    let mut kernel = vec![vec![0i64; 1 << (output.vars[0] + vj)]; k * k];
    for o in 0..co {
        for j in 0..cg {
            for dy in 0..k {
                for dx in 0..k {
                    kernel[dy * k + dx][(o << vj) | j] = wl[((o * cg + j) * k + dy) * k + dx];
                }
            }
        }
    }
    let win = |inp, out| Window {
        k,
        stride: s,
        pad: p,
        input: inp,
        output: out,
    };
    ConvCase {
        x: pad(&input, &xl),
        acc: pad(&output, &acc),
        kernel,
        shape: ConvShape {
            wy: win(h, oh),
            wx: win(w, ow),
            input,
            output,
            groups: g,
        },
    }
}

fn conv_round_trip<F: BaseField, E: ExtField<F>>(
    seed: u64,
    dims: (usize, usize, usize, usize, usize, usize, usize),
) {
    grouped_round_trip::<F, E>(seed, 1, dims)
}

fn grouped_round_trip<F: BaseField, E: ExtField<F>>(
    seed: u64,
    g: usize,
    dims: (usize, usize, usize, usize, usize, usize, usize),
) {
    let mut rng = StdRng::seed_from_u64(seed);
    let (ci, co, h, w, k, s, p) = dims;
    let c = grouped_case(&mut rng, g, (ci, co), h, w, k, s, p);
    let r: Vec<E> = point(&mut rng, c.shape.output.num_vars());
    let target = evaluate_base(&field::<F>(&c.acc), &r);
    let kernel: Vec<Vec<F>> = c.kernel.iter().map(|m| field(m)).collect();
    let refs: Vec<&[F]> = kernel.iter().map(Vec::as_slice).collect();
    let x = field::<F>(&c.x);
    let (proof, claims) = conv::prove(&c.shape, &refs, &x, &r, target, &mut Transcript::new(b"t"));
    let got = conv::verify(&c.shape, &r, target, &proof, &mut Transcript::new(b"t")).unwrap();
    assert_eq!(got, claims);
    // The claims are true: the oracle evaluates the committed tables.
    for (m, &v) in kernel.iter().zip(&got.kernel_values) {
        assert_eq!(evaluate_base(m, &got.kernel_point), v);
    }
    assert_eq!(evaluate_base(&x, &got.input_point), got.input_value);
    // A wrong claim is rejected.
    let bad = conv::verify(
        &c.shape,
        &r,
        target + E::ONE,
        &proof,
        &mut Transcript::new(b"t"),
    );
    assert!(bad.is_err());
}

#[test]
fn conv_matches_the_oracle_on_both_fields() {
    for (i, d) in [
        (1, 6, 28, 28, 5, 1, 2),
        (6, 16, 14, 14, 5, 1, 0),
        (3, 4, 8, 8, 3, 1, 1),
        (2, 3, 7, 5, 3, 2, 1),
        (1, 1, 1, 1, 1, 1, 0),
    ]
    .into_iter()
    .enumerate()
    {
        conv_round_trip::<Goldilocks, GoldilocksExt2>(i as u64, d);
        conv_round_trip::<Bn254Fr, Bn254Fr>(i as u64, d);
    }
}

#[test]
fn grouped_conv_matches_the_oracle_on_both_fields() {
    // (groups, (ci, co, h, w, k, s, p)): two and four groups, depthwise (with a non-power-of-two
    // group count, and with two outputs per channel), odd sizes, strides 1–2, padding 0–1.
    for (i, (g, d)) in [
        (2, (4, 2, 5, 7, 3, 1, 1)),
        (4, (8, 8, 6, 6, 3, 2, 1)),
        (3, (3, 3, 7, 7, 3, 1, 1)),
        (6, (6, 12, 5, 5, 3, 2, 0)),
        (16, (16, 16, 4, 4, 3, 1, 1)),
        (2, (2, 2, 1, 1, 1, 1, 0)),
    ]
    .into_iter()
    .enumerate()
    {
        grouped_round_trip::<Goldilocks, GoldilocksExt2>(i as u64, g, d);
        grouped_round_trip::<Bn254Fr, Bn254Fr>(i as u64, g, d);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn grouped_conv_round_trips(seed: u64, g in 1usize..6, cg in prop::sample::select(vec![1usize, 2, 4]),
                                og in prop::sample::select(vec![1usize, 2, 4]), h in 1usize..8, w in 1usize..8,
                                k in 1usize..4, s in 1usize..3, p in 0usize..2) {
        prop_assume!(h + 2 * p >= k && w + 2 * p >= k);
        let d = (g * cg, g * og, h, w, k, s, p);
        grouped_round_trip::<Goldilocks, GoldilocksExt2>(seed, g, d);
        grouped_round_trip::<Bn254Fr, Bn254Fr>(seed, g, d);
    }

    #[test]
    fn conv_round_trips(seed: u64, ci in 1usize..5, co in 1usize..5, h in 1usize..10, w in 1usize..10,
                        k in 1usize..4, s in 1usize..3, p in 0usize..2) {
        prop_assume!(h + 2 * p >= k && w + 2 * p >= k);
        conv_round_trip::<Goldilocks, GoldilocksExt2>(seed, (ci, co, h, w, k, s, p));
    }

    #[test]
    fn dense_round_trips(seed: u64, n_in in 1usize..70, n_out in 1usize..40) {
        dense_round_trip::<Goldilocks, GoldilocksExt2>(seed, n_in, n_out);
        dense_round_trip::<Bn254Fr, Bn254Fr>(seed, n_in, n_out);
    }

    #[test]
    fn window_sums_round_trip(seed: u64, c in 1usize..4, h in 2usize..12, w in 2usize..12, k in 1usize..4, s in 1usize..3) {
        prop_assume!(h >= k && w >= k);
        window_round_trip::<Goldilocks, GoldilocksExt2>(seed, (c, h, w, k, s));
    }

    #[test]
    fn flatten_round_trips(seed: u64, c in 1usize..5, h in 1usize..7, w in 1usize..7) {
        flatten_round_trip::<Goldilocks, GoldilocksExt2>(seed, c, h, w);
        flatten_round_trip::<Bn254Fr, Bn254Fr>(seed, c, h, w);
    }
}

fn dense_round_trip<F: BaseField, E: ExtField<F>>(seed: u64, n_in: usize, n_out: usize) {
    let mut rng = StdRng::seed_from_u64(seed);
    let (di, d_o) = (Dims::new(&[n_in]), Dims::new(&[n_out]));
    let w = rand_ints(&mut rng, n_out * n_in);
    let x = rand_ints(&mut rng, n_in);
    let mut wp = vec![0i64; 1 << (di.num_vars() + d_o.num_vars())];
    let mut acc = vec![0i64; d_o.len()];
    for o in 0..n_out {
        for i in 0..n_in {
            wp[(o << di.num_vars()) | i] = w[o * n_in + i];
            acc[o] += w[o * n_in + i] * x[i];
        }
    }
    let (wf, xf) = (field::<F>(&wp), field::<F>(&pad(&di, &x)));
    let r: Vec<E> = point(&mut rng, d_o.num_vars());
    let target = evaluate_base(&field::<F>(&acc), &r);
    let (proof, rho) = dense::prove(&wf, &xf, &r, target, &mut Transcript::new(b"t"));
    let (rho2, wv, xv) =
        dense::verify(di.num_vars(), target, &proof, &mut Transcript::new(b"t")).unwrap();
    assert_eq!(rho, rho2);
    let mut wpoint = rho.clone();
    wpoint.extend_from_slice(&r);
    assert_eq!(evaluate_base(&wf, &wpoint), wv);
    assert_eq!(evaluate_base(&xf, &rho), xv);
    assert!(dense::verify(
        di.num_vars(),
        target + E::ONE,
        &proof,
        &mut Transcript::new(b"t")
    )
    .is_err());
}

fn window_round_trip<F: BaseField, E: ExtField<F>>(
    seed: u64,
    d: (usize, usize, usize, usize, usize),
) {
    let mut rng = StdRng::seed_from_u64(seed);
    let (c, h, w, k, s) = d;
    let (oh, ow) = ((h - k) / s + 1, (w - k) / s + 1);
    let (input, output) = (Dims::new(&[c, h, w]), Dims::new(&[c, oh, ow]));
    let x = rand_ints(&mut rng, c * h * w);
    let mut acc = vec![0i64; c * oh * ow];
    for ch in 0..c {
        for y in 0..oh {
            for xx in 0..ow {
                for dy in 0..k {
                    for dx in 0..k {
                        acc[(ch * oh + y) * ow + xx] += x[(ch * h + y * s + dy) * w + xx * s + dx];
                    }
                }
            }
        }
    }
    let win = |inp, out| Window {
        k,
        stride: s,
        pad: 0,
        input: inp,
        output: out,
    };
    let shape = ConvShape {
        wy: win(h, oh),
        wx: win(w, ow),
        input: input.clone(),
        output: output.clone(),
        groups: 1,
    };
    let xf = field::<F>(&pad(&input, &x));
    let r: Vec<E> = point(&mut rng, output.num_vars());
    let target = evaluate_base(&field::<F>(&pad(&output, &acc)), &r);
    let (proof, p1, v1) =
        conv::prove_window_sum(&shape, &xf, &r, target, &mut Transcript::new(b"t"));
    let (p2, v2) =
        conv::verify_window_sum(&shape, &r, target, &proof, &mut Transcript::new(b"t")).unwrap();
    assert_eq!((p1, v1), (p2.clone(), v2));
    assert_eq!(evaluate_base(&xf, &p2), v2);
    assert!(conv::verify_window_sum(
        &shape,
        &r,
        target + E::ONE,
        &proof,
        &mut Transcript::new(b"t")
    )
    .is_err());
}

fn flatten_round_trip<F: BaseField, E: ExtField<F>>(seed: u64, c: usize, h: usize, w: usize) {
    let mut rng = StdRng::seed_from_u64(seed);
    let input = Dims::new(&[c, h, w]);
    let out = Dims::new(&[c * h * w]);
    let x = rand_ints(&mut rng, c * h * w);
    let xf = field::<F>(&pad(&input, &x));
    let r: Vec<E> = point(&mut rng, out.num_vars());
    let target = evaluate_base(&field::<F>(&pad(&out, &x)), &r);
    let (proof, p1, v1) = flatten::prove(&input, &xf, &r, target, &mut Transcript::new(b"t"));
    let (p2, v2) = flatten::verify(&input, &r, target, &proof, &mut Transcript::new(b"t")).unwrap();
    assert_eq!((p1, v1), (p2.clone(), v2));
    assert_eq!(evaluate_base(&xf, &p2), v2);
}

/// Every part of a convolution proof, changed, gives the error of the check that catches it.
#[test]
fn conv_tampering_is_caught_with_the_exact_error() {
    type F = Goldilocks;
    type E = GoldilocksExt2;
    let mut rng = StdRng::seed_from_u64(7);
    let c = conv_case(&mut rng, 3, 4, 6, 6, 3, 1, 1);
    let r: Vec<E> = point(&mut rng, c.shape.output.num_vars());
    let target = evaluate_base(&field::<F>(&c.acc), &r);
    let kernel: Vec<Vec<F>> = c.kernel.iter().map(|m| field(m)).collect();
    let refs: Vec<&[F]> = kernel.iter().map(Vec::as_slice).collect();
    let (proof, _) = conv::prove(
        &c.shape,
        &refs,
        &field::<F>(&c.x),
        &r,
        target,
        &mut Transcript::new(b"t"),
    );
    let check = |p: &conv::ConvProof<E>| {
        conv::verify(&c.shape, &r, target, p, &mut Transcript::new(b"t")).err()
    };
    assert_eq!(check(&proof), None);
    let stage1_vars = proof.stage1.sumcheck.rounds.len();
    let stage2_vars = proof.stage2.sumcheck.rounds.len();
    // Round messages: a changed g(0) breaks that round's consistency, caught at the end.
    for round in 0..stage1_vars {
        let mut p = proof.clone();
        p.stage1.sumcheck.rounds[round].evals[0] += E::ONE;
        assert_eq!(
            check(&p),
            Some(LayerError::FinalProduct {
                step: "conv stage 1"
            }),
            "round {round}"
        );
    }
    for round in 0..stage2_vars {
        let mut p = proof.clone();
        p.stage2.sumcheck.rounds[round].evals[1] += E::ONE;
        assert_eq!(
            check(&p),
            Some(LayerError::FinalProduct {
                step: "conv stage 2"
            }),
            "round {round}"
        );
    }
    for i in 0..2 {
        let mut p = proof.clone();
        p.stage1.values[i] += E::ONE;
        assert_eq!(
            check(&p),
            Some(LayerError::FinalProduct {
                step: "conv stage 1"
            })
        );
        let mut p = proof.clone();
        p.stage2.values[i] += E::ONE;
        assert_eq!(
            check(&p),
            Some(LayerError::FinalProduct {
                step: "conv stage 2"
            })
        );
    }
    for j in 0..proof.kernel.len() {
        let mut p = proof.clone();
        p.kernel[j] += E::ONE;
        assert_eq!(
            check(&p),
            Some(LayerError::Relation {
                what: "conv kernel offsets"
            }),
            "kernel {j}"
        );
    }
    // Consistent lies: a false wiring value with a matching input value passes the product but
    // not the index map.
    let mut p = proof.clone();
    let (a, b) = (p.stage2.values[0], p.stage2.values[1]);
    p.stage2.values = vec![a * b * (b + E::ONE).inverse().unwrap(), b + E::ONE];
    assert_eq!(
        check(&p),
        Some(LayerError::PublicValue {
            what: "conv index map"
        })
    );
    // Shapes.
    let mut p = proof.clone();
    p.kernel.pop();
    assert_eq!(
        check(&p),
        Some(LayerError::Count {
            what: "conv kernel values",
            expected: 9,
            got: 8
        })
    );
    let mut p = proof.clone();
    p.stage1.sumcheck.rounds.pop();
    assert_eq!(
        check(&p),
        Some(LayerError::Sumcheck {
            step: "conv stage 1",
            source: SumcheckError::RoundCount {
                expected: stage1_vars,
                got: stage1_vars - 1
            }
        })
    );
    let mut p = proof.clone();
    p.stage2.values.push(E::ONE);
    assert_eq!(
        check(&p),
        Some(LayerError::Count {
            what: "conv stage 2",
            expected: 2,
            got: 3
        })
    );
}

/// A grouped convolution's own proof part: the third stage-1 factor `eq(r_g, ρ_g)`, which the
/// verifier computes; everything else is the ordinary convolution's (tested above).
#[test]
fn grouped_conv_tampering_is_caught_with_the_exact_error() {
    type F = Goldilocks;
    type E = GoldilocksExt2;
    let mut rng = StdRng::seed_from_u64(8);
    let c = grouped_case(&mut rng, 4, (8, 4), 6, 5, 3, 2, 1);
    let r: Vec<E> = point(&mut rng, c.shape.output.num_vars());
    let target = evaluate_base(&field::<F>(&c.acc), &r);
    let kernel: Vec<Vec<F>> = c.kernel.iter().map(|m| field(m)).collect();
    let refs: Vec<&[F]> = kernel.iter().map(Vec::as_slice).collect();
    let (proof, _) = conv::prove(
        &c.shape,
        &refs,
        &field::<F>(&c.x),
        &r,
        target,
        &mut Transcript::new(b"t"),
    );
    let check = |p: &conv::ConvProof<E>| {
        conv::verify(&c.shape, &r, target, p, &mut Transcript::new(b"t")).err()
    };
    assert_eq!(check(&proof), None);
    assert_eq!(proof.stage1.values.len(), 3);
    for i in 0..3 {
        let mut p = proof.clone();
        p.stage1.values[i] += E::ONE;
        assert_eq!(
            check(&p),
            Some(LayerError::FinalProduct {
                step: "conv stage 1"
            }),
            "value {i}"
        );
    }
    // A consistent lie: a false selector with a matching kernel value passes the product but
    // not the verifier's own selector.
    let mut p = proof.clone();
    let (a, e) = (p.stage1.values[0], p.stage1.values[2]);
    p.stage1.values[0] = a * e * (e + E::ONE).inverse().unwrap();
    p.stage1.values[2] = e + E::ONE;
    assert_eq!(
        check(&p),
        Some(LayerError::PublicValue {
            what: "conv group selector"
        })
    );
    // Two values where three are due.
    let mut p = proof.clone();
    p.stage1.values.pop();
    assert_eq!(
        check(&p),
        Some(LayerError::Count {
            what: "conv stage 1",
            expected: 3,
            got: 2
        })
    );
    // The ordinary convolution's verifier refuses the grouped proof (degree 3, not 2).
    let mut dense = c.shape.clone();
    dense.groups = 1;
    assert!(matches!(
        conv::verify(&dense, &r, target, &proof, &mut Transcript::new(b"t")),
        Err(LayerError::Sumcheck { .. })
    ));
    // The FFT path refuses grouped shapes with a typed error.
    assert_eq!(
        FftLayout::new(&c.shape, 32).err(),
        Some(LayerError::GroupedFft { groups: 4 })
    );
}

fn fft_conv_round_trip<F: BaseField, E: ExtField<F>>(
    seed: u64,
    dims: (usize, usize, usize, usize, usize, usize, usize),
) {
    let mut rng = StdRng::seed_from_u64(seed);
    let (ci, co, h, w, k, s, p) = dims;
    let c = conv_case(&mut rng, ci, co, h, w, k, s, p);
    let r: Vec<E> = point(&mut rng, c.shape.output.num_vars());
    let target = evaluate_base(&field::<F>(&c.acc), &r);
    let kernel: Vec<Vec<F>> = c.kernel.iter().map(|m| field(m)).collect();
    let refs: Vec<&[F]> = kernel.iter().map(Vec::as_slice).collect();
    let x = field::<F>(&c.x);
    let (proof, claims) =
        fft_conv::prove(&c.shape, &refs, &x, &r, target, &mut Transcript::new(b"t")).unwrap();
    let got =
        fft_conv::verify::<F, E>(&c.shape, &r, target, &proof, &mut Transcript::new(b"t")).unwrap();
    assert_eq!(got, claims);
    // The claims are true: the oracle evaluates the committed tables.
    for (m, &v) in kernel.iter().zip(&got.kernel_values) {
        assert_eq!(evaluate_base(m, &got.kernel_point), v);
    }
    assert_eq!(evaluate_base(&x, &got.input_point), got.input_value);
    // A wrong claim is rejected; so is the FFT proof read as a direct one.
    let bad = fft_conv::verify::<F, E>(
        &c.shape,
        &r,
        target + E::ONE,
        &proof,
        &mut Transcript::new(b"t"),
    );
    assert!(bad.is_err());
    assert!(conv::verify(&c.shape, &r, target, &proof, &mut Transcript::new(b"t")).is_err());
}

#[test]
fn fft_conv_matches_the_oracle_on_both_fields() {
    for (i, d) in [
        (1, 6, 28, 28, 5, 1, 2),
        (6, 16, 14, 14, 5, 1, 0),
        (3, 4, 8, 8, 3, 1, 1),
        (2, 3, 7, 5, 3, 2, 1),
        (2, 2, 9, 6, 5, 2, 2),
        (3, 2, 4, 5, 1, 1, 2),
        (2, 2, 3, 3, 3, 2, 3),
        (1, 1, 1, 1, 1, 1, 0),
    ]
    .into_iter()
    .enumerate()
    {
        fft_conv_round_trip::<Goldilocks, GoldilocksExt2>(i as u64, d);
        fft_conv_round_trip::<Bn254Fr, Bn254Fr>(i as u64, d);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn fft_conv_round_trips(seed: u64, ci in 1usize..5, co in 1usize..5, h in 1usize..10,
                            w in 1usize..10, k in prop::sample::select(vec![1usize, 3, 5]),
                            s in 1usize..3, p in 0usize..3) {
        prop_assume!(h + 2 * p >= k && w + 2 * p >= k);
        fft_conv_round_trip::<Goldilocks, GoldilocksExt2>(seed, (ci, co, h, w, k, s, p));
        fft_conv_round_trip::<Bn254Fr, Bn254Fr>(seed, (ci, co, h, w, k, s, p));
    }
}

/// The layout keeps every product term in its row and inside the `L` points.
#[test]
fn fft_layout_sizes() {
    let c = conv_case(&mut StdRng::seed_from_u64(1), 1, 1, 28, 28, 5, 1, 2);
    let l = FftLayout::new(&c.shape, 32).unwrap();
    assert_eq!((l.row, l.frame_y, l.frame_x, l.len()), (32, 5, 5, 1024));
    let c = conv_case(&mut StdRng::seed_from_u64(1), 1, 1, 32, 32, 3, 1, 1);
    let l = FftLayout::new(&c.shape, 32).unwrap();
    assert_eq!((l.row, l.len()), (34, 2048));
}

/// A shape that needs more than 2^28 points: BN254 refuses it with a typed error (prover and
/// verifier, before reading any data), Goldilocks (two-adicity 32) lays it out.
#[test]
fn fft_conv_beyond_the_two_adicity_is_a_typed_error() {
    let (h, w) = (20_000, 20_000);
    let win = |n| Window {
        k: 3,
        stride: 1,
        pad: 1,
        input: n,
        output: n,
    };
    let shape = ConvShape {
        input: Dims::new(&[1, h, w]),
        output: Dims::new(&[1, h, w]),
        wy: win(h),
        wx: win(w),
        groups: 1,
    };
    let want = LayerError::FftTooLarge {
        log_len: 29,
        two_adicity: 28,
    };
    assert_eq!(FftLayout::new(&shape, 28), Err(want.clone()));
    assert_eq!(FftLayout::new(&shape, 32).map(|l| l.log_len), Ok(29));
    let r: Vec<Bn254Fr> = vec![Bn254Fr::ONE; shape.output.num_vars()];
    let got = fft_conv::prove::<Bn254Fr, Bn254Fr>(
        &shape,
        &[],
        &[],
        &r,
        Bn254Fr::ONE,
        &mut Transcript::new(b"t"),
    );
    assert_eq!(got.err(), Some(want.clone()));
    let proof = conv::ConvProof {
        stage1: zkcnn::layers::ProductProof {
            sumcheck: zkcnn::sumcheck::Proof { rounds: vec![] },
            values: vec![],
        },
        kernel: vec![],
        stage2: zkcnn::layers::ProductProof {
            sumcheck: zkcnn::sumcheck::Proof { rounds: vec![] },
            values: vec![],
        },
    };
    let got = fft_conv::verify::<Bn254Fr, Bn254Fr>(
        &shape,
        &r,
        Bn254Fr::ONE,
        &proof,
        &mut Transcript::new(b"t"),
    );
    assert_eq!(got, Err(want));
}

/// Every part of an FFT convolution proof, changed, gives the error of the check that catches it.
fn fft_conv_tampering<F: BaseField, E: ExtField<F>>() {
    let mut rng = StdRng::seed_from_u64(11);
    let c = conv_case(&mut rng, 3, 4, 6, 5, 3, 2, 1);
    let r: Vec<E> = point(&mut rng, c.shape.output.num_vars());
    let target = evaluate_base(&field::<F>(&c.acc), &r);
    let kernel: Vec<Vec<F>> = c.kernel.iter().map(|m| field(m)).collect();
    let refs: Vec<&[F]> = kernel.iter().map(Vec::as_slice).collect();
    let (proof, _) = fft_conv::prove(
        &c.shape,
        &refs,
        &field::<F>(&c.x),
        &r,
        target,
        &mut Transcript::new(b"t"),
    )
    .unwrap();
    let check = |p: &conv::ConvProof<E>| {
        fft_conv::verify::<F, E>(&c.shape, &r, target, p, &mut Transcript::new(b"t")).err()
    };
    assert_eq!(check(&proof), None);
    let (freq, input) = (
        LayerError::FinalProduct {
            step: "conv fft frequency",
        },
        LayerError::FinalProduct {
            step: "conv fft input",
        },
    );
    let rounds1 = proof.stage1.sumcheck.rounds.len();
    let rounds2 = proof.stage2.sumcheck.rounds.len();
    for round in 0..rounds1 {
        for j in 0..3 {
            let mut p = proof.clone();
            p.stage1.sumcheck.rounds[round].evals[j] += E::ONE;
            assert_eq!(check(&p), Some(freq.clone()), "round {round} eval {j}");
        }
    }
    for round in 0..rounds2 {
        for j in 0..2 {
            let mut p = proof.clone();
            p.stage2.sumcheck.rounds[round].evals[j] += E::ONE;
            assert_eq!(check(&p), Some(input.clone()), "round {round} eval {j}");
        }
    }
    for i in 0..3 {
        let mut p = proof.clone();
        p.stage1.values[i] += E::ONE;
        assert_eq!(check(&p), Some(freq.clone()), "value {i}");
    }
    for i in 0..2 {
        let mut p = proof.clone();
        p.stage2.values[i] += E::ONE;
        assert_eq!(check(&p), Some(input.clone()), "value {i}");
    }
    for j in 0..proof.kernel.len() {
        let mut p = proof.clone();
        p.kernel[j] += E::ONE;
        assert_eq!(
            check(&p),
            Some(LayerError::Relation {
                what: "conv fft kernel transform"
            }),
            "kernel {j}"
        );
    }
    // Consistent lies: scale one sent value by z and another by 1/z, so the product still
    // matches; the check on the value the verifier computes itself catches it.
    let z = E::from(3u64);
    let zi = z.inverse().unwrap();
    for (a, b, what) in [
        (0, 1, "conv fft output selection"),
        (2, 1, "conv fft kernel transform"),
    ] {
        let mut p = proof.clone();
        p.stage1.values[a] *= z;
        p.stage1.values[b] *= zi;
        let want = if a == 0 {
            LayerError::PublicValue { what }
        } else {
            LayerError::Relation { what }
        };
        assert_eq!(check(&p), Some(want));
    }
    let mut p = proof.clone();
    p.stage2.values[1] *= z;
    p.stage2.values[0] *= zi;
    assert_eq!(
        check(&p),
        Some(LayerError::PublicValue {
            what: "conv fft input transform"
        })
    );
    // Shapes.
    let mut p = proof.clone();
    p.kernel.pop();
    assert_eq!(
        check(&p),
        Some(LayerError::Count {
            what: "conv fft kernel values",
            expected: 9,
            got: 8
        })
    );
    let mut p = proof.clone();
    p.stage1.sumcheck.rounds.pop();
    assert_eq!(
        check(&p),
        Some(LayerError::Sumcheck {
            step: "conv fft frequency",
            source: SumcheckError::RoundCount {
                expected: rounds1,
                got: rounds1 - 1
            }
        })
    );
    let mut p = proof.clone();
    p.stage2.sumcheck.rounds[0].evals.push(E::ONE);
    assert_eq!(
        check(&p),
        Some(LayerError::Sumcheck {
            step: "conv fft input",
            source: SumcheckError::MessageLength {
                round: 0,
                expected: 2,
                got: 3
            }
        })
    );
    let mut p = proof.clone();
    p.stage1.values.pop();
    assert_eq!(
        check(&p),
        Some(LayerError::Count {
            what: "conv fft frequency",
            expected: 3,
            got: 2
        })
    );
    // A valid proof for another claim point is not accepted for this one.
    let mut r2 = r.clone();
    r2[0] += E::ONE;
    assert!(
        fft_conv::verify::<F, E>(&c.shape, &r2, target, &proof, &mut Transcript::new(b"t"))
            .is_err()
    );
}

#[test]
fn fft_conv_tampering_is_caught_with_the_exact_error() {
    fft_conv_tampering::<Goldilocks, GoldilocksExt2>();
    fft_conv_tampering::<Bn254Fr, Bn254Fr>();
}

/// The cost model picks the direct path on every LeNet-5 and VGG-16 convolution (where it was
/// measured faster in prover time, verifier time and proof size: `tests/conv_paths.rs`), and
/// never the FFT path beyond the field's two-adicity.
#[test]
fn cost_model_choices() {
    use zkcnn::layers::fft_conv::{choose, fft_cost, ConvPath};
    use zkcnn::network::plan::{Plan, Step};
    for model in [
        zkcnn::model::zoo::lenet5(1),
        zkcnn::model::zoo::vgg16_cifar(1),
    ] {
        for step in Plan::new(&model.architecture()).unwrap().steps {
            if let Step::Conv(zkcnn::layers::conv::Conv { shape, path, .. }) = step {
                assert_eq!(path, ConvPath::Direct);
                assert_eq!(choose(&shape), ConvPath::Direct);
                assert!(fft_cost(&shape, 32) > fft_conv::direct_cost(&shape));
            }
        }
    }
    let win = |n| Window {
        k: 3,
        stride: 1,
        pad: 1,
        input: n,
        output: n,
    };
    let big = ConvShape {
        input: Dims::new(&[1, 20_000, 20_000]),
        output: Dims::new(&[1, 20_000, 20_000]),
        wy: win(20_000),
        wx: win(20_000),
        groups: 1,
    };
    assert_eq!(fft_cost(&big, 28), u64::MAX);
}

/// Resizes `v` by `off` (−1: drop the last entry, +1: append a random one).
fn resize<E: Field>(v: &mut Vec<E>, off: i64, rng: &mut StdRng) {
    match off {
        -1 => {
            v.pop();
        }
        1 => v.push(E::rand(rng)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// The FFT verifier returns an error, never panics, on an honest proof with each part's
    /// size changed by one with probability 0.2 (round counts, message lengths, value counts,
    /// kernel values), so every stage's checks are reached.
    #[test]
    fn fft_conv_verifier_never_panics(seed: u64, off in prop::collection::vec(prop::sample::select(vec![0i64, 0, 0, 0, 0, 0, 0, 0, -1, 1]), 7)) {
        type F = Goldilocks;
        type E = GoldilocksExt2;
        let mut rng = StdRng::seed_from_u64(seed);
        let c = conv_case(&mut rng, 3, 2, 5, 6, 3, 1, 1);
        let r: Vec<E> = point(&mut rng, c.shape.output.num_vars());
        let target = evaluate_base(&field::<F>(&c.acc), &r);
        let kernel: Vec<Vec<F>> = c.kernel.iter().map(|m| field(m)).collect();
        let refs: Vec<&[F]> = kernel.iter().map(Vec::as_slice).collect();
        let (mut proof, _) = fft_conv::prove(&c.shape, &refs, &field::<F>(&c.x), &r, target, &mut Transcript::new(b"t")).unwrap();
        for (k, stage) in [&mut proof.stage1, &mut proof.stage2].into_iter().enumerate() {
            let o = &off[3 * k..3 * k + 3];
            match o[0] {
                -1 => { stage.sumcheck.rounds.pop(); }
                1 => stage.sumcheck.rounds.push(zkcnn::sumcheck::RoundMessage { evals: point(&mut rng, 3 - k) }),
                _ => {}
            }
            if let Some(m) = stage.sumcheck.rounds.first_mut() {
                resize(&mut m.evals, o[1], &mut rng);
            }
            resize(&mut stage.values, o[2], &mut rng);
        }
        resize(&mut proof.kernel, off[6], &mut rng);
        let got = fft_conv::verify::<F, E>(&c.shape, &r, target, &proof, &mut Transcript::new(b"t"));
        prop_assert_eq!(got.is_err(), off.iter().any(|&o| o != 0));
    }
}

// ---------------------------------------------------------------------------------------------
// Channel concatenation
// ---------------------------------------------------------------------------------------------

/// A concatenation of inputs of `channels` channels each over `h × w`: the shape, the padded
/// inputs, and the padded output built by plain loops.
fn concat_case(
    rng: &mut StdRng,
    channels: &[usize],
    h: usize,
    w: usize,
) -> (concat::Shape, Vec<Vec<i64>>, Vec<i64>) {
    let total: usize = channels.iter().sum();
    let out_dims = Dims::new(&[total, h, w]);
    let mut out = vec![0i64; out_dims.len()];
    let mut xs = Vec::new();
    let mut offset = 0;
    for &c in channels {
        let d = Dims::new(&[c, h, w]);
        let x = rand_ints(rng, c * h * w);
        for ch in 0..c {
            for y in 0..h {
                for xx in 0..w {
                    out[out_dims.index(&[offset + ch, y, xx])] = x[(ch * h + y) * w + xx];
                }
            }
        }
        xs.push(pad(&d, &x));
        offset += c;
    }
    let shape = concat::Shape::new(channels, out_dims.vars[1] + out_dims.vars[2]);
    (shape, xs, out)
}

/// Proves and verifies a claim on the output at a random point; the input claims are the
/// inputs' true values.
fn concat_round_trip<F: BaseField, E: ExtField<F>>(
    seed: u64,
    channels: &[usize],
    h: usize,
    w: usize,
) {
    let mut rng = StdRng::seed_from_u64(seed);
    let (shape, xs, out) = concat_case(&mut rng, channels, h, w);
    let xs: Vec<Vec<F>> = xs.iter().map(|x| field(x)).collect();
    let refs: Vec<&[F]> = xs.iter().map(Vec::as_slice).collect();
    let r: Vec<E> = point(&mut rng, shape.hw_vars + shape.out_vars);
    let target = evaluate_base(&field::<F>(&out), &r);
    let (sent, proofs, claims) = concat::prove(&shape, &refs, &r, &mut Transcript::new(b"t"));
    let mut next = proofs.iter();
    let got = concat::verify(
        &shape,
        &r,
        target,
        &sent,
        || next.next(),
        &mut Transcript::new(b"t"),
    )
    .unwrap();
    assert!(next.next().is_none(), "every sum-check used");
    assert_eq!(got, claims);
    for ((point, value), x) in got.iter().zip(&xs) {
        assert_eq!(evaluate_base(x, point), *value);
    }
    // A wrong target is refused.
    let mut next = proofs.iter();
    let err = concat::verify(
        &shape,
        &r,
        target + E::ONE,
        &sent,
        || next.next(),
        &mut Transcript::new(b"t"),
    )
    .unwrap_err();
    assert_eq!(err, LayerError::Relation { what: "concat sum" });
}

#[test]
fn concat_matches_the_oracle_on_both_fields() {
    // Powers of two, a Fire module's 4 + 5, one-channel inputs, one input, h = w = 1.
    for (seed, channels, h, w) in [
        (1, &[2usize, 2][..], 3, 3),
        (2, &[4, 5], 4, 3),
        (3, &[1, 3, 1], 2, 5),
        (4, &[6], 3, 2),
        (5, &[1], 1, 1),
        (6, &[3, 1, 8, 2], 1, 1),
    ] {
        concat_round_trip::<Goldilocks, GoldilocksExt2>(seed, channels, h, w);
        concat_round_trip::<Bn254Fr, Bn254Fr>(seed, channels, h, w);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn concat_round_trips(seed: u64, channels in prop::collection::vec(1usize..7, 1..4), h in 1usize..5, w in 1usize..5) {
        concat_round_trip::<Goldilocks, GoldilocksExt2>(seed, &channels, h, w);
        concat_round_trip::<Bn254Fr, Bn254Fr>(seed, &channels, h, w);
    }
}

/// Every sent value, round message and product value of a concatenation's proof, changed,
/// gives the error of the check that catches it; a missing sum-check or value is a count
/// error.
#[test]
fn concat_tampering_is_caught_with_the_exact_error() {
    type F = Goldilocks;
    type E = GoldilocksExt2;
    let mut rng = StdRng::seed_from_u64(9);
    let (shape, xs, out) = concat_case(&mut rng, &[4, 1, 3], 3, 2);
    let xs: Vec<Vec<F>> = xs.iter().map(|x| field(x)).collect();
    let refs: Vec<&[F]> = xs.iter().map(Vec::as_slice).collect();
    let r: Vec<E> = point(&mut rng, shape.hw_vars + shape.out_vars);
    let target = evaluate_base(&field::<F>(&out), &r);
    let (sent, proofs, _) = concat::prove(&shape, &refs, &r, &mut Transcript::new(b"t"));
    assert_eq!((sent.len(), proofs.len()), (3, 2));
    let verify = |sent: &[E], proofs: &[zkcnn::layers::ProductProof<E>]| {
        let mut next = proofs.iter();
        concat::verify(
            &shape,
            &r,
            target,
            sent,
            || next.next(),
            &mut Transcript::new(b"t"),
        )
    };
    verify(&sent, &proofs).unwrap();
    // A sent value: the sum no longer adds up.
    for i in 0..sent.len() {
        let mut bad = sent.clone();
        bad[i] += E::ONE;
        assert_eq!(
            verify(&bad, &proofs).unwrap_err(),
            LayerError::Relation { what: "concat sum" }
        );
    }
    // Two sent values changed in opposite directions keep the sum: the first sum-check catches
    // them.
    let mut bad = sent.clone();
    bad[0] += E::ONE;
    bad[2] -= E::ONE;
    // (The round polynomial's value at 1 is derived from the running claim, so the wrong
    // claim reaches the final check.)
    assert_eq!(
        verify(&bad, &proofs).unwrap_err(),
        LayerError::FinalProduct { step: "concat" }
    );
    for k in 0..proofs.len() {
        // Each round message: a changed g(0) breaks that round's consistency, caught at the
        // end; a message of the wrong length is the sum-check's error.
        for round in 0..proofs[k].sumcheck.rounds.len() {
            let mut bad = proofs.clone();
            bad[k].sumcheck.rounds[round].evals[0] += E::ONE;
            assert_eq!(
                verify(&sent, &bad).unwrap_err(),
                LayerError::FinalProduct { step: "concat" },
                "input {k} round {round}"
            );
        }
        let mut bad = proofs.clone();
        bad[k].sumcheck.rounds[0].evals.push(E::ONE);
        assert!(matches!(
            verify(&sent, &bad).unwrap_err(),
            LayerError::Sumcheck { step: "concat", .. }
        ));
        // The selector's value, and the input's: the final product.
        for v in 0..2 {
            let mut bad = proofs.clone();
            bad[k].values[v] += E::ONE;
            assert_eq!(
                verify(&sent, &bad).unwrap_err(),
                LayerError::FinalProduct { step: "concat" }
            );
        }
        // A consistent lie about the selector: both values scaled so the product holds.
        let mut bad = proofs.clone();
        let two = E::ONE + E::ONE;
        bad[k].values[0] *= two;
        bad[k].values[1] *= two.inverse().unwrap();
        assert_eq!(
            verify(&sent, &bad).unwrap_err(),
            LayerError::PublicValue {
                what: "concat selector"
            }
        );
    }
    // Missing pieces.
    assert!(matches!(
        verify(&sent, &proofs[..1]).unwrap_err(),
        LayerError::Count { .. }
    ));
    assert!(matches!(
        verify(&sent[..2], &proofs).unwrap_err(),
        LayerError::Count { .. }
    ));
}

/// Batched convolution and dense steps against naive oracles: a batch of `2^b` inputs (the
/// batch index the top variables) with one kernel; the claim at `(r, r_b)` is
/// `Σ_β eq(r_b, β)·acc_β(r)`, computed slot by slot by plain loops; the proof verifies, its
/// kernel claims are the kernel's values at a single input's point, its input claim is the
/// batch table's value; a wrong claim is rejected.
fn batched_round_trip<F: BaseField, E: ExtField<F>>(seed: u64, b: usize) {
    let mut rng = StdRng::seed_from_u64(seed);
    let c = conv_case(&mut rng, 2, 3, 5, 4, 3, 1, 1);
    let slots = 1usize << b;
    let (din, dout) = (&c.shape.input, &c.shape.output);
    let (ci, co) = (din.shape[0], dout.shape[0]);
    let (h, w, oh, ow) = (din.shape[1], din.shape[2], dout.shape[1], dout.shape[2]);
    let vi = din.vars[0];
    let mut xb = Vec::new();
    let mut accb = Vec::new();
    for _ in 0..slots {
        let xl = rand_ints(&mut rng, ci * h * w);
        let xp = pad(din, &xl);
        let mut acc = vec![0i64; co * oh * ow];
        for o in 0..co {
            for y in 0..oh {
                for x in 0..ow {
                    let mut a = 0;
                    for i in 0..ci {
                        for dy in 0..3 {
                            for dx in 0..3 {
                                let (iy, ix) = ((y + dy) as i64 - 1, (x + dx) as i64 - 1);
                                if iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < w {
                                    a += c.kernel[dy * 3 + dx][(o << vi) | i]
                                        * xl[(i * h + iy as usize) * w + ix as usize];
                                }
                            }
                        }
                    }
                    acc[(o * oh + y) * ow + x] = a;
                }
            }
        }
        xb.extend(xp);
        accb.extend(pad(dout, &acc));
    }
    let r: Vec<E> = point(&mut rng, dout.num_vars() + b);
    let target = evaluate_base(&field::<F>(&accb), &r);
    let kernel: Vec<Vec<F>> = c.kernel.iter().map(|m| field(m)).collect();
    let refs: Vec<&[F]> = kernel.iter().map(Vec::as_slice).collect();
    let x = field::<F>(&xb);
    let (proof, claims) = conv::prove(&c.shape, &refs, &x, &r, target, &mut Transcript::new(b"t"));
    let got = conv::verify(&c.shape, &r, target, &proof, &mut Transcript::new(b"t")).unwrap();
    assert_eq!(got, claims);
    for (m, &v) in kernel.iter().zip(&got.kernel_values) {
        assert_eq!(evaluate_base(m, &got.kernel_point), v);
    }
    assert_eq!(got.input_point.len(), din.num_vars() + b);
    assert_eq!(evaluate_base(&x, &got.input_point), got.input_value);
    let bad = conv::verify(
        &c.shape,
        &r,
        target + E::ONE,
        &proof,
        &mut Transcript::new(b"t"),
    );
    assert!(bad.is_err());

    // Dense: 6 → 3 on the same batch size.
    let (di, d_o) = (Dims::new(&[6]), Dims::new(&[3]));
    let wl = rand_ints(&mut rng, 18);
    let mut wp = vec![0i64; 1 << (di.num_vars() + d_o.num_vars())];
    for o in 0..3 {
        for i in 0..6 {
            wp[(o << di.num_vars()) | i] = wl[o * 6 + i];
        }
    }
    let (mut xs, mut accs) = (Vec::new(), Vec::new());
    for _ in 0..slots {
        let xl = rand_ints(&mut rng, 6);
        let mut acc = vec![0i64; d_o.len()];
        for o in 0..3 {
            acc[o] = (0..6).map(|i| wl[o * 6 + i] * xl[i]).sum();
        }
        xs.extend(pad(&di, &xl));
        accs.extend(acc);
    }
    let (wf, xf) = (field::<F>(&wp), field::<F>(&xs));
    let r: Vec<E> = point(&mut rng, d_o.num_vars() + b);
    let (r_o, r_b) = r.split_at(d_o.num_vars());
    let target = evaluate_base(&field::<F>(&accs), &r);
    let (proof, rho) = dense::prove_batched(&wf, &xf, r_o, r_b, target, &mut Transcript::new(b"t"));
    let (rho2, wv, xv) = dense::verify_batched(
        di.num_vars(),
        r_b,
        target,
        &proof,
        &mut Transcript::new(b"t"),
    )
    .unwrap();
    assert_eq!(rho, rho2);
    let mut wpoint = rho[..di.num_vars()].to_vec();
    wpoint.extend_from_slice(r_o);
    assert_eq!(evaluate_base(&wf, &wpoint), wv);
    assert_eq!(evaluate_base(&xf, &rho), xv);
    let bad = dense::verify_batched(
        di.num_vars(),
        r_b,
        target + E::ONE,
        &proof,
        &mut Transcript::new(b"t"),
    );
    assert!(bad.is_err());
    // The batch selector is the verifier's: another batch point is rejected.
    if b > 0 {
        let mut other = r_b.to_vec();
        other[0] += E::ONE;
        let wrong = dense::verify_batched(
            di.num_vars(),
            &other,
            target,
            &proof,
            &mut Transcript::new(b"t"),
        );
        assert!(wrong.is_err());
    }
}

#[test]
fn batched_conv_and_dense_match_their_oracles_on_both_fields() {
    for b in 0..=2 {
        batched_round_trip::<Goldilocks, GoldilocksExt2>(b as u64 + 1, b);
        batched_round_trip::<Bn254Fr, Bn254Fr>(b as u64 + 11, b);
    }
}
