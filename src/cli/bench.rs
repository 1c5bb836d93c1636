//! `zkcnn bench`: the figures tables of the README (sum-check, GKR, Basefold, whole networks),
//! printed as Markdown on stdout.

use ark_ff::{AdditiveGroup, Field};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use merlin::Transcript;
use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use zkcnn::field::{Goldilocks as F, GoldilocksExt2 as E};
use zkcnn::gkr::{self, Circuit, Op, Wire};
use zkcnn::poly::Mle;
use zkcnn::sumcheck::{self, Instance, Term};
use zkcnn::testing::{random_base, random_circuit};

/// Which table `--only` selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Only {
    /// The sum-check prover against a plain sum.
    Sumcheck,
    /// GKR against plain circuit evaluation.
    Gkr,
    /// Basefold commit, open and verify.
    Pcs,
    /// Whole-network proofs of the zoo's LeNet-5 (and VGG-16 without --quick).
    Network,
    /// Split commitments at 2^26 and 2^28 entries (minutes, GiBs).
    PcsLarge,
    /// A whole-network proof of a model beyond 2^24 committed entries: the zoo's wide VGG-16
    /// (2^26-entry model table in four columns; a minute, GiBs).
    NetworkLarge,
    /// Whole-network proofs of the zoo's ResNet-18 and MobileNetV2 at 224×224 (ImageNet's
    /// input, 1,000 classes): transparent, and ResNet-18 in zero knowledge too (minutes, GiBs).
    #[value(name = "network-224")]
    Network224,
    /// MobileNetV2 at 224×224 in zero knowledge only: its hiding commitment, check and proof
    /// (minutes; over 8 GiB).
    #[value(name = "network-224-zk")]
    Network224Zk,
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn threads() -> usize {
    zkcnn::parallel::num_threads()
}

/// A random circuit of `depth` layers of `2^log_width` gates, a quarter of the wires of every layer
/// after the first reading the input directly.
fn random_layered_circuit(log_width: usize, depth: usize, seed: u64) -> (Circuit, Vec<F>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let width = 1 << log_width;
    let circuit = random_circuit(&mut rng, width, &vec![width; depth], 0.25);
    let input = random_base(&mut rng, width);
    (circuit, input)
}

/// Median of `reps` timings of `f`.
fn time<T>(reps: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut v: Vec<Duration> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed()
        })
        .collect();
    v.sort();
    v[reps / 2]
}

/// Medians of `reps` interleaved timings of `baseline()` and of `run(setup())` (`setup`
/// untimed): both see the same machine conditions, so their ratio is comparable.
fn time_pair<S, T, U>(
    reps: usize,
    mut baseline: impl FnMut() -> U,
    mut setup: impl FnMut() -> S,
    mut run: impl FnMut(S) -> T,
) -> (Duration, Duration) {
    let (mut base, mut main) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let t = Instant::now();
        black_box(baseline());
        base.push(t.elapsed());
        let s = setup();
        let t = Instant::now();
        black_box(run(s));
        main.push(t.elapsed());
    }
    base.sort();
    main.sort();
    (base[reps / 2], main[reps / 2])
}

/// Σ_x f(x)·g(x) (·h(x)) over `F`, plainly, in a tight loop on the same threads: the baseline a
/// sum-check prover is compared with.
fn plain_sum(tables: &[Vec<F>]) -> F {
    let n = tables[0].len();
    let sum = |r: std::ops::Range<usize>| -> F {
        match tables {
            [f, g] => f[r.clone()].iter().zip(&g[r]).map(|(a, b)| *a * b).sum(),
            [f, g, h] => f[r.clone()]
                .iter()
                .zip(&g[r.clone()])
                .zip(&h[r])
                .map(|((a, b), c)| *a * b * c)
                .sum(),
            _ => unreachable!("degree 2 or 3"),
        }
    };
    zkcnn::parallel::map_reduce(n, sum, |a, b| a + b)
}

/// Plain evaluation of a circuit on the same threads, without padding or bookkeeping.
fn plain_eval(c: &Circuit, input: &[F]) -> F {
    let mut prev = input.to_vec();
    for l in &c.layers {
        let mut out = vec![F::ZERO; l.gates.len()];
        zkcnn::parallel::for_each_chunk_mut(&mut out, |start, chunk| {
            for (o, g) in chunk.iter_mut().zip(&l.gates[start..]) {
                let get = |w: Wire| match w {
                    Wire::Prev(j) => prev[j],
                    Wire::Input(j) => input[j],
                };
                *o = match g.op {
                    Op::Add => get(g.left) + get(g.right),
                    Op::Mul => get(g.left) * get(g.right),
                };
            }
        });
        prev = out;
    }
    prev[0]
}

