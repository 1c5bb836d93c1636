//! Profiling aid: zero-knowledge proofs' phases, one proof after another on one commitment
//! (`cargo run --release --features figures --example zk_phases [vgg|resnet18-224|mobilenet-v2-224] [runs]
//! [verifies]`; one run by default), then
//! the last proof verified `verifies` times (0 by default) beside a transparent proof of the same
//! model and input, each verification timed (the verifier's profile: run it under `perf`).
use zkcnn::field::{Goldilocks, GoldilocksExt2};
use zkcnn::model::zoo;
use zkcnn::network;

// The binary's allocator (`src/allocator.rs`), so that the figures read as the CLI's do.
#[cfg(feature = "mimalloc")]
#[path = "../src/allocator.rs"]
mod allocator;

fn main() {
    #[cfg(feature = "mimalloc")]
    allocator::keep_freed_memory();
    let which = std::env::args().nth(1).unwrap_or_default();
    let model = match which.as_str() {
        "vgg" => zoo::vgg16_cifar(1),
        "resnet18-224" => zoo::resnet18(224, 1000, 1),
        "mobilenet-v2-224" => zoo::mobilenet_v2(224, 1000, 1),
        _ => zoo::lenet5(1),
    };
    let mut rng = rand::rngs::OsRng;
    let t = std::time::Instant::now();
    let mut c =
        network::commit_model_zk::<Goldilocks, GoldilocksExt2, _>(&model, &mut rng).unwrap();
    eprintln!(
        "commit {:?}, {} page faults so far",
        t.elapsed(),
        minor_faults()
    );
    let input = zoo::random_input(&model.input_shape, model.activation_bits, 7);
    let runs: usize = std::env::args()
        .nth(2)
        .and_then(|r| r.parse().ok())
        .unwrap_or(1);
    let mut last = None;
    for run in 0..runs {
        let mut phases = Vec::new();
        let t = std::time::Instant::now();
        let (output, proof) = network::zk::prove_zk_timed::<Goldilocks, GoldilocksExt2, _>(
            &model,
            &mut c,
            network::zk::ZkProverInput::Public(&input),
            &mut rng,
            &mut phases,
        )
        .unwrap();
        let list: Vec<String> = phases.iter().map(|(n, d)| format!("{n} {d:.2?}")).collect();
        eprintln!(
            "proof {run}: {:.2?}, {} page faults so far ({})",
            t.elapsed(),
            minor_faults(),
            list.join(", ")
        );
        last = Some((output, proof));
    }
    let Some((output, proof)) = last else { return };
    {
        use ark_serialize::CanonicalSerialize;
        let o = &proof.opening.opening;
        let kib = |b: usize| format!("{:.1} KiB", b as f64 / 1024.0);
        eprintln!(
            "zero-knowledge proof {}: advice commitment {}, sum-checks {}, convolutions {}, range check {}, opening {} (reduction {}, rounds {}, base leaves {}, masks' blocks {}, folded leaves {})",
            kib(proof.compressed_size()),
            kib(proof.advice.compressed_size()),
            kib(proof.sumchecks.compressed_size()),
            kib(proof.convs.compressed_size()),
            kib(proof.range.compressed_size()),
            kib(proof.opening.compressed_size()),
            kib(o.reduction.compressed_size()),
            kib(o.rounds.compressed_size()),
            kib(o.base.compressed_size()),
            kib(o.masks.compressed_size()),
            kib(o.folded.compressed_size()),
        );
    }
    let verifies: usize = std::env::args()
        .nth(3)
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    if verifies > 0 {
        let architecture = model.architecture();
        let x: Vec<i64> = input.iter().copied().collect();
        let y: Vec<i64> = output.iter().copied().collect();
        let check = network::prove_model_check_zk::<Goldilocks, GoldilocksExt2, _>(
            &model, &mut c, &mut rng,
        )
        .unwrap();
        let zk_checked =
            network::verify_model_check_zk(&architecture, &c.commitment, &check).unwrap();
        let zk = timed(verifies, || {
            network::verify_zk(&architecture, &zk_checked, &x, &y, &proof).unwrap()
        });
        let committed = network::commit_model::<Goldilocks, GoldilocksExt2>(&model).unwrap();
        let (_, plain) =
            network::prove::<Goldilocks, GoldilocksExt2>(&model, &committed, &input).unwrap();
        let checked = committed.public.check(&architecture).unwrap();
        let parts: Vec<String> = plain
            .part_sizes()
            .iter()
            .map(|(n, b)| format!("{n} {:.1} KiB", *b as f64 / 1024.0))
            .collect();
        let opening: Vec<String> = plain
            .opening
            .part_sizes()
            .iter()
            .map(|(n, b)| format!("{n} {:.1} KiB", *b as f64 / 1024.0))
            .collect();
        eprintln!(
            "transparent proof: {} (opening: {})",
            parts.join(", "),
            opening.join(", ")
        );
        let transparent = timed(verifies, || {
            network::verify(&architecture, &checked, &x, &y, &plain).unwrap()
        });
        eprintln!(
            "verify, median of {verifies}: zero-knowledge {zk:.2?}, transparent {transparent:.2?} ({:.2}x)",
            zk.as_secs_f64() / transparent.as_secs_f64()
        );
    }
    eprintln!(
        "model f̂ vars {} polys {}, advice f̂ vars {} polys {}",
        c.commitment.inner.num_vars,
        c.commitment.inner.num_polys,
        proof.advice.inner.num_vars,
        proof.advice.inner.num_polys
    );
}

/// The median time of `runs` calls of `f`.
fn timed(runs: usize, mut f: impl FnMut()) -> std::time::Duration {
    let mut t: Vec<_> = (0..runs)
        .map(|_| {
            let s = std::time::Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    t[runs / 2]
}

/// The process's minor page faults so far (`/proc/self/stat`'s tenth field; 0 if unreadable).
fn minor_faults() -> u64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = &s[s.rfind(')')? + 2..];
            rest.split_whitespace().nth(7)?.parse().ok()
        })
        .unwrap_or(0)
}
