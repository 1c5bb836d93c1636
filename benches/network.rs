//! Criterion benches for whole-network proofs (seeded random weights, model committed
//! beforehand): LeNet-5 prove and verify, and VGG-16 (CIFAR-10 shapes) prove and verify.
//! `zkcnn bench --only network` prints the same figures as a table with the memory, the proof
//! size and the ratio to plain inference.

use criterion::{criterion_group, criterion_main, Criterion};
use zkcnn::field::{Goldilocks as F, GoldilocksExt2 as E};
use zkcnn::model::zoo;
use zkcnn::network;

// The binary's allocator (`src/allocator.rs`), so that the figures read as the CLI's do.
#[cfg(feature = "mimalloc")]
#[path = "../src/allocator.rs"]
mod allocator;

fn bench(c: &mut Criterion) {
    #[cfg(feature = "mimalloc")]
    allocator::keep_freed_memory();
    let mut group = c.benchmark_group("network");
    group.sample_size(10);
    for model in [zoo::lenet5(1), zoo::vgg16_cifar(1)] {
        let committed = network::commit_model::<F, E>(&model).unwrap();
        let checked = committed.public.check(&model).unwrap();
        let input = zoo::random_input(&model.input_shape, model.activation_bits, 7);
        group.bench_function(format!("prove/{}", model.name), |b| {
            b.iter(|| network::prove::<F, E>(&model, &committed, &input).unwrap())
        });
        let (output, proof) = network::prove::<F, E>(&model, &committed, &input).unwrap();
        let x: Vec<i64> = input.iter().copied().collect();
        let y: Vec<i64> = output.iter().copied().collect();
        group.bench_function(format!("verify/{}", model.name), |b| {
            b.iter(|| network::verify(&model, &checked, &x, &y, &proof).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