/// Runs the benches and prints their tables.
pub fn run(quick: bool, only: Option<Only>) -> ExitCode {
    let reps = if quick { 3 } else { 9 };
    say!(
        "zkcnn bench: release build, {} thread(s), {} allocator, Goldilocks F, challenges in F[X]/(X^2-7)",
        threads(),
        if cfg!(feature = "mimalloc") { "mimalloc" } else { "system" }
    );
    use zkcnn::model::zoo;
    if !matches!(
        only,
        Some(Only::PcsLarge | Only::NetworkLarge | Only::Network224)
    ) {
        say!("medians of {reps} runs; each ratio from interleaved runs of the prover and its baseline");
    }
    if only.is_none() || only == Some(Only::Sumcheck) {
        bench_sumcheck(quick, reps);
    }
    if only.is_none() || only == Some(Only::Gkr) {
        bench_gkr(quick, reps);
    }
    if only.is_none() || only == Some(Only::Pcs) {
        bench_pcs(quick);
    }
    if only.is_none() || only == Some(Only::Network) {
        return bench_network(quick);
    }
    // Not in the default run: minutes and GiBs.
    if only == Some(Only::PcsLarge) {
        return bench_pcs_large(quick);
    }
    if only == Some(Only::NetworkLarge) {
        return bench_network_large(&[(zoo::vgg16_wide(1), false)]);
    }
    if only == Some(Only::Network224Zk) {
        large_header();
        let model = zoo::mobilenet_v2(224, 1000, 1);
        return match large_zk(&model) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("zkcnn: {}: {e}", model.name);
                ExitCode::FAILURE
            }
        };
    }
    if only == Some(Only::Network224) {
        // MobileNetV2's zero-knowledge proof is not run here (`--only network-224-zk`): its
        // masked advice takes well over 8 GiB.
        return bench_network_large(&[
            (zoo::resnet18(224, 1000, 1), true),
            (zoo::mobilenet_v2(224, 1000, 1), false),
        ]);
    }
    ExitCode::SUCCESS
}

fn bench_sumcheck(quick: bool, reps: usize) {
    say!();
    say!("sum-check prover for sum_x prod_i f_i(x), f_i random base-field tables;");
    say!("baseline: the same sum computed plainly with field * and + on the same threads");
    say!("| entries | degree | prove | plain sum | prove / plain | verify | proof |");
    say!("| --- | --- | --- | --- | --- | --- | --- |");
    let mut rng = StdRng::seed_from_u64(7);
    let sizes: &[usize] = if quick { &[16, 18] } else { &[16, 18, 20, 22] };
    for &n in sizes {
        for d in [2usize, 3] {
            let tables: Vec<Vec<F>> = (0..d).map(|_| random_base(&mut rng, 1 << n)).collect();
            let claim = zkcnn::field::lift::<E>(plain_sum(&tables));
            let inst = Instance::<F, E>::new(
                tables.iter().cloned().map(Mle::Base).collect(),
                vec![Term {
                    coeff: E::ONE,
                    factors: (0..d).collect(),
                }],
            )
            .expect("well-formed instance");
            let mut proof = None;
            let (plain, prove) = time_pair(
                reps,
                || plain_sum(&tables),
                || inst.clone(),
                |inst| {
                    proof = Some(sumcheck::prove(inst, claim, &mut Transcript::new(b"bench")).proof)
                },
            );
            let proof = proof.expect("ran at least once");
            let verify = time(reps, || {
                sumcheck::verify(n, d, claim, &proof, &mut Transcript::new(b"bench"))
            });
            say!(
                "| 2^{n} | {d} | {} | {} | {:.1}x | {} | {} B |",
                ms(prove),
                ms(plain),
                prove.as_secs_f64() / plain.as_secs_f64(),
                ms(verify),
                zkcnn::codec::to_bytes(&proof).len()
            );
        }
    }
}

fn bench_gkr(quick: bool, reps: usize) {
    say!();
    say!("GKR prover on random layered circuits (a quarter of the wires of every layer after the");
    say!("first read the input layer); baseline: plain evaluation on the same threads");
    say!("| gates | layers x width | prove | plain evaluation | prove / plain | verify | proof |");
    say!("| --- | --- | --- | --- | --- | --- | --- |");
    let shapes: &[(usize, usize)] = if quick {
        &[(14, 4)]
    } else {
        &[(14, 16), (16, 16), (18, 4)]
    };
    for &(w, depth) in shapes {
        let (c, input) = random_layered_circuit(w, depth, 3);
        let mut out = None;
        let (plain, prove) = time_pair(
            reps,
            || plain_eval(&c, &input),
            || (),
            |()| {
                out = Some(
                    gkr::prove::<F, E>(&c, &input, &mut Transcript::new(b"bench"))
                        .expect("valid circuit"),
                )
            },
        );
        let out = out.expect("ran at least once");
        let verify = time(reps, || {
            gkr::verify(&c, &out.output, &out.proof, &mut Transcript::new(b"bench"))
        });
        say!(
            "| 2^{} | {depth} x 2^{w} | {} | {} | {:.1}x | {} | {:.1} KiB |",
            w + depth.trailing_zeros() as usize,
            ms(prove),
            ms(plain),
            prove.as_secs_f64() / plain.as_secs_f64(),
            ms(verify),
            out.proof.to_bytes().len() as f64 / 1024.0
        );
    }
}

fn bench_pcs(quick: bool) {
    use zkcnn::pcs::basefold::{self, field_bits, Basefold};
    use zkcnn::pcs::Claim;
    let max_vars = 24;
    let Basefold { params: p } = Basefold::setup::<F, E>(max_vars, 100).expect("reachable");
    say!();
    say!(
        "Basefold, one polynomial, one claim; setup(2^{max_vars}, 100 bits): rate 1/{}, arity {}, {} queries",
        1 << p.rate_bits,
        1 << p.fold_bits,
        p.queries
    );
    say!("(proven, unique-decoding bound: spec/pcs.md); median of 3");
    say!("| entries | commit | open | verify | proof | proven bits |");
    say!("| --- | --- | --- | --- | --- | --- |");
    let mut rng = StdRng::seed_from_u64(9);
    let sizes: &[usize] = if quick { &[16] } else { &[16, 20, 22, 23, 24] };
    let mut transparent = Vec::new();
    for &n in sizes {
        let evals: Vec<F> = random_base(&mut rng, 1 << n);
        let z = vec![Claim::new(
            0,
            (0..n)
                .map(|_| <E as ark_ff::UniformRand>::rand(&mut rng))
                .collect(),
        )];
        let mut committed = None;
        let commit = time(3, || {
            committed = Some(basefold::commit(&p, vec![evals.clone()]).expect("power of two"))
        });
        let (c, data) = committed.expect("ran at least once");
        let mut opened = None;
        let open = time(3, || {
            opened = Some(
                basefold::open(&p, &c, &data, &z, &mut Transcript::new(b"bench"))
                    .expect("valid point"),
            )
        });
        let (y, proof) = opened.expect("ran at least once");
        let verify = time(3, || {
            basefold::verify(&p, &c, &z, &y, &proof, &mut Transcript::new(b"bench"))
                .expect("valid proof")
        });
        let size = zkcnn::codec::to_bytes(&proof).len() as f64 / 1024.0;
        say!(
            "| 2^{n} | {} | {} | {} | {size:.1} KiB | {:.1} |",
            ms(commit),
            ms(open),
            ms(verify),
            p.security_bits(n, field_bits::<E>())
        );
        transparent.push((n, open, verify, size));
    }
    bench_pcs_zk(&transparent);
}

