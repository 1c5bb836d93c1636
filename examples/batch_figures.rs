//! The batch proofs' figures (`spec/batch.md`, Cost): a single proof against a batch proof of
//! `N` inputs on LeNet-5 and VGG-16 — prove time per image and proof size. Run once, release:
//! `RAYON_NUM_THREADS=2 cargo run --release --features figures --example batch_figures -- [lenet|vgg] [N]`.
use ark_serialize::CanonicalSerialize;
use std::time::Instant;
use zkcnn::field::{Goldilocks, GoldilocksExt2};
use zkcnn::model::zoo;
use zkcnn::network;

// The binary's allocator (`src/allocator.rs`), so that the figures read as the CLI's do.
#[cfg(feature = "mimalloc")]
#[path = "../src/allocator.rs"]
mod allocator;

type F = Goldilocks;
type E = GoldilocksExt2;

fn main() {
    #[cfg(feature = "mimalloc")]
    allocator::keep_freed_memory();
    let which = std::env::args().nth(1).unwrap_or_default();
    let n: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(16);
    let model = if which == "vgg" {
        zoo::vgg16_cifar(1)
    } else {
        zoo::lenet5(1)
    };
    let t = Instant::now();
    let committed = network::commit_model::<F, E>(&model).unwrap();
    let checked = committed.public.check(&model.architecture()).unwrap();
    eprintln!("{}: commit {:?}", model.name, t.elapsed());
    let inputs: Vec<_> = (0..n as u64)
        .map(|i| zoo::random_input(&model.input_shape, model.activation_bits, 7 + i))
        .collect();

    let t = Instant::now();
    let mut phases = Vec::new();
    let (y, single) =
        network::prove_timed::<F, E>(&model, &committed, &inputs[0], &mut phases).unwrap();
    let single_time = t.elapsed();
    for (name, d) in &phases {
        eprintln!("  single {name}: {d:?}");
    }
    let x0: Vec<i64> = inputs[0].iter().copied().collect();
    let y0: Vec<i64> = y.iter().copied().collect();
    let t = Instant::now();
    network::verify(&model, &checked, &x0, &y0, &single).unwrap();
    let single_verify = t.elapsed();
    let single_bytes = single.compressed_size();

    let t = Instant::now();
    let mut phases = Vec::new();
    let (ys, batch) =
        network::batch::prove_batch_timed::<F, E>(&model, &committed, &inputs, &mut phases)
            .unwrap();
    let batch_time = t.elapsed();
    for (name, d) in &phases {
        eprintln!("  batch {name}: {d:?}");
    }
    let xs: Vec<Vec<i64>> = inputs.iter().map(|x| x.iter().copied().collect()).collect();
    let ys: Vec<Vec<i64>> = ys.iter().map(|x| x.iter().copied().collect()).collect();
    let xr: Vec<&[i64]> = xs.iter().map(Vec::as_slice).collect();
    let yr: Vec<&[i64]> = ys.iter().map(Vec::as_slice).collect();
    let t = Instant::now();
    network::verify_batch(&model, &checked, &xr, &yr, &batch).unwrap();
    let batch_verify = t.elapsed();
    let batch_bytes = batch.compressed_size();

    let per_image = batch_time.as_secs_f64() / n as f64;
    println!(
        "{}: single prove {:.3} s, verify {:.1} ms, proof {} B",
        model.name,
        single_time.as_secs_f64(),
        single_verify.as_secs_f64() * 1e3,
        single_bytes
    );
    println!(
        "{}: batch of {n} prove {:.3} s ({:.3} s per image, {:.2}x a single proof), verify {:.1} ms, proof {} B ({:.2}x a single proof)",
        model.name,
        batch_time.as_secs_f64(),
        per_image,
        per_image / single_time.as_secs_f64(),
        batch_verify.as_secs_f64() * 1e3,
        batch_bytes,
        batch_bytes as f64 / single_bytes as f64
    );
}
