//! An accuracy proof's figures (`spec/accuracy.md`, Cost) on a real model and labelled data:
//! the LeNet-5 fixture on the first `N` of its evaluation images by default. Prints the proven
//! count against plain inference's (the first maximal logit of `model::infer`), the prover's
//! phases, the verify time and the proof size. Run once, release:
//! `RAYON_NUM_THREADS=2 cargo run --release --features figures --example accuracy_figures -- [--zk] [N]
//! [model.json images.npy labels.npy]`. With `--zk`: the zero-knowledge accuracy proof over
//! the images committed as a hidden batch (`commit_batch_zk`, `prove_accuracy_zk_committed`),
//! against a hiding model commitment and its check; with `--zk --dataset`, over the images and
//! the labels committed as a hidden dataset (`commit_dataset_zk`, `prove_accuracy_zk_dataset`).
use ark_serialize::CanonicalSerialize;
use ndarray::ArrayD;
use std::path::Path;
use std::time::Instant;
use zkcnn::field::{Goldilocks, GoldilocksExt2};
use zkcnn::network::{self, accuracy::first_argmax};

// The binary's allocator (`src/allocator.rs`), so that the figures read as the CLI's do.
#[cfg(feature = "mimalloc")]
#[path = "../src/allocator.rs"]
mod allocator;

type F = Goldilocks;
type E = GoldilocksExt2;