/// The hiding commitment and zero-knowledge opening (`pcs::zk`) at the sizes of
/// [`bench_pcs`], with the ratios to its transparent figures (`transparent`: entries' log2,
/// open, verify, proof KiB), measured in the same run.
fn bench_pcs_zk(transparent: &[(usize, Duration, Duration, f64)]) {
    use zkcnn::pcs::basefold::{Basefold, Params};
    // The masked polynomial has one variable more than the table. At rate 1/4 its codeword is
    // twice the transparent one, and 2^24 entries of f̂ are the most one polynomial takes at 100
    // proven bits (tables of 2^23); at rate 1/2 the codeword is the transparent one's size and
    // the queries make up for the rate.
    let Basefold { params: quarter } = Basefold::setup::<F, E>(24, 100).expect("reachable");
    let half = Params::for_security::<E>(25, 100, 1, Params::DEFAULT_FOLD_BITS).expect("reachable");
    for (p, max_table_vars) in [(quarter, 23), (half, 24)] {
        bench_pcs_zk_at(transparent, p, max_table_vars);
    }
    bench_pcs_joint(
        quarter,
        transparent.iter().map(|t| t.0).filter(|&n| n <= 23),
    );
}

/// A proof's opening as the network makes it: a long-lived table of `2^n` entries (claims at
/// four points) and a per-proof table of `2^{n−3}` (four points), in one opening, transparent
/// (`basefold::open_parts`) and zero-knowledge (`zk::open_parts`), in the same run.
fn bench_pcs_joint(p: zkcnn::pcs::basefold::Params, sizes: impl Iterator<Item = usize>) {
    use zkcnn::pcs::basefold::{self, Part};
    use zkcnn::pcs::zk::{self, ZkPart};
    use zkcnn::pcs::Claim;
    say!();
    say!(
        "Joint opening, a table of 2^n (4 claims) and one of 2^(n-3) (4 claims), {} queries; \
         transparent and zero-knowledge (masks of 2^min(n, 21) and 2^(n-3)); median of 3",
        p.queries
    );
    say!("| entries | transparent open | proof | ZK open | proof | open × | proof × |");
    say!("| --- | --- | --- | --- | --- | --- | --- |");
    let mut rng = StdRng::seed_from_u64(11);
    let mut os = rand::rngs::OsRng;
    let point = |rng: &mut StdRng, vars: usize| -> Vec<E> {
        (0..vars)
            .map(|_| <E as ark_ff::UniformRand>::rand(rng))
            .collect()
    };
    for n in sizes {
        let m = n - 3;
        let big: Vec<F> = random_base(&mut rng, 1 << n);
        let small: Vec<F> = random_base(&mut rng, 1 << m);
        let cb: Vec<Claim<E>> = (0..4).map(|_| Claim::new(0, point(&mut rng, n))).collect();
        let cs: Vec<Claim<E>> = (0..4).map(|_| Claim::new(0, point(&mut rng, m))).collect();
        let (c0, d0) = basefold::commit(&p, vec![big.clone()]).expect("power of two");
        let (c1, d1) = basefold::commit(&p, vec![small.clone()]).expect("power of two");
        let mut t_proof = None;
        let t_open = time(3, || {
            let parts = [
                Part {
                    commitment: &c0,
                    data: &d0,
                    claims: &cb,
                },
                Part {
                    commitment: &c1,
                    data: &d1,
                    claims: &cs,
                },
            ];
            t_proof = Some(
                basefold::open_parts(&p, &parts, &mut Transcript::new(b"bench"))
                    .expect("valid claims")
                    .1,
            );
        });
        let t_size = zkcnn::codec::to_bytes(&t_proof.expect("ran")).len() as f64 / 1024.0;
        let zb: Vec<Claim<E>> = (0..4)
            .map(|_| Claim::new(0, point(&mut rng, n + 1)))
            .collect();
        let zs: Vec<Claim<E>> = (0..4)
            .map(|_| Claim::new(0, point(&mut rng, m + 1)))
            .collect();
        let (z0, mut e0) = zk::commit(&p, big, n.min(21), &mut os).expect("valid sizes");
        let (z1, mut e1) = zk::commit(&p, small, m, &mut os).expect("valid sizes");
        let mut z_proof = None;
        let z_open = time(3, || {
            let mut parts = [
                ZkPart {
                    commitment: &z0,
                    data: &mut e0,
                    claims: &zb,
                    groups: None,
                },
                ZkPart {
                    commitment: &z1,
                    data: &mut e1,
                    claims: &zs,
                    groups: None,
                },
            ];
            z_proof = Some(
                zk::open_parts(&p, &mut parts, &mut os, &mut Transcript::new(b"bench"))
                    .expect("within the budget")
                    .1,
            );
        });
        let z_size = zkcnn::codec::to_bytes(&z_proof.expect("ran")).len() as f64 / 1024.0;
        say!(
            "| 2^{n} | {} | {t_size:.1} KiB | {} | {z_size:.1} KiB | {:.2} | {:.2} |",
            ms(t_open),
            ms(z_open),
            z_open.as_secs_f64() / t_open.as_secs_f64(),
            z_size / t_size
        );
    }
}

