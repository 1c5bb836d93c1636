//! Both convolution paths on the conv layers of LeNet-5 and VGG-16 (CIFAR): prover time (median
//! of 7 interleaved runs), verifier time (median of 5),
//! and proof bytes per layer, with the cost model's choice. Ignored by default:
//!
//! ```text
//! cargo test --release --test suite conv_paths -- --ignored --nocapture
//! ```

use ark_serialize::CanonicalSerialize;
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use ark_std::UniformRand;
use merlin::Transcript;
use std::time::{Duration, Instant};
use zkcnn::field::{from_i64, Goldilocks as F, GoldilocksExt2 as E};
use zkcnn::layers::conv::{self, ConvShape};
use zkcnn::layers::fft_conv;
use zkcnn::model::zoo;
use zkcnn::network::plan::{Plan, Step};
use zkcnn::poly::evaluate_base;

/// Random int8 input and kernel for `shape`, and the accumulators by plain loops (padded).
fn case(shape: &ConvShape, seed: u64) -> (Vec<Vec<F>>, Vec<F>, Vec<F>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let (ci, co) = (shape.input.shape[0], shape.output.shape[0]);
    let (wy, wx) = (shape.wy, shape.wx);
    let mut x = vec![0i64; shape.input.len()];
    for c in 0..ci {
        for y in 0..wy.input {
            for xx in 0..wx.input {
                x[shape.input.index(&[c, y, xx])] = rng.gen_range(-127..=127);
            }
        }
    }
    let vi = shape.input.vars[0];
    let mut kernel = vec![vec![0i64; 1 << (shape.output.vars[0] + vi)]; wy.k * wx.k];
    for m in kernel.iter_mut() {
        for o in 0..co {
            for i in 0..ci {
                m[(o << vi) | i] = rng.gen_range(-127..=127);
            }
        }
    }
    let mut acc = vec![0i64; shape.output.len()];
    for (dy, ox, iy) in wy.triples() {
        for (dx, oxx, ixx) in wx.triples() {
            let m = &kernel[dy * wx.k + dx];
            for o in 0..co {
                let mut a = 0;
                for i in 0..ci {
                    a += m[(o << vi) | i] * x[shape.input.index(&[i, iy, ixx])];
                }
                acc[shape.output.index(&[o, ox, oxx])] += a;
            }
        }
    }
    let f = |v: &[i64]| v.iter().map(|&a| from_i64::<F>(a)).collect::<Vec<F>>();
    (kernel.iter().map(|m| f(m)).collect(), f(&x), f(&acc))
}

fn best(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

#[test]
#[ignore]
fn conv_paths_on_lenet5_and_vgg16() {
    println!(
        "| model | layer | c_in→c_out | h×w | k | L | direct prove | fft prove | direct verify | fft verify | direct bytes | fft bytes | model picks |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (name, model) in [
        ("lenet5", zoo::lenet5(1)),
        ("vgg16_cifar", zoo::vgg16_cifar(1)),
    ] {
        let plan = Plan::new(&model).unwrap();
        for (l, step) in plan.steps.iter().enumerate() {
            let Step::Conv(zkcnn::layers::conv::Conv { shape, .. }) = step else {
                continue;
            };
            let (kernel, x, acc) = case(shape, l as u64);
            let refs: Vec<&[F]> = kernel.iter().map(Vec::as_slice).collect();
            let mut rng = StdRng::seed_from_u64(99);
            let r: Vec<E> = (0..shape.output.num_vars())
                .map(|_| E::rand(&mut rng))
                .collect();
            let target = evaluate_base(&acc, &r);
            let runs = 7;
            let (mut dp, mut fp, mut dv, mut fv) = (vec![], vec![], vec![], vec![]);
            let (mut dproof, mut fproof) = (None, None);
            for _ in 0..runs {
                let t = Instant::now();
                let (p, _) = conv::prove(shape, &refs, &x, &r, target, &mut Transcript::new(b"b"));
                dp.push(t.elapsed());
                let t = Instant::now();
                let (q, _) =
                    fft_conv::prove(shape, &refs, &x, &r, target, &mut Transcript::new(b"b"))
                        .unwrap();
                fp.push(t.elapsed());
                dproof = Some(p);
                fproof = Some(q);
            }
            let (dproof, fproof) = (dproof.unwrap(), fproof.unwrap());
            for _ in 0..5 {
                let t = Instant::now();
                conv::verify(shape, &r, target, &dproof, &mut Transcript::new(b"b")).unwrap();
                dv.push(t.elapsed());
                let t = Instant::now();
                fft_conv::verify::<F, E>(shape, &r, target, &fproof, &mut Transcript::new(b"b"))
                    .unwrap();
                fv.push(t.elapsed());
            }
            let layout = fft_conv::FftLayout::new(shape, 32).unwrap();
            let ms = |d: Duration| format!("{:.3} ms", d.as_secs_f64() * 1e3);
            println!(
                "| {name} | {l} | {}→{} | {}×{} | {} | 2^{} | {} | {} | {} | {} | {} | {} | {:?} |",
                shape.input.shape[0],
                shape.output.shape[0],
                shape.input.shape[1],
                shape.input.shape[2],
                shape.wy.k,
                layout.log_len,
                ms(best(dp)),
                ms(best(fp)),
                ms(best(dv)),
                ms(best(fv)),
                dproof.compressed_size(),
                fproof.compressed_size(),
                zkcnn::layers::fft_conv::choose(shape),
            );
        }
    }
}

/// Whole LeNet-5 proofs with every convolution direct (the cost model's choice) and with every
/// convolution by the FFT path: prover time, verifier time, proof bytes (median of 5 runs).
#[test]
#[ignore]
fn lenet5_network_with_each_path() {
    use zkcnn::layers::fft_conv::ConvPath;
    use zkcnn::network::{self, ConvPolicy};
    let model = zoo::lenet5(1);
    let committed = network::commit_model::<F, E>(&model).unwrap();
    let checked = committed.public.check(&model).unwrap();
    let input = zoo::random_input(&model.input_shape, model.activation_bits, 5);
    println!("| LeNet-5 convolutions | prove | verify | proof bytes | of which layer sum-checks | openings |");
    println!("|---|---|---|---|---|---|");
    for (name, policy) in [
        ("direct", ConvPolicy::Always(ConvPath::Direct)),
        ("FFT", ConvPolicy::Always(ConvPath::Fft)),
    ] {
        let (mut pt, mut vt, mut bytes, mut parts) = (vec![], vec![], 0, vec![]);
        for _ in 0..5 {
            let t = Instant::now();
            let (output, proof) = network::prove_with_policy::<F, E>(
                &model,
                &committed,
                &input,
                policy,
                &mut Vec::new(),
            )
            .unwrap();
            pt.push(t.elapsed());
            let x: Vec<i64> = input.iter().copied().collect();
            let y: Vec<i64> = output.iter().copied().collect();
            let t = Instant::now();
            network::verify_with_policy(&model, &checked, &x, &y, &proof, policy).unwrap();
            vt.push(t.elapsed());
            let digest = network::statement_digest(&model, committed.commitment(), &x, &y);
            bytes = proof.to_bytes(digest).len();
            parts = proof.part_sizes();
        }
        let part = |k: &str| {
            parts
                .iter()
                .filter(|p| p.0.contains(k))
                .map(|p| p.1)
                .sum::<usize>()
        };
        println!(
            "| {name} | {:.1} ms | {:.2} ms | {bytes} | {} | {} |",
            best(pt).as_secs_f64() * 1e3,
            best(vt).as_secs_f64() * 1e3,
            part("sum-checks"),
            part("opening"),
        );
    }
}
