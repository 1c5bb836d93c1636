//! Criterion benches: the commitment's building blocks at 2^16, 2^20 and 2^24 entries — monomial
//! coefficients, Reed–Solomon encoding at rate 1/2 and 1/4, and the blake3 Merkle tree over
//! pairs `(c[j], c[j + N/2])` — i.e. everything a Basefold commitment does.

use ark_std::rand::{rngs::StdRng, SeedableRng};
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use zkcnn::field::Goldilocks as F;
use zkcnn::pcs::code::{encode, evals_to_coeffs};
use zkcnn::pcs::merkle::MerkleTree;
use zkcnn::testing::random_base;

/// The same allocator as the `zkcnn` binary.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn commit(evals: Vec<F>, rate_bits: usize) -> [u8; 32] {
    let mut coeffs = evals;
    evals_to_coeffs(&mut coeffs);
    let code = encode(&coeffs, rate_bits).unwrap();
    let half = code.len() / 2;
    MerkleTree::new(half, |j| [code[j], code[j + half]]).root()
}

fn bench(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(4);
    let mut group = c.benchmark_group("pcs-commit");
    group.sample_size(10);
    for n in [16usize, 20, 24] {
        let evals: Vec<F> = random_base(&mut rng, 1 << n);
        for rate_bits in [1usize, 2] {
            group.bench_function(
                BenchmarkId::new(format!("rate-1/{}", 1 << rate_bits), format!("2^{n}")),
                |b| {
                    b.iter_batched(
                        || evals.clone(),
                        |e| commit(e, rate_bits),
                        BatchSize::LargeInput,
                    )
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