/// [`bench_pcs_zk`] at one rate.
fn bench_pcs_zk_at(
    transparent: &[(usize, Duration, Duration, f64)],
    p: zkcnn::pcs::basefold::Params,
    max_table_vars: usize,
) {
    use zkcnn::pcs::basefold::field_bits;
    use zkcnn::pcs::zk;
    say!();
    say!(
        "Zero-knowledge opening (pcs::zk), one claim, rate 1/{} for the masked polynomial (one \
         variable more than the table; tables up to 2^{max_table_vars} at 100 bits): {} queries; \
         mask of 2^min(n, 21); median of 3",
        1 << p.rate_bits,
        p.queries
    );
    say!("| entries | commit | open | verify | proof | open × | verify × | proof × | budget (openings) | proven bits |");
    say!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut rng = StdRng::seed_from_u64(10);
    for &(n, t_open, t_verify, t_size) in transparent.iter().filter(|t| t.0 <= max_table_vars) {
        let evals: Vec<F> = random_base(&mut rng, 1 << n);
        let mut z: Vec<E> = (0..=n)
            .map(|_| <E as ark_ff::UniformRand>::rand(&mut rng))
            .collect();
        if let Some(b) = z.last_mut().filter(|b| ark_ff::Zero::is_zero(*b)) {
            *b = E::from(1u64);
        }
        let z = vec![zkcnn::pcs::Claim::new(0, z)];
        let ell = n.min(21);
        let mut committed = None;
        let mut os = rand::rngs::OsRng;
        let commit = time(3, || {
            committed = Some(zk::commit(&p, evals.clone(), ell, &mut os).expect("valid sizes"))
        });
        let (c, mut data) = committed.expect("ran at least once");
        let per = zk::revealed_per_opening::<E>(&p, n, 1, false);
        let budget = data.budget(&p) / per;
        let mut opened = None;
        let open = time(3, || {
            opened = Some(
                zk::open(
                    &p,
                    &c,
                    &mut data,
                    &z,
                    &mut os,
                    &mut Transcript::new(b"bench"),
                )
                .expect("within the budget"),
            )
        });
        let (y, proof) = opened.expect("ran at least once");
        let verify = time(3, || {
            zk::verify(&p, &c, &z, &y, &proof, &mut Transcript::new(b"bench")).expect("valid proof")
        });
        let size = zkcnn::codec::to_bytes(&proof).len() as f64 / 1024.0;
        say!(
            "| 2^{n} | {} | {} | {} | {size:.1} KiB | {:.2} | {:.2} | {:.2} | {budget} | {:.1} |",
            ms(commit),
            ms(open),
            ms(verify),
            open.as_secs_f64() / t_open.as_secs_f64(),
            verify.as_secs_f64() / t_verify.as_secs_f64(),
            size / t_size,
            p.security_bits(n + 1, field_bits::<E>())
        );
    }
}

/// Split commitments beyond 2^24 entries (`pcs::split`): one polynomial, one claim at a random
/// point, one run per size. A size after the first runs only if memory allows (the previous
/// size's peak RSS scaled by the entries, plus a margin); otherwise its row is extrapolated.
fn bench_pcs_large(quick: bool) -> ExitCode {
    use zkcnn::pcs::basefold::field_bits;
    use zkcnn::pcs::split::Split;
    const MARGIN_MIB: f64 = 1024.0;
    let secs = |d: Duration| format!("{:.2} s", d.as_secs_f64());
    say!();
    say!("split commitments (pcs::split), one polynomial, one claim at a random point in E^n;");
    say!("Split::setup_with_pow(n, 100, 20); single run per size (no medians); peak memory: the");
    say!("process's peak RSS from building the table to verifying");
    say!("| entries | column vars | columns | commit | open | verify | proof | proven bits | peak memory |");
    say!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut rng = StdRng::seed_from_u64(11);
    let sizes: &[usize] = if quick { &[25] } else { &[26, 28] };
    // The last measured size: (n, commit, open, peak RSS in MiB).
    let mut last: Option<(usize, Duration, Duration, Option<f64>)> = None;
    for &n in sizes {
        let pcs = match Split::setup_with_pow::<F, E>(n, 100, 20) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("zkcnn: split setup for 2^{n} entries: {e}");
                return ExitCode::FAILURE;
            }
        };
        let m = pcs.column_vars;
        let bits = pcs.params.security_bits(m, field_bits::<E>());
        if let Some((n0, commit0, open0, peak0)) = last {
            let scale = (1u64 << (n - n0)) as f64;
            let peak = peak0.map(|p| p * scale);
            let need = peak.map(|p| p + MARGIN_MIB);
            // What this process holds now is reusable, so it counts as available.
            let have = proc_mib("/proc/meminfo", "MemAvailable:")
                .zip(proc_mib("/proc/self/status", "VmRSS:"))
                .map(|(a, r)| a + r);
            let fits = matches!((need, have), (Some(need), Some(have)) if need <= have);
            if !fits {
                let mib = |v: Option<f64>| v.map_or("unknown".into(), |v| format!("{v:.0} MiB"));
                say!(
                    "| 2^{n} (estimated) | {m} | {} | {} (est.) | {} (est.) | n/a | n/a | {bits:.1} | {} (est.) |",
                    1u64 << (n - m),
                    secs(commit0.mul_f64(scale)),
                    secs(open0.mul_f64(scale)),
                    mib(peak)
                );
                say!(
                    "2^{n} not run: estimated need {} (peak + {MARGIN_MIB} MiB) exceeds available {} (MemAvailable + this process's RSS);",
                    mib(need),
                    mib(have)
                );
                say!("its commit and open are extrapolated from 2^{n0} linearly in entries");
                continue;
            }
        }
        let reset = reset_peak_rss();
        let (commit, open, verify, proof_bytes) = match split_round(&pcs, n, &mut rng) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("zkcnn: split commitment at 2^{n} entries: {e}");
                return ExitCode::FAILURE;
            }
        };
        let peak = if reset { peak_rss_mib() } else { None };
        say!(
            "| 2^{n} | {m} | {} | {} | {} | {} | {:.1} KiB | {bits:.1} | {} |",
            1u64 << (n - m),
            secs(commit),
            secs(open),
            ms(verify),
            proof_bytes as f64 / 1024.0,
            peak.map_or("n/a".into(), |p| format!("{p:.0} MiB"))
        );
        last = Some((n, commit, open, peak));
    }
    ExitCode::SUCCESS
}

