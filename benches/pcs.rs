//! Criterion benches for Basefold with the default 100-bit parameters (`Basefold::setup(24, 100)`):
//! commit at 2^16, 2^20 and 2^24 entries; open and verify one claim at 2^16 and 2^20.

use ark_std::rand::{rngs::StdRng, SeedableRng};
use ark_std::UniformRand;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use merlin::Transcript;
use zkcnn::field::{Goldilocks as F, GoldilocksExt2 as E};
use zkcnn::pcs::basefold::{self, Basefold};
use zkcnn::pcs::Claim;
use zkcnn::testing::random_base;

// The binary's allocator (`src/allocator.rs`), so that the figures read as the CLI's do.
#[cfg(feature = "mimalloc")]
#[path = "../src/allocator.rs"]
mod allocator;

fn bench(c: &mut Criterion) {
    #[cfg(feature = "mimalloc")]
    allocator::keep_freed_memory();
    let p = Basefold::setup::<F, E>(24, 100).unwrap().params;
    let mut rng = StdRng::seed_from_u64(4);
    let mut group = c.benchmark_group("basefold");
    group.sample_size(10);
    for n in [16usize, 20, 24] {
        let evals: Vec<F> = random_base(&mut rng, 1 << n);
        group.bench_function(BenchmarkId::new("commit", format!("2^{n}")), |b| {
            b.iter_batched(
                || vec![evals.clone()],
                |e| basefold::commit(&p, e).unwrap().0,
                BatchSize::LargeInput,
            )
        });
        if n > 20 {
            continue;
        }
        let (com, data) = basefold::commit(&p, vec![evals]).unwrap();
        let claims = vec![Claim::new(0, (0..n).map(|_| E::rand(&mut rng)).collect())];
        group.bench_function(BenchmarkId::new("open", format!("2^{n}")), |b| {
            b.iter(|| basefold::open(&p, &com, &data, &claims, &mut Transcript::new(b"b")).unwrap())
        });
        let (y, proof) =
            basefold::open(&p, &com, &data, &claims, &mut Transcript::new(b"b")).unwrap();
        group.bench_function(BenchmarkId::new("verify", format!("2^{n}")), |b| {
            b.iter(|| {
                basefold::verify(&p, &com, &claims, &y, &proof, &mut Transcript::new(b"b")).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
