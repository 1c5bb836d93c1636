//! Criterion benches: field arithmetic that the provers' hot loops are made of.

use ark_ff::{AdditiveGroup, Field, UniformRand};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use zkcnn::field::{Bn254Fr, Goldilocks as F, GoldilocksExt2 as E, MulAcc};

const N: usize = 1 << 14;

// The binary's allocator (`src/allocator.rs`), so that the figures read as the CLI's do.
#[cfg(feature = "mimalloc")]
#[path = "../src/allocator.rs"]
mod allocator;

fn bench(c: &mut Criterion) {
    #[cfg(feature = "mimalloc")]
    allocator::keep_freed_memory();
    let mut rng = StdRng::seed_from_u64(3);
    let fa: Vec<F> = (0..N).map(|_| F::rand(&mut rng)).collect();
    let fb: Vec<F> = (0..N).map(|_| F::rand(&mut rng)).collect();
    let ea: Vec<E> = (0..N).map(|_| E::rand(&mut rng)).collect();
    let eb: Vec<E> = (0..N).map(|_| E::rand(&mut rng)).collect();
    let ba: Vec<Bn254Fr> = (0..N).map(|_| Bn254Fr::rand(&mut rng)).collect();
    let mut g = c.benchmark_group("field");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("goldilocks-inner-product", |b| {
        b.iter(|| fa.iter().zip(&fb).fold(F::ZERO, |s, (x, y)| s + *x * y))
    });
    g.bench_function("goldilocks-mul-acc", |b| {
        b.iter(|| {
            let mut acc = <F as MulAcc>::Acc::default();
            fa.iter()
                .zip(&fb)
                .for_each(|(x, y)| F::mul_acc(&mut acc, x, y));
            F::reduce(acc)
        })
    });
    g.bench_function("ext-mul", |b| {
        b.iter(|| {
            ea.iter()
                .zip(&eb)
                .map(|(x, y)| *x * y)
                .fold(E::ZERO, |s, p| s + p)
        })
    });
    g.bench_function("ext-mul-fast", |b| {
        b.iter(|| {
            ea.iter()
                .zip(&eb)
                .map(|(x, y)| E::mul_fast(x, y))
                .fold(E::ZERO, |s, p| s + p)
        })
    });
    g.bench_function("ext-mul-acc", |b| {
        b.iter(|| {
            let mut acc = <E as MulAcc>::Acc::default();
            ea.iter()
                .zip(&eb)
                .for_each(|(x, y)| E::mul_acc(&mut acc, x, y));
            E::reduce(acc)
        })
    });
    g.bench_function("ext-times-base", |b| {
        b.iter(|| {
            ea.iter()
                .zip(&fb)
                .map(|(x, y)| x.mul_by_base_prime_field(y))
                .fold(E::ZERO, |s, p| s + p)
        })
    });
    g.bench_function("bn254-inner-product", |b| {
        b.iter(|| {
            ba.iter()
                .zip(&ba[1..])
                .fold(Bn254Fr::ZERO, |s, (x, y)| s + *x * y)
        })
    });
    g.finish();
    black_box(());
}

criterion_group!(benches, bench);
criterion_main!(benches);