/// One commit, open and verify of a random table of `2^n` entries at a random point: their
/// times and the proof's size in bytes. The prover data lives until all are timed.
fn split_round(
    pcs: &zkcnn::pcs::split::Split,
    n: usize,
    rng: &mut StdRng,
) -> Result<(Duration, Duration, Duration, usize), zkcnn::pcs::PcsError> {
    use zkcnn::pcs::{Claim, MultilinearPcs};
    let evals: Vec<F> = random_base(rng, 1 << n);
    let point: Vec<E> = (0..n)
        .map(|_| <E as ark_ff::UniformRand>::rand(rng))
        .collect();
    let claims = [Claim::new(0, point)];
    let t = Instant::now();
    let (c, data) = MultilinearPcs::<F, E>::commit(pcs, vec![evals])?;
    let commit = t.elapsed();
    let t = Instant::now();
    let (ys, proof) = pcs.open(&c, &data, &claims, &mut Transcript::new(b"bench"))?;
    let open = t.elapsed();
    let t = Instant::now();
    pcs.verify(&c, &claims, &ys, &proof, &mut Transcript::new(b"bench"))?;
    let verify = t.elapsed();
    Ok((commit, open, verify, zkcnn::codec::to_bytes(&proof).len()))
}

/// The value of `key` (in kB) in a `/proc` file such as `/proc/self/status`, in MiB; `None`
/// off Linux.
fn proc_mib(file: &str, key: &str) -> Option<f64> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Peak resident memory of this process so far (`VmHWM`), in MiB; `None` off Linux.
fn peak_rss_mib() -> Option<f64> {
    proc_mib("/proc/self/status", "VmHWM:")
}

