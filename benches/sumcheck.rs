//! Criterion benches: sum-check prover for Σ_x Π_i f_i(x) over random base-field tables,
//! 2^16 … 2^22 entries, degree 2 and 3, next to the plain sum it proves.

use ark_ff::Field;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use merlin::Transcript;
use zkcnn::field::{Goldilocks as F, GoldilocksExt2 as E};
use zkcnn::poly::Mle;
use zkcnn::sumcheck::{self, Instance, Term};
use zkcnn::testing::random_base;

fn plain(tables: &[Vec<F>]) -> F {
    match tables {
        [f, g] => f.iter().zip(g).map(|(a, b)| *a * b).sum(),
        [f, g, h] => f.iter().zip(g).zip(h).map(|((a, b), c)| *a * b * c).sum(),
        _ => unreachable!(),
    }
}

// The binary's allocator (`src/allocator.rs`), so that the figures read as the CLI's do.
#[cfg(feature = "mimalloc")]
#[path = "../src/allocator.rs"]
mod allocator;

fn bench(c: &mut Criterion) {
    #[cfg(feature = "mimalloc")]
    allocator::keep_freed_memory();
    let mut rng = StdRng::seed_from_u64(1);
    let mut group = c.benchmark_group("sumcheck");
    group.sample_size(10);
    for n in [16usize, 18, 20, 22] {
        for d in [2usize, 3] {
            let tables: Vec<Vec<F>> = (0..d).map(|_| random_base(&mut rng, 1 << n)).collect();
            let inst = Instance::<F, E>::new(
                tables.iter().cloned().map(Mle::Base).collect(),
                vec![Term {
                    coeff: E::ONE,
                    factors: (0..d).collect(),
                }],
            )
            .unwrap();
            let claim = inst.sum();
            let id = format!("2^{n}/degree-{d}");
            group.bench_function(BenchmarkId::new("prove", &id), |b| {
                b.iter_batched(
                    || inst.clone(),
                    |i| sumcheck::prove(i, claim, &mut Transcript::new(b"bench")),
                    BatchSize::LargeInput,
                )
            });
            group.bench_function(BenchmarkId::new("plain-sum-1-thread", &id), |b| {
                b.iter(|| plain(&tables))
            });
            let proof = sumcheck::prove(inst.clone(), claim, &mut Transcript::new(b"bench")).proof;
            group.bench_function(BenchmarkId::new("verify", &id), |b| {
                b.iter(|| sumcheck::verify(n, d, claim, &proof, &mut Transcript::new(b"bench")))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