fn main() {
    #[cfg(feature = "mimalloc")]
    allocator::keep_freed_memory();
    let mut args: Vec<String> = std::env::args().collect();
    let zk = args.iter().any(|a| a == "--zk");
    let dataset = args.iter().any(|a| a == "--dataset");
    args.retain(|a| a != "--zk" && a != "--dataset");
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(64);
    let dir = "fixtures/mnist-lenet5";
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or(format!("{dir}/{default}"));
    let model = zkcnn::model::file::load(Path::new(&arg(2, "model.json"))).unwrap();
    let images = zkcnn::npy::read_f32(&std::fs::read(arg(3, "eval-images.npy")).unwrap()).unwrap();
    let labels = zkcnn::npy::read_i64(&std::fs::read(arg(4, "eval-labels.npy")).unwrap()).unwrap();
    let size: usize = model.input_shape.iter().product();
    // The fixture's images are bytes; the model reads them divided by its report's divisor.
    let divisor = std::fs::read(format!("{dir}/report.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|r| r["input_divisor"].as_f64())
        .unwrap_or(1.0) as f32;
    let q = model.quantization.as_ref().expect("an imported model");
    // The first `n` images whose inference stays in the activation range (import counts an
    // overflowing one as misclassified; it has no proof).
    let mut skipped = 0;
    let (inputs, labels): (Vec<ArrayD<i64>>, Vec<usize>) = images
        .data
        .chunks(size)
        .zip(&labels.data)
        .map(|(x, &l)| {
            let x: Vec<f32> = x.iter().map(|&v| v / divisor).collect();
            let v = q.quantize_input(&x, model.activation_bits);
            (
                ArrayD::from_shape_vec(model.input_shape.clone(), v).unwrap(),
                l as usize,
            )
        })
        .filter(|(x, _)| {
            let ok = zkcnn::model::infer::infer_output(&model, x).is_ok();
            skipped += usize::from(!ok);
            ok
        })
        .take(n)
        .unzip();
    let n = inputs.len();
    eprintln!("{skipped} images skipped before these {n}: their inference overflows");
    // Plain inference's count.
    let t = Instant::now();
    let plain = inputs
        .iter()
        .zip(&labels)
        .filter(|(x, &l)| {
            let y: Vec<i64> = zkcnn::model::infer::infer_output(&model, x)
                .unwrap()
                .iter()
                .copied()
                .collect();
            first_argmax(&y) == l
        })
        .count();
    eprintln!("inference: {plain} of {n} correct ({:?})", t.elapsed());
    if zk {
        zero_knowledge(&model, &inputs, &labels, plain, dataset);
        return;
    }
    let t = Instant::now();
    let committed = network::commit_model::<F, E>(&model).unwrap();
    let checked = committed.public.check(&model.architecture()).unwrap();
    eprintln!("commit and check: {:?}", t.elapsed());
    let t = Instant::now();
    let mut phases = Vec::new();
    let proof = network::accuracy::prove_accuracy_timed::<F, E>(
        &model,
        &committed,
        &inputs,
        &labels,
        &mut phases,
    )
    .unwrap();
    let prove = t.elapsed();
    let flat: Vec<Vec<i64>> = inputs.iter().map(|x| x.iter().copied().collect()).collect();
    let refs: Vec<&[i64]> = flat.iter().map(Vec::as_slice).collect();
    let arch = model.architecture();
    let t = Instant::now();
    network::verify_accuracy(&arch, &checked, &refs, &labels, &proof).unwrap();
    let verify = t.elapsed();
    println!(
        "{}: proven {} of {n} correct (inference: {plain}); prove {prove:?}, verify {verify:?}, \
         proof {} bytes",
        model.name,
        proof.correct,
        proof.compressed_size()
    );
    for (name, d) in phases {
        println!("  {name}: {d:?}");
    }
    assert_eq!(proof.correct as usize, plain);
}

/// The zero-knowledge accuracy proof over the inputs committed as a hidden batch (with
/// `dataset`, the labels committed too).
fn zero_knowledge(
    model: &zkcnn::model::Model,
    inputs: &[ArrayD<i64>],
    labels: &[usize],
    plain: usize,
    dataset: bool,
) {
    let mut rng = rand::rngs::OsRng;
    let n = inputs.len();
    let t = Instant::now();
    let mut committed = network::commit_model_zk::<F, E, _>(model, &mut rng).unwrap();
    let check = network::prove_model_check_zk::<F, E, _>(model, &mut committed, &mut rng).unwrap();
    let arch = model.architecture();
    let checked =
        network::verify_model_check_zk::<F, E>(&arch, &committed.commitment, &check).unwrap();
    eprintln!("hiding model commitment and its check: {:?}", t.elapsed());
    if dataset {
        let t = Instant::now();
        let mut data =
            network::commit_dataset_zk::<F, E, _>(&arch, inputs, labels, &mut rng).unwrap();
        let public = data.commitment();
        eprintln!("dataset commitment: {:?}", t.elapsed());
        let t = Instant::now();
        let proof = network::prove_accuracy_zk_dataset::<F, E, _>(
            model,
            &mut committed,
            &mut data,
            &mut rng,
        )
        .unwrap();
        let prove = t.elapsed();
        let t = Instant::now();
        network::verify_accuracy_zk_dataset(&arch, &checked, &public, &proof).unwrap();
        let verify = t.elapsed();
        println!(
            "{} (zero knowledge, hidden inputs and labels): proven {} of {n} correct (inference: \
             {plain}); prove {prove:?}, verify {verify:?}, proof {} bytes",
            model.name,
            proof.correct,
            proof.compressed_size()
        );
        assert_eq!(proof.correct as usize, plain);
        return;
    }
    let t = Instant::now();
    let mut batch = network::commit_batch_zk::<F, E, _>(&arch, inputs, &mut rng).unwrap();
    eprintln!("batch commitment: {:?}", t.elapsed());
    let t = Instant::now();
    let proof = network::prove_accuracy_zk_committed::<F, E, _>(
        model,
        &mut committed,
        &mut batch,
        labels,
        &mut rng,
    )
    .unwrap();
    let prove = t.elapsed();
    let t = Instant::now();
    network::verify_accuracy_zk_committed(&arch, &checked, &batch.commitment, labels, &proof)
        .unwrap();
    let verify = t.elapsed();
    println!(
        "{} (zero knowledge, hidden inputs): proven {} of {n} correct (inference: {plain}); \
         prove {prove:?}, verify {verify:?}, proof {} bytes",
        model.name,
        proof.correct,
        proof.compressed_size()
    );
    assert_eq!(proof.correct as usize, plain);
}