/// Resets the peak-RSS counter (`VmHWM`) to the current RSS, so that a later reading is the
/// peak of what runs in between. Linux only; returns whether it worked.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Whole-network proofs of the zoo's models with seeded random weights and input.
fn bench_network(quick: bool) -> ExitCode {
    use zkcnn::model::{infer, zoo};
    use zkcnn::network;
    say!();
    say!("whole-network proofs, seeded random weights and input; model commitment made beforehand (not in prove);");
    say!("prove/verify/check/inference: medians of 3; verify: against the architecture (no weights); commit model: commitment and its check proof; check: the verifier's check of the commitment (once per model);");
    say!("peak memory: the process's peak RSS while proving (the committed model's data included)");
    say!("| model | parameters | commit model | commitment | check | inference | prove | prove / inference | verify | proof | peak memory |");
    say!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let models: Vec<zkcnn::model::Model> = if quick {
        vec![zoo::lenet5(1)]
    } else {
        vec![zoo::lenet5(1), zoo::mobilenet_small(1), zoo::vgg16_cifar(1)]
    };
    let mut breakdown = Vec::new();
    // (prove, verify, proof bytes, peak MiB) of each transparent proof, for the ZK table.
    let mut transparent = Vec::new();
    for model in &models {
        let params = model.parameters();
        let input = zoo::random_input(&model.input_shape, model.activation_bits, 7);
        let t = Instant::now();
        let mut commit_phases = Vec::new();
        let committed = match network::commit_model_timed::<F, E>(model, &mut commit_phases) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("zkcnn: {}: {e}", model.name);
                return ExitCode::FAILURE;
            }
        };
        let commit = t.elapsed();
        let inference = time(3, || infer(model, &input).map(|_| ()));
        let reset = reset_peak_rss();
        let mut proved = None;
        let prove = time(3, || {
            proved = Some(network::prove::<F, E>(model, &committed, &input))
        });
        let peak = if reset { peak_rss_mib() } else { None };
        let (output, proof) = match proved {
            Some(Ok(p)) => p,
            Some(Err(e)) => {
                eprintln!("zkcnn: {}: {e}", model.name);
                return ExitCode::FAILURE;
            }
            None => return ExitCode::FAILURE,
        };
        let x: Vec<i64> = input.iter().copied().collect();
        let y: Vec<i64> = output.iter().copied().collect();
        let list: Vec<String> = commit_phases
            .iter()
            .map(|(n, d)| format!("{n} {}", ms(*d)))
            .collect();
        breakdown.push(format!("{} commit: {}", model.name, list.join(", ")));
        let mut phases = Vec::new();
        if network::prove_timed::<F, E>(model, &committed, &input, &mut phases).is_ok() {
            let list: Vec<String> = phases
                .iter()
                .map(|(n, d)| format!("{n} {}", ms(*d)))
                .collect();
            breakdown.push(format!("{}: {}", model.name, list.join(", ")));
        }
        let mut checked = None;
        // The verifier holds the architecture, not the weights (`network::verify` and the
        // commitment's check drop any weights they are given, so this is what a verifier pays).
        let architecture = model.architecture();
        let check = time(3, || checked = Some(committed.public.check(&architecture)));
        let checked = match checked {
            Some(Ok(c)) => c,
            Some(Err(e)) => {
                eprintln!(
                    "zkcnn: {}: the model commitment's check failed: {e}",
                    model.name
                );
                return ExitCode::FAILURE;
            }
            None => return ExitCode::FAILURE,
        };
        let commitment_bytes = zkcnn::codec::to_bytes(&committed.public).len();
        let mut verified = Ok(());
        let verify = time(3, || {
            verified = network::verify(&architecture, &checked, &x, &y, &proof)
        });
        if let Err(e) = verified {
            eprintln!("zkcnn: {}: the proof does not verify: {e}", model.name);
            return ExitCode::FAILURE;
        }
        let parts: Vec<String> = proof
            .part_sizes()
            .iter()
            .map(|(n, b)| format!("{n} {:.1} KiB", *b as f64 / 1024.0))
            .collect();
        breakdown.push(format!("{} proof: {}", model.name, parts.join(", ")));
        let opening: Vec<String> = proof
            .opening
            .part_sizes()
            .iter()
            .map(|(n, b)| format!("{n} {:.1} KiB", *b as f64 / 1024.0))
            .collect();
        breakdown.push(format!("{} opening: {}", model.name, opening.join(", ")));
        let digest = network::statement_digest(model, committed.commitment(), &x, &y);
        let bytes = proof.to_bytes(digest).len();
        transparent.push((prove, verify, bytes, peak));
        say!(
            "| {} | {} | {} | {:.1} KiB | {} | {} | {} | {:.1} | {} | {:.1} KiB | {} |",
            model.name,
            params,
            ms(commit),
            commitment_bytes as f64 / 1024.0,
            ms(check),
            ms(inference),
            ms(prove),
            prove.as_secs_f64() / inference.as_secs_f64(),
            ms(verify),
            bytes as f64 / 1024.0,
            peak.map_or("n/a".into(), |m| format!("{m:.0} MiB"))
        );
    }
    say!();
    say!("prover phases (one more run) and proof parts:");
    for line in breakdown {
        say!("  {line}");
    }
    bench_network_zk(&models, &transparent)
}

/// Zero-knowledge proofs (`network::prove_zk`, hidden weights) of the same models and inputs,
/// beside the transparent figures measured just before in the same run.
fn bench_network_zk(
    models: &[zkcnn::model::Model],
    transparent: &[(Duration, Duration, usize, Option<f64>)],
) -> ExitCode {
    use ark_serialize::CanonicalSerialize;
    use zkcnn::model::zoo;
    use zkcnn::network;
    say!();
    say!("zero-knowledge proofs (hidden weights; network::prove_zk, direct convolutions) of the same models and inputs, in the same run;");
    say!("prove/verify: medians of 3; commit: the hiding commitment (once per model, serves at least {} proofs; its check proven and verified once, not timed); ratios against the transparent proofs above",
        network::zk::MODEL_PROOFS);
    say!(
        "| model | commit | prove | verify | proof | peak memory | prove × | verify × | proof × |"
    );
    say!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut rng = rand::rngs::OsRng;
    let mut breakdown = Vec::new();
    for (model, &(tp, tv, tb, _)) in models.iter().zip(transparent) {
        let input = zoo::random_input(&model.input_shape, model.activation_bits, 7);
        let t = Instant::now();
        let mut committed = match network::commit_model_zk::<F, E, _>(model, &mut rng) {
            Ok(c) => c,
            Err(e) => {
                say!("| {} | {e} | | | | | | | |", model.name);
                continue;
            }
        };
        let commit = t.elapsed();
        // The commitment's check, proven and verified once (not timed): the verifier takes
        // the checked commitment.
        let checked =
            match network::prove_model_check_zk::<F, E, _>(model, &mut committed, &mut rng)
                .map_err(|e| e.to_string())
                .and_then(|check| {
                    network::verify_model_check_zk::<F, E>(
                        &model.architecture(),
                        &committed.commitment,
                        &check,
                    )
                    .map_err(|e| e.to_string())
                }) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!(
                        "zkcnn: {}: the hiding commitment's check failed: {e}",
                        model.name
                    );
                    return ExitCode::FAILURE;
                }
            };
        let reset = reset_peak_rss();
        let mut proved = None;
        let prove = time(3, || {
            proved = Some(network::prove_zk::<F, E, _>(
                model,
                &mut committed,
                &input,
                &mut rng,
            ))
        });
        let peak = if reset { peak_rss_mib() } else { None };
        let (output, proof) = match proved {
            Some(Ok(p)) => p,
            Some(Err(e)) => {
                say!("| {} | {} | {e} | | | | | | |", model.name, ms(commit));
                continue;
            }
            None => return ExitCode::FAILURE,
        };
        let x: Vec<i64> = input.iter().copied().collect();
        let y: Vec<i64> = output.iter().copied().collect();
        let architecture = model.architecture();
        let mut verified = Ok(());
        let verify = time(3, || {
            verified = network::verify_zk(&architecture, &checked, &x, &y, &proof)
        });
        if let Err(e) = verified {
            eprintln!(
                "zkcnn: {}: the zero-knowledge proof does not verify: {e}",
                model.name
            );
            return ExitCode::FAILURE;
        }
        let bytes = proof.compressed_size();
        let mut phases = Vec::new();
        if network::zk::prove_zk_timed::<F, E, _>(
            model,
            &mut committed,
            network::zk::ZkProverInput::Public(&input),
            &mut rng,
            &mut phases,
        )
        .is_ok()
        {
            let list: Vec<String> = phases
                .iter()
                .map(|(n, d)| format!("{n} {}", ms(*d)))
                .collect();
            breakdown.push(format!("{}: {}", model.name, list.join(", ")));
        }
        say!(
            "| {} | {} | {} | {} | {:.1} KiB | {} | {:.2} | {:.2} | {:.2} |",
            model.name,
            ms(commit),
            ms(prove),
            ms(verify),
            bytes as f64 / 1024.0,
            peak.map_or("n/a".into(), |m| format!("{m:.0} MiB")),
            prove.as_secs_f64() / tp.as_secs_f64(),
            verify.as_secs_f64() / tv.as_secs_f64(),
            bytes as f64 / tb as f64,
        );
    }
    say!();
    say!("zero-knowledge prover phases (one more run; the layers' steps summed by kind):");
    for line in breakdown {
        say!("  {line}");
    }
    ExitCode::SUCCESS
}

