//! Criterion benches for the logUp-GKR range check: prove and verify at 2^16 and 2^20 entries in
//! all (four columns of 1/2, 1/4, 1/8, 1/8 of the entries) with `bits` = 8 and 16.

use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use merlin::Transcript;
use zkcnn::field::{Goldilocks as F, GoldilocksExt2 as E};
use zkcnn::range;

/// The same allocator as the `zkcnn` binary.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Column sizes (as variables) that add up to `2^n` entries.
pub fn column_vars(n: usize) -> Vec<usize> {
    vec![n - 1, n - 2, n - 3, n - 3]
}

fn bench(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(1);
    let mut group = c.benchmark_group("range");
    group.sample_size(10);
    for n in [16usize, 20] {
        for bits in [8usize, 16] {
            let vars = column_vars(n);
            let columns: Vec<Vec<F>> = vars
                .iter()
                .map(|&v| {
                    (0..1 << v)
                        .map(|_| F::from(rng.gen_range(0..1u64 << bits)))
                        .collect()
                })
                .collect();
            let refs: Vec<&[F]> = columns.iter().map(Vec::as_slice).collect();
            let m = range::multiplicities(&refs, bits).unwrap();
            let id = format!("2^{n}/bits-{bits}");
            group.bench_function(BenchmarkId::new("multiplicities", &id), |b| {
                b.iter(|| range::multiplicities(&refs, bits).unwrap())
            });
            group.bench_function(BenchmarkId::new("prove", &id), |b| {
                b.iter(|| {
                    range::prove::<F, E>(&refs, bits, &m, &mut Transcript::new(b"bench")).unwrap()
                })
            });
            let (proof, _) =
                range::prove::<F, E>(&refs, bits, &m, &mut Transcript::new(b"bench")).unwrap();
            group.bench_function(BenchmarkId::new("verify", &id), |b| {
                b.iter(|| {
                    range::verify::<F, E>(&vars, bits, &proof, &mut Transcript::new(b"bench"))
                        .unwrap()
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
