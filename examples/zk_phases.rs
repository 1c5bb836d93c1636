//! Profiling aid: zero-knowledge proofs' phases, one proof after another on one commitment
//! (`cargo run --release --example zk_phases [vgg] [runs]`; one run by default).
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
    let model = if which == "vgg" {
        zoo::vgg16_cifar(1)
    } else {
        zoo::lenet5(1)
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
        let (_, proof) = network::zk::prove_zk_timed::<Goldilocks, GoldilocksExt2, _>(
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
        last = Some(proof);
    }
    let Some(proof) = last else { return };
    eprintln!(
        "model f̂ vars {} polys {}, advice f̂ vars {} polys {}",
        c.commitment.inner.num_vars,
        c.commitment.inner.num_polys,
        proof.advice.inner.num_vars,
        proof.advice.inner.num_polys
    );
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