/// Whole-network proofs of large models (the zoo's wide VGG-16, whose packed model table of
/// 2^26 entries is committed as columns of 2^24; ResNet-18 and MobileNetV2 at 224×224): one run
/// of each step (no medians). Memory: the process's peak RSS so far (`VmHWM`, never reset, so
/// that `/usr/bin/time -v` reports the same peak) after the commitment and after the proof, and
/// the RSS held before proving (the committed model). A model paired with `true` is then
/// proven in zero knowledge too (the transparent commitment dropped first), one run.
fn large_header() {
    say!();
    say!("whole-network proofs of large models, seeded random weights and input;");
    say!("one run per step (no medians); peak: the process's peak RSS so far (VmHWM, from the start, model generation included);");
    say!("held: the RSS before proving (the committed model's data, the model)");
}

fn bench_network_large(models: &[(zkcnn::model::Model, bool)]) -> ExitCode {
    large_header();
    for (model, zk) in models {
        if let Err(e) = large_transparent(model) {
            eprintln!("zkcnn: {}: {e}", model.name);
            return ExitCode::FAILURE;
        }
        if *zk {
            if let Err(e) = large_zk(model) {
                eprintln!("zkcnn: {}: {e}", model.name);
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn mib(p: Option<f64>) -> String {
    p.map_or("n/a".into(), |p| format!("{p:.0} MiB"))
}

fn phase_list(p: &[(&str, Duration)]) -> String {
    p.iter()
        .map(|(n, d)| format!("{n} {}", ms(*d)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One transparent commit, check, prove and verify of `model`, printed as a one-row table with
/// the phases and the proof's parts below it.
fn large_transparent(model: &zkcnn::model::Model) -> Result<(), String> {
    use zkcnn::model::zoo;
    use zkcnn::network;
    let params = model.parameters();
    let plan = network::plan::Plan::new(model).map_err(|e| e.to_string())?;
    let (mc, ac) = (plan.model_columns(), plan.advice_columns());
    say!();
    say!(
        "{}: {params} parameters, input {:?}; model table 2^{} entries in {} column(s) of 2^{}; advice 2^{} in {} column(s) of 2^{}",
        model.name,
        model.input_shape,
        mc.vars,
        mc.count(),
        mc.column_vars,
        ac.vars,
        ac.count(),
        ac.column_vars
    );
    drop(plan);
    say!("| model | commit model | peak after commit | check | held | prove | peak after prove | verify | proof | commitment |");
    say!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let input = zoo::random_input(&model.input_shape, model.activation_bits, 7);
    let t = Instant::now();
    let mut commit_phases = Vec::new();
    let committed = network::commit_model_timed::<F, E>(model, &mut commit_phases)
        .map_err(|e| e.to_string())?;
    let commit = t.elapsed();
    let commit_peak = peak_rss_mib();
    let architecture = model.architecture();
    let t = Instant::now();
    let checked = committed
        .public
        .check(&architecture)
        .map_err(|e| format!("the model commitment's check failed: {e}"))?;
    let check = t.elapsed();
    let held = proc_mib("/proc/self/status", "VmRSS:");
    let t = Instant::now();
    let mut phases = Vec::new();
    let (output, proof) = network::prove_timed::<F, E>(model, &committed, &input, &mut phases)
        .map_err(|e| e.to_string())?;
    let prove = t.elapsed();
    let prove_peak = peak_rss_mib();
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = output.iter().copied().collect();
    let t = Instant::now();
    network::verify(&architecture, &checked, &x, &y, &proof)
        .map_err(|e| format!("the proof does not verify: {e}"))?;
    let verify = t.elapsed();
    let digest = network::statement_digest(model, committed.commitment(), &x, &y);
    let bytes = proof.to_bytes(digest).len();
    let commitment_bytes = zkcnn::codec::to_bytes(&committed.public).len();
    say!(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {:.1} KiB | {:.1} KiB |",
        model.name,
        secs(commit),
        mib(commit_peak),
        ms(check),
        mib(held),
        secs(prove),
        mib(prove_peak),
        ms(verify),
        bytes as f64 / 1024.0,
        commitment_bytes as f64 / 1024.0,
    );
    say!();
    say!("commit phases: {}", phase_list(&commit_phases));
    say!("prover phases: {}", phase_list(&phases));
    let parts: Vec<String> = proof
        .part_sizes()
        .iter()
        .map(|(n, b)| format!("{n} {:.1} KiB", *b as f64 / 1024.0))
        .collect();
    say!("proof parts: {}", parts.join(", "));
    Ok(())
}

/// One zero-knowledge commit (hiding), check, prove and verify of `model`, printed as a one-row
/// table with the prover's phases below it.
fn large_zk(model: &zkcnn::model::Model) -> Result<(), String> {
    use ark_serialize::CanonicalSerialize;
    use zkcnn::model::zoo;
    use zkcnn::network;
    let mut rng = rand::rngs::OsRng;
    say!();
    say!("| model (zero knowledge) | commit (hiding) | check (prove + verify) | peak after commit | prove | peak after prove | verify | proof |");
    say!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    let input = zoo::random_input(&model.input_shape, model.activation_bits, 7);
    let t = Instant::now();
    let mut committed =
        network::commit_model_zk::<F, E, _>(model, &mut rng).map_err(|e| e.to_string())?;
    let commit = t.elapsed();
    let architecture = model.architecture();
    let t = Instant::now();
    let check = network::prove_model_check_zk::<F, E, _>(model, &mut committed, &mut rng)
        .map_err(|e| e.to_string())?;
    let checked =
        network::verify_model_check_zk::<F, E>(&architecture, &committed.commitment, &check)
            .map_err(|e| format!("the hiding commitment's check failed: {e}"))?;
    let check_time = t.elapsed();
    let commit_peak = peak_rss_mib();
    let t = Instant::now();
    let mut phases = Vec::new();
    let (output, proof) = network::zk::prove_zk_timed::<F, E, _>(
        model,
        &mut committed,
        network::zk::ZkProverInput::Public(&input),
        &mut rng,
        &mut phases,
    )
    .map_err(|e| e.to_string())?;
    let prove = t.elapsed();
    let prove_peak = peak_rss_mib();
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = output.iter().copied().collect();
    let t = Instant::now();
    network::verify_zk(&architecture, &checked, &x, &y, &proof)
        .map_err(|e| format!("the zero-knowledge proof does not verify: {e}"))?;
    let verify = t.elapsed();
    say!(
        "| {} | {} | {} | {} | {} | {} | {} | {:.1} KiB |",
        model.name,
        secs(commit),
        secs(check_time),
        mib(commit_peak),
        secs(prove),
        mib(prove_peak),
        ms(verify),
        proof.compressed_size() as f64 / 1024.0,
    );
    say!();
    say!("zero-knowledge prover phases: {}", phase_list(&phases));
    Ok(())
}

/// The bench's Markdown output as JSON: each table with the lines above it (`notes`), its
/// `columns` and its `rows` (cells as printed, units included); lines after the last table in
/// `notes`.
pub fn tables_json(lines: &[String]) -> serde_json::Value {
    let cells = |line: &str| -> Vec<String> {
        let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
        inner.split('|').map(|c| c.trim().to_string()).collect()
    };
    let mut tables = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    // (notes above it, columns, rows)
    type Table = (Vec<String>, Vec<String>, Vec<Vec<String>>);
    let mut table: Option<Table> = None;
    for line in lines {
        if line.trim_start().starts_with('|') {
            let row = cells(line);
            match &mut table {
                None => table = Some((std::mem::take(&mut notes), row, Vec::new())),
                Some(_) if row.iter().all(|c| c.chars().all(|ch| ch == '-')) => {}
                Some((_, _, rows)) => rows.push(row),
            }
        } else {
            if let Some((n, columns, rows)) = table.take() {
                tables.push(serde_json::json!({ "notes": n, "columns": columns, "rows": rows }));
            }
            if !line.trim().is_empty() {
                notes.push(line.clone());
            }
        }
    }
    if let Some((n, columns, rows)) = table {
        tables.push(serde_json::json!({ "notes": n, "columns": columns, "rows": rows }));
    }
    serde_json::json!({ "tables": tables, "notes": notes })
}

#[cfg(test)]
mod tests {
    /// `--only pcs-large` parses, and the memory check reads `/proc` (the bench itself is too
    /// slow for the test suite).
    #[test]
    fn pcs_large_is_selectable_and_memory_is_readable() {
        use clap::ValueEnum;
        assert_eq!(
            super::Only::from_str("pcs-large", false),
            Ok(super::Only::PcsLarge)
        );
        assert_eq!(
            super::Only::from_str("network-large", false),
            Ok(super::Only::NetworkLarge)
        );
        assert_eq!(
            super::Only::from_str("network-224", false),
            Ok(super::Only::Network224)
        );
        if cfg!(target_os = "linux") {
            assert!(super::proc_mib("/proc/meminfo", "MemAvailable:").is_some_and(|m| m > 0.0));
            assert!(super::proc_mib("/proc/self/status", "VmRSS:").is_some_and(|m| m > 0.0));
        }
        assert_eq!(super::proc_mib("/proc/self/status", "NoSuchKey:"), None);
    }

    #[test]
    fn markdown_tables_become_json() {
        let lines: Vec<String> = [
            "title",
            "| a | b |",
            "| --- | --- |",
            "| 1 | 2 ms |",
            "",
            "end",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let v = super::tables_json(&lines);
        assert_eq!(v["tables"][0]["notes"][0], "title");
        assert_eq!(v["tables"][0]["columns"][1], "b");
        assert_eq!(v["tables"][0]["rows"][0][1], "2 ms");
        assert_eq!(v["notes"][0], "end");
    }
}
