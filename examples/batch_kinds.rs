//! Batch proofs of the layer kinds a batch takes since issue 15's follow-up (average pools,
//! window max-pools, concatenations, activations by lookup, element-wise products): one batch
//! proof of `N` inputs (default 4) against `N` single proofs, per model — prove time, proof
//! size, verify time. Run once, release:
//! `RAYON_NUM_THREADS=2 cargo run --release --features figures --example batch_kinds -- [N] [large]` (`large`:
//! ResNet-18 and MobileNetV2 at 32×32, 10 classes, instead of the small models).
use ark_serialize::CanonicalSerialize;
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::time::Instant;
use zkcnn::field::{Goldilocks, GoldilocksExt2};
use zkcnn::model::activation::Function;
use zkcnn::model::*;
use zkcnn::network;

// The binary's allocator (`src/allocator.rs`), so that the figures read as the CLI's do.
#[cfg(feature = "mimalloc")]
#[path = "../src/allocator.rs"]
mod allocator;

type F = Goldilocks;
type E = GoldilocksExt2;

fn weights(n: usize, rng: &mut StdRng) -> Vec<i64> {
    (0..n).map(|_| rng.gen_range(-7..=7)).collect()
}

fn conv(input: Option<usize>, ci: usize, co: usize, k: usize, rng: &mut StdRng) -> Layer {
    Layer::Conv2d(Conv2d {
        input,
        in_channels: ci,
        out_channels: co,
        kernel: [k, k],
        stride: 1,
        padding: k / 2,
        weights: weights(ci * co * k * k, rng),
        bias: weights(co, rng),
        shift: 0,
        groups: 1,
    })
}

fn dense(i: usize, o: usize, rng: &mut StdRng) -> Layer {
    Layer::Dense(Dense {
        input: None,
        in_features: i,
        out_features: o,
        weights: weights(i * o, rng),
        bias: weights(o, rng),
        shift: 0,
    })
}

fn finish(name: &str, input_shape: &[usize], layers: Vec<Layer>) -> Model {
    let mut m = Model {
        name: name.into(),
        input_shape: input_shape.to_vec(),
        activation_bits: 8,
        weight_bits: 8,
        layers,
        quantization: None,
        saturate: false,
        bias_bits: 32,
    };
    let samples: Vec<_> = (0..4)
        .map(|i| zoo::random_input(&m.input_shape, 8, 500 + i))
        .collect();
    zoo::calibrate_shifts(&mut m, &samples).unwrap();
    m
}

/// `[8, 16, 16]`: conv 8→16 3×3, ReLU, 3×3 stride-2 padding-1 max-pool (`[16, 8, 8]`), conv
/// 16→16, ReLU, 3×3 stride-2 padding-1 max-pool (`[16, 4, 4]`), flatten, dense 256→10.
fn window_pools() -> Model {
    let mut rng = StdRng::seed_from_u64(1);
    let pool = || {
        Layer::MaxPool2d(MaxPool2d {
            size: 3,
            stride: 2,
            padding: 1,
            ceil_mode: false,
            input: None,
        })
    };
    let layers = vec![
        conv(None, 8, 16, 3, &mut rng),
        Layer::RELU,
        pool(),
        conv(None, 16, 16, 3, &mut rng),
        Layer::RELU,
        pool(),
        Layer::FLATTEN,
        dense(256, 10, &mut rng),
    ];
    finish("window-max-pools", &[8, 16, 16], layers)
}

