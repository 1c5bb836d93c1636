//! Criterion benches for range checks.
//!
//! * `range`: the logUp-GKR range check alone — multiplicities, prove and verify at 2^16 and 2^20
//!   entries in all (four columns of 1/2, 1/4, 1/8, 1/8 of the entries) with `bits` = 8 and 16.
//! * `range-padded`: prove on columns of 2^20 and 2^18 entries (`bits` = 16): a tree of 2^21
//!   leaves, 40% of them the zero padding (whose nodes the prover handles in closed form).
//! * `range-vs-bits`: the full cost of logUp-GKR against bit decomposition on one column of 2^16
//!   or 2^20 entries, `bits` = 8 and 16, with the advice committed and the claims opened by
//!   Basefold (`setup(24, 100)`). logUp: multiplicities, commit `m` (2^bits entries), prove,
//!   open `m` and the column. Bits: decompose, commit the `bits` bit columns together, prove,
//!   open the bit columns (one proof) and the column. The column's own commitment is the
//!   caller's in both cases and is not timed. Before the timed runs, three runs of each print
//!   the median of each part and the proof size (range proof + openings + the advice's
//!   commitment) to stderr.

use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use merlin::Transcript;
use std::time::{Duration, Instant};
use zkcnn::codec::to_bytes;
use zkcnn::field::{Goldilocks as F, GoldilocksExt2 as E};
use zkcnn::pcs::basefold::{self, Basefold, Commitment, Params, ProverData};
use zkcnn::pcs::Claim;
use zkcnn::range::{self, bits};

// The binary's allocator (`src/allocator.rs`), so that the figures read as the CLI's do.
#[cfg(feature = "mimalloc")]
#[path = "../src/allocator.rs"]
mod allocator;

fn random_column(rng: &mut StdRng, vars: usize, bits: usize) -> Vec<F> {
    (0..1usize << vars)
        .map(|_| F::from(rng.gen_range(0..1u64 << bits)))
        .collect()
}

