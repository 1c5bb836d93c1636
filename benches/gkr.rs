//! Criterion benches: GKR prover and verifier on random layered circuits of 2^16 and 2^20 gates
//! (a quarter of the wires of every layer after the first read the input layer).

use ark_std::rand::{rngs::StdRng, SeedableRng};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use merlin::Transcript;
use zkcnn::field::{Goldilocks as F, GoldilocksExt2 as E};
use zkcnn::gkr;
use zkcnn::testing::{random_base, random_circuit};

// The binary's allocator (`src/allocator.rs`), so that the figures read as the CLI's do.
#[cfg(feature = "mimalloc")]
#[path = "../src/allocator.rs"]
mod allocator;

fn bench(c: &mut Criterion) {
    #[cfg(feature = "mimalloc")]
    allocator::keep_freed_memory();
    let mut group = c.benchmark_group("gkr");
    group.sample_size(10);
    for (log_width, depth) in [(12usize, 16usize), (16, 16), (18, 4)] {
        let mut rng = StdRng::seed_from_u64(2);
        let width = 1 << log_width;
        let circuit = random_circuit(&mut rng, width, &vec![width; depth], 0.25);
        let input: Vec<F> = random_base(&mut rng, width);
        let id = format!("{depth}x2^{log_width}-gates");
        group.bench_function(BenchmarkId::new("evaluate", &id), |b| {
            b.iter(|| circuit.evaluate(&input).unwrap())
        });
        group.bench_function(BenchmarkId::new("prove", &id), |b| {
            b.iter(|| gkr::prove::<F, E>(&circuit, &input, &mut Transcript::new(b"bench")).unwrap())
        });
        let out = gkr::prove::<F, E>(&circuit, &input, &mut Transcript::new(b"bench")).unwrap();
        group.bench_function(BenchmarkId::new("verify", &id), |b| {
            b.iter(|| {
                gkr::verify(
                    &circuit,
                    &out.output,
                    &out.proof,
                    &mut Transcript::new(b"bench"),
                )
                .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
