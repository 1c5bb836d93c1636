//! Profiling aid: one zero-knowledge proof's phases (`cargo run --release --example zk_phases [vgg]`).
use zkcnn::field::{Goldilocks, GoldilocksExt2};
use zkcnn::model::zoo;
use zkcnn::network;

// The binary's allocator, so that the phases read as the CLI's do.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
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
    eprintln!("commit {:?}", t.elapsed());
    let input = zoo::random_input(&model.input_shape, model.activation_bits, 7);
    let mut phases = Vec::new();
    let (_, proof) = network::zk::prove_zk_timed::<Goldilocks, GoldilocksExt2, _>(
        &model,
        &mut c,
        network::zk::ZkProverInput::Public(&input),
        &mut rng,
        &mut phases,
    )
    .unwrap();
    for (n, d) in phases {
        eprintln!("{n}: {d:?}");
    }
    eprintln!(
        "model f̂ vars {} polys {}, advice f̂ vars {} polys {}",
        c.commitment.inner.num_vars,
        c.commitment.inner.num_polys,
        proof.advice.inner.num_vars,
        proof.advice.inner.num_polys
    );
}