/// `[16, 8, 8]`, a squeeze-and-excitation block with a ReLU6 (Clip) and a HardSigmoid by
/// lookup: conv 16→16 3×3, Clip to `[0, 48]` (tensor 2), global average pool (`[16, 1, 1]`),
/// conv 16→16 1×1, HardSigmoid, per-channel product with tensor 2, an element-wise product
/// with a second 1×1 conv of tensor 2, flatten, dense 1024→10.
fn se_block() -> Model {
    let mut rng = StdRng::seed_from_u64(2);
    let act = |function| {
        Layer::Activation(Activation {
            function,
            input: None,
        })
    };
    let layers = vec![
        conv(None, 16, 16, 3, &mut rng),         // → 1
        act(Function::Clip { min: 0, max: 48 }), // → 2
        Layer::AvgPool2d(AvgPool2d {
            divisor: 1,
            input: None,
            size: 8,
            stride: 8,
            shift: 0,
        }), // → 3
        conv(None, 16, 16, 1, &mut rng),         // → 4
        act(Function::HardSigmoid {
            alpha: 13107,
            beta: 32768,
            in_frac_bits: 4,
            out_frac_bits: 6,
        }), // → 5
        Layer::Mul(Mul {
            input: Some(2),
            from: 4,
            shift: 0,
        }), // → 6: per channel
        conv(Some(2), 16, 16, 1, &mut rng),      // → 7
        Layer::Mul(Mul {
            input: Some(6),
            from: 6,
            shift: 0,
        }), // → 8: one layout
        Layer::FLATTEN,
        dense(1024, 10, &mut rng),
    ];
    finish("se-block", &[16, 8, 8], layers)
}

fn main() {
    #[cfg(feature = "mimalloc")]
    allocator::keep_freed_memory();
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(4);
    let models = if std::env::args().nth(2).as_deref() == Some("large") {
        vec![
            ("window max-pool, average pool", zoo::resnet18(32, 10, 1)),
            (
                "ReLU6 by lookup, average pool",
                zoo::mobilenet_v2(32, 10, 1),
            ),
        ]
    } else {
        vec![
            ("average pool", zoo::resnet_small(1)),
            ("window max-pool", window_pools()),
            ("concatenation", zoo::fire_small(1)),
            ("activation, product", se_block()),
        ]
    };
    println!("| model (kinds) | {n} single proofs | batch of {n} | ratio | {n} single proofs' bytes | batch proof bytes | ratio | verify: {n} single / batch |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (kinds, model) in models {
        let committed = network::commit_model::<F, E>(&model).unwrap();
        let checked = committed.public.check(&model.architecture()).unwrap();
        let inputs: Vec<_> = (0..n as u64)
            .map(|i| zoo::random_input(&model.input_shape, model.activation_bits, 7 + i))
            .collect();
        let xs: Vec<Vec<i64>> = inputs.iter().map(|x| x.iter().copied().collect()).collect();
        let (mut single_time, mut single_verify, mut single_bytes) = (0.0, 0.0, 0usize);
        let mut outs = Vec::new();
        for (x, xf) in inputs.iter().zip(&xs) {
            let t = Instant::now();
            let (y, proof) = network::prove::<F, E>(&model, &committed, x).unwrap();
            single_time += t.elapsed().as_secs_f64();
            let yf: Vec<i64> = y.iter().copied().collect();
            let t = Instant::now();
            network::verify(&model, &checked, xf, &yf, &proof).unwrap();
            single_verify += t.elapsed().as_secs_f64();
            single_bytes += proof.compressed_size();
            outs.push(y);
        }
        let t = Instant::now();
        let (ys, batch) = network::prove_batch::<F, E>(&model, &committed, &inputs).unwrap();
        let batch_time = t.elapsed().as_secs_f64();
        assert_eq!(ys, outs, "the batch's outputs are the single proofs'");
        let ys: Vec<Vec<i64>> = ys.iter().map(|x| x.iter().copied().collect()).collect();
        let xr: Vec<&[i64]> = xs.iter().map(Vec::as_slice).collect();
        let yr: Vec<&[i64]> = ys.iter().map(Vec::as_slice).collect();
        let t = Instant::now();
        network::verify_batch(&model, &checked, &xr, &yr, &batch).unwrap();
        let batch_verify = t.elapsed().as_secs_f64();
        let batch_bytes = batch.compressed_size();
        println!(
            "| {} ({kinds}) | {:.3} s | {:.3} s | {:.2}× | {} | {} | {:.2}× | {:.1} / {:.1} ms |",
            model.name,
            single_time,
            batch_time,
            batch_time / single_time,
            single_bytes,
            batch_bytes,
            batch_bytes as f64 / single_bytes as f64,
            single_verify * 1e3,
            batch_verify * 1e3,
        );
    }
}