fn bench_logup(c: &mut Criterion) {
    #[cfg(feature = "mimalloc")]
    allocator::keep_freed_memory();
    let mut rng = StdRng::seed_from_u64(1);
    let mut group = c.benchmark_group("range");
    group.sample_size(10);
    for n in [16usize, 20] {
        for bits in [8usize, 16] {
            let vars = vec![n - 1, n - 2, n - 3, n - 3];
            let columns: Vec<Vec<F>> = vars
                .iter()
                .map(|&v| random_column(&mut rng, v, bits))
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
            eprintln!("range {id}: proof {} bytes", to_bytes(&proof).len());
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

fn bench_padded(c: &mut Criterion) {
    #[cfg(feature = "mimalloc")]
    allocator::keep_freed_memory();
    let mut rng = StdRng::seed_from_u64(2);
    let mut group = c.benchmark_group("range-padded");
    group.sample_size(10);
    let bits = 16;
    let columns: Vec<Vec<F>> = [20, 18]
        .iter()
        .map(|&v| random_column(&mut rng, v, bits))
        .collect();
    let refs: Vec<&[F]> = columns.iter().map(Vec::as_slice).collect();
    let m = range::multiplicities(&refs, bits).unwrap();
    group.bench_function(BenchmarkId::new("prove", "2^20+2^18/bits-16"), |b| {
        b.iter(|| range::prove::<F, E>(&refs, bits, &m, &mut Transcript::new(b"bench")).unwrap())
    });
    group.finish();
}

/// The caller's side: the column's commitment, bound before the range check.
struct Committed {
    column: Vec<F>,
    com: Commitment,
    data: ProverData<F>,
}

fn bind(t: &mut Transcript, coms: &[&Commitment]) {
    for com in coms {
        t.append_message(b"commitment", &to_bytes(*com));
    }
}

/// Parts of one pipeline run, for the breakdown.
#[derive(Default)]
struct Parts {
    advice: Duration,
    commit: Duration,
    prove: Duration,
    open: Duration,
    bytes: usize,
}

fn logup_prove(p: &Params, c: &Committed, bits: usize) -> (Parts, Vec<u8>) {
    let mut parts = Parts::default();
    let t0 = Instant::now();
    let m = range::multiplicities(&[c.column.as_slice()], bits).unwrap();
    parts.advice = t0.elapsed();
    let t0 = Instant::now();
    let (m_com, m_data) = basefold::commit(p, vec![m.clone()]).unwrap();
    parts.commit = t0.elapsed();
    let mut t = Transcript::new(b"compare");
    bind(&mut t, &[&c.com, &m_com]);
    let t0 = Instant::now();
    let (proof, claims) = range::prove::<F, E>(&[c.column.as_slice()], bits, &m, &mut t).unwrap();
    parts.prove = t0.elapsed();
    let t0 = Instant::now();
    let m_claim = [Claim::new(0, claims.multiplicities.point.clone())];
    let (_, m_open) = basefold::open(p, &m_com, &m_data, &m_claim, &mut t).unwrap();
    let c_claim = [Claim::new(0, claims.columns[0].point.clone())];
    let (_, c_open) = basefold::open(p, &c.com, &c.data, &c_claim, &mut t).unwrap();
    parts.open = t0.elapsed();
    let bytes = [
        to_bytes(&m_com),
        to_bytes(&proof),
        to_bytes(&m_open),
        to_bytes(&c_open),
    ]
    .concat();
    parts.bytes = bytes.len();
    (parts, bytes)
}

fn logup_verify(p: &Params, c: &Committed, bits: usize, bytes: &[u8]) {
    let mut rd = bytes;
    let m_com: Commitment =
        ark_serialize::CanonicalDeserialize::deserialize_compressed(&mut rd).unwrap();
    let proof: range::Proof<E> =
        ark_serialize::CanonicalDeserialize::deserialize_compressed(&mut rd).unwrap();
    let m_open: basefold::Proof<F, E> =
        ark_serialize::CanonicalDeserialize::deserialize_compressed(&mut rd).unwrap();
    let c_open: basefold::Proof<F, E> =
        ark_serialize::CanonicalDeserialize::deserialize_compressed(&mut rd).unwrap();
    let mut t = Transcript::new(b"compare");
    bind(&mut t, &[&c.com, &m_com]);
    let n = c.column.len().trailing_zeros() as usize;
    let claims = range::verify::<F, E>(&[n], bits, &proof, &mut t).unwrap();
    let m_claim = [Claim::new(0, claims.multiplicities.point.clone())];
    basefold::verify(
        p,
        &m_com,
        &m_claim,
        &[claims.multiplicities.value],
        &m_open,
        &mut t,
    )
    .unwrap();
    let c_claim = [Claim::new(0, claims.columns[0].point.clone())];
    basefold::verify(
        p,
        &c.com,
        &c_claim,
        &[claims.columns[0].value],
        &c_open,
        &mut t,
    )
    .unwrap();
}

fn bits_prove(p: &Params, c: &Committed, nbits: usize) -> (Parts, Vec<u8>) {
    let mut parts = Parts::default();
    let t0 = Instant::now();
    let b = bits::decompose(&c.column, nbits).unwrap();
    parts.advice = t0.elapsed();
    let t0 = Instant::now();
    let (b_com, b_data) = basefold::commit(p, b.clone()).unwrap();
    parts.commit = t0.elapsed();
    let mut t = Transcript::new(b"compare");
    bind(&mut t, &[&c.com, &b_com]);
    let refs: Vec<&[F]> = b.iter().map(Vec::as_slice).collect();
    let t0 = Instant::now();
    let (proof, claims) = bits::prove::<F, E>(&c.column, &refs, &mut t).unwrap();
    parts.prove = t0.elapsed();
    let t0 = Instant::now();
    let b_claims: Vec<Claim<E>> = claims
        .bits
        .iter()
        .enumerate()
        .map(|(j, cl)| Claim::new(j, cl.point.clone()))
        .collect();
    let (_, b_open) = basefold::open(p, &b_com, &b_data, &b_claims, &mut t).unwrap();
    let c_claim = [Claim::new(0, claims.column.point.clone())];
    let (_, c_open) = basefold::open(p, &c.com, &c.data, &c_claim, &mut t).unwrap();
    parts.open = t0.elapsed();
    let bytes = [
        to_bytes(&b_com),
        to_bytes(&proof),
        to_bytes(&b_open),
        to_bytes(&c_open),
    ]
    .concat();
    parts.bytes = bytes.len();
    (parts, bytes)
}

fn bits_verify(p: &Params, c: &Committed, nbits: usize, bytes: &[u8]) {
    let mut rd = bytes;
    let b_com: Commitment =
        ark_serialize::CanonicalDeserialize::deserialize_compressed(&mut rd).unwrap();
    let proof: bits::BitsProof<E> =
        ark_serialize::CanonicalDeserialize::deserialize_compressed(&mut rd).unwrap();
    let b_open: basefold::Proof<F, E> =
        ark_serialize::CanonicalDeserialize::deserialize_compressed(&mut rd).unwrap();
    let c_open: basefold::Proof<F, E> =
        ark_serialize::CanonicalDeserialize::deserialize_compressed(&mut rd).unwrap();
    let mut t = Transcript::new(b"compare");
    bind(&mut t, &[&c.com, &b_com]);
    let n = c.column.len().trailing_zeros() as usize;
    let claims = bits::verify::<F, E>(n, nbits, &proof, &mut t).unwrap();
    let b_claims: Vec<Claim<E>> = claims
        .bits
        .iter()
        .enumerate()
        .map(|(j, cl)| Claim::new(j, cl.point.clone()))
        .collect();
    let values: Vec<E> = claims.bits.iter().map(|cl| cl.value).collect();
    basefold::verify(p, &b_com, &b_claims, &values, &b_open, &mut t).unwrap();
    let c_claim = [Claim::new(0, claims.column.point.clone())];
    basefold::verify(p, &c.com, &c_claim, &[claims.column.value], &c_open, &mut t).unwrap();
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn bench_compare(c: &mut Criterion) {
    #[cfg(feature = "mimalloc")]
    allocator::keep_freed_memory();
    let p = Basefold::setup::<F, E>(24, 100).unwrap().params;
    let mut rng = StdRng::seed_from_u64(2);
    let mut group = c.benchmark_group("range-vs-bits");
    group.sample_size(10);
    for n in [16usize, 20] {
        for nbits in [8usize, 16] {
            let column = random_column(&mut rng, n, nbits);
            let (com, data) = basefold::commit(&p, vec![column.clone()]).unwrap();
            let committed = Committed { column, com, data };
            let id = format!("2^{n}/bits-{nbits}");
            let report = |name: &str, runs: &[(Parts, Vec<u8>)]| {
                let median = |f: fn(&Parts) -> Duration| {
                    let mut v: Vec<Duration> = runs.iter().map(|(p, _)| f(p)).collect();
                    v.sort();
                    v[v.len() / 2]
                };
                let parts = Parts {
                    advice: median(|p| p.advice),
                    commit: median(|p| p.commit),
                    prove: median(|p| p.prove),
                    open: median(|p| p.open),
                    bytes: runs[0].0.bytes,
                };
                eprintln!(
                    "{name} {id}: advice {:.2} ms, commit {:.2} ms, prove {:.2} ms, open {:.2} ms, total {:.2} ms; {} bytes",
                    ms(parts.advice),
                    ms(parts.commit),
                    ms(parts.prove),
                    ms(parts.open),
                    ms(parts.advice + parts.commit + parts.prove + parts.open),
                    parts.bytes
                );
            };
            let logup: Vec<_> = (0..3).map(|_| logup_prove(&p, &committed, nbits)).collect();
            report("logup", &logup);
            let bit: Vec<_> = (0..3).map(|_| bits_prove(&p, &committed, nbits)).collect();
            report("bits", &bit);
            let (logup, bit) = (&logup[0], &bit[0]);
            group.bench_function(BenchmarkId::new("logup-prove", &id), |b| {
                b.iter(|| logup_prove(&p, &committed, nbits))
            });
            group.bench_function(BenchmarkId::new("logup-verify", &id), |b| {
                b.iter(|| logup_verify(&p, &committed, nbits, &logup.1))
            });
            group.bench_function(BenchmarkId::new("bits-prove", &id), |b| {
                b.iter(|| bits_prove(&p, &committed, nbits))
            });
            group.bench_function(BenchmarkId::new("bits-verify", &id), |b| {
                b.iter(|| bits_verify(&p, &committed, nbits, &bit.1))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_logup, bench_padded, bench_compare);
criterion_main!(benches);
