//! Whole-network proofs: round trips on LeNet-5 and a small VGG, rejection of another input,
//! output or model, and of byte flips anywhere in a proof.

use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use zkcnn::field::{BaseField, Bn254Fr, ExtField, Goldilocks, GoldilocksExt2};
use zkcnn::layers::fft_conv::ConvPath;
use zkcnn::model::zoo;
use zkcnn::network::{self, ConvPolicy, VerifyError};
use zkcnn::pcs::merkle::MerkleError;
use zkcnn::pcs::PcsError;

fn round_trip<F: BaseField + ark_ff::FftField, E: ExtField<F>>(
    model: &zkcnn::model::Model,
    seed: u64,
) {
    let committed = network::commit_model::<F, E>(model).unwrap();
    let checked = committed.public.check(model).unwrap();
    let input = zoo::random_input(&model.input_shape, model.activation_bits, seed);
    let (output, proof) = network::prove::<F, E>(model, &committed, &input).unwrap();
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = output.iter().copied().collect();
    network::verify(model, &checked, &x, &y, &proof).unwrap();
    let mut y2 = y.clone();
    y2[0] += 1;
    assert!(network::verify(model, &checked, &x, &y2, &proof).is_err());
    let mut x2 = x.clone();
    x2[0] = if x2[0] == 0 { 1 } else { 0 };
    assert!(network::verify(model, &checked, &x2, &y, &proof).is_err());
    // The joint opening grinds (the larger commitment has more than 4 variables), and the
    // smallest passing nonce is sent: the one below it fails.
    let larger = committed.commitment().num_vars.max(proof.advice.num_vars);
    assert!(network::pow_bits(larger) > 0);
    if let Some(smaller) = proof.opening.pow_nonce.checked_sub(1) {
        let mut bad = proof.clone();
        bad.opening.pow_nonce = smaller;
        let err = network::verify(model, &checked, &x, &y, &bad).unwrap_err();
        assert_eq!(err, VerifyError::Opening(PcsError::ProofOfWork));
    }
}

#[test]
fn small_vgg_round_trips_on_both_fields() {
    let model = zoo::small_vgg(1);
    round_trip::<Goldilocks, GoldilocksExt2>(&model, 5);
    round_trip::<Bn254Fr, Bn254Fr>(&model, 5);
}

#[test]
fn lenet5_round_trips() {
    let model = zoo::lenet5(1);
    round_trip::<Goldilocks, GoldilocksExt2>(&model, 5);
}

#[test]
fn a_changed_weight_is_caught_by_the_model_opening() {
    type F = Goldilocks;
    type E = GoldilocksExt2;
    let mut orders = std::collections::BTreeSet::new();
    for model in [zoo::small_vgg(2), zoo::lenet5(2)] {
        let committed = network::commit_model::<F, E>(&model).unwrap();
        let checked = committed.public.check(&model).unwrap();
        let mut changed = model.clone();
        if let zkcnn::model::Layer::Conv2d(c) = &mut changed.layers[0] {
            c.weights[0] = if c.weights[0] == 5 { 6 } else { 5 };
        }
        let input = zoo::random_input(&model.input_shape, model.activation_bits, 3);
        // An honest prover refuses the mismatch; a cheating one is caught by the verifier.
        let fake = network::commit_model::<F, E>(&changed).unwrap();
        let x: Vec<i64> = input.iter().copied().collect();
        // A proof against the changed model's own commitment is a proof about another model.
        let (output, proof) = network::prove::<F, E>(&changed, &fake, &input).unwrap();
        let y: Vec<i64> = output.iter().copied().collect();
        let err = network::verify(&model, &checked, &x, &y, &proof).unwrap_err();
        assert_eq!(err, VerifyError::Output);
        // Claiming the original commitment with the changed weights fails the opening: the
        // opened leaves of the model's tree do not lead to its root, whether the model is the
        // opening's first commitment (the larger) or joins it.
        let cheat = network::cheat::with_public(fake, committed.public.clone());
        let (output, proof) = network::prove::<F, E>(&changed, &cheat, &input).unwrap();
        let y: Vec<i64> = output.iter().copied().collect();
        let err = network::verify(&model, &checked, &x, &y, &proof).unwrap_err();
        let model_first = committed.commitment().num_vars >= proof.advice.num_vars;
        orders.insert(model_first);
        let source = MerkleError::RootMismatch;
        let expected = if model_first {
            PcsError::Merkle { layer: 0, source }
        } else {
            PcsError::JoinedMerkle { part: 1, source }
        };
        assert_eq!(err, VerifyError::Opening(expected), "{}", model.name);
    }
    assert_eq!(orders.len(), 2, "both orders are exercised");
}

fn tiny() -> zkcnn::model::Model {
    use zkcnn::model::*;
    let w = |n: usize, m: i64| {
        (0..n)
            .map(|i| ((i as i64 * 5 + 3) % (2 * m + 1)) - m)
            .collect::<Vec<_>>()
    };
    Model {
        name: "tiny".into(),
        input_shape: vec![1, 6, 6],
        activation_bits: 8,
        weight_bits: 8,
        layers: vec![
            Layer::Conv2d(Conv2d {
                input: None,
                in_channels: 1,
                out_channels: 2,
                kernel: [3, 3],
                stride: 1,
                padding: 1,
                weights: w(18, 3),
                bias: vec![1, -2],
                shift: 3,
                groups: 1,
            }),
            Layer::RELU,
            Layer::MaxPool2d(MaxPool2d::new(2, 2)),
            Layer::FLATTEN,
            Layer::Dense(Dense {
                input: None,
                in_features: 18,
                out_features: 4,
                weights: w(72, 3),
                bias: vec![0, 1, 2, 3],
                shift: 4,
            }),
        ],
        quantization: None,
        saturate: false,
        bias_bits: 32,
    }
}

#[test]
fn tiny_round_trips() {
    type F = Goldilocks;
    type E = GoldilocksExt2;
    let model = tiny();
    let committed = network::commit_model::<F, E>(&model).unwrap();
    let checked = committed.public.check(&model).unwrap();
    let input = tiny_input();
    let (output, proof) = network::prove::<F, E>(&model, &committed, &input).unwrap();
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = output.iter().copied().collect();
    // The model is not trivial: its conv weights and its output are not all zero.
    if let zkcnn::model::Layer::Conv2d(c) = &model.layers[0] {
        assert!(c.weights.iter().any(|&w| w != 0));
    }
    assert!(y.iter().any(|&v| v != 0), "{y:?}");
    network::verify(&model, &checked, &x, &y, &proof).unwrap();
}

/// Every value of the proof, changed, is rejected; the first few checks are named.
#[test]
fn changed_values_are_rejected() {
    type F = Goldilocks;
    type E = GoldilocksExt2;
    use ark_ff::Field;
    let model = tiny();
    let committed = network::commit_model::<F, E>(&model).unwrap();
    let checked = committed.public.check(&model).unwrap();
    let input = tiny_input();
    let (output, proof) = network::prove::<F, E>(&model, &committed, &input).unwrap();
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = output.iter().copied().collect();
    for i in 0..proof.values.len() {
        let mut p = proof.clone();
        p.values[i] += E::ONE;
        let e = network::verify(&model, &checked, &x, &y, &p).unwrap_err();
        // The last dense layer's y and n at the output point are the first two values.
        if i < 2 {
            assert_eq!(e, VerifyError::Output);
        }
    }
    let mut p = proof.clone();
    p.values.push(E::ONE);
    assert_eq!(
        network::verify(&model, &checked, &x, &y, &p),
        Err(VerifyError::Leftover { what: "values" })
    );
    let mut p = proof.clone();
    p.values.pop();
    assert!(network::verify(&model, &checked, &x, &y, &p).is_err());
    let mut p = proof.clone();
    p.products.pop();
    assert!(network::verify(&model, &checked, &x, &y, &p).is_err());
    let mut p = proof.clone();
    p.advice.num_vars += 1;
    assert_eq!(
        network::verify(&model, &checked, &x, &y, &p),
        Err(VerifyError::AdviceShape)
    );
    let mut p = proof.clone();
    p.advice.root[0] ^= 1;
    assert!(network::verify(&model, &checked, &x, &y, &p).is_err());
    // Wrong shapes and ranges of the public data.
    assert_eq!(
        network::verify(&model, &checked, &x[1..], &y, &proof),
        Err(VerifyError::Shape {
            what: "input",
            expected: 36,
            got: 35
        })
    );
    let mut big = y.clone();
    big[1] = 128;
    assert_eq!(
        network::verify(&model, &checked, &x, &big, &proof),
        Err(VerifyError::OutOfRange {
            what: "output",
            index: 1,
            value: 128
        })
    );
}

fn tiny_input() -> ndarray::ArrayD<i64> {
    ndarray::ArrayD::from_shape_vec(vec![1, 6, 6], (0..36).map(|i| (i % 15) - 7).collect()).unwrap()
}

/// A model's proof on a seeded input, checked to round-trip through its bytes and to refuse a
/// single-bit flip at each of `positions(bytes)` (by the format or the verifier, never accepted,
/// never a panic).
struct Flipped {
    model: zkcnn::model::Model,
    committed: network::CommittedModel<Goldilocks, GoldilocksExt2>,
    checked: network::CheckedCommitment,
    proof: network::Proof<Goldilocks, GoldilocksExt2>,
    x: Vec<i64>,
    y: Vec<i64>,
    digest: [u8; 32],
    bytes: Vec<u8>,
}

fn byte_flips_refused(
    model: zkcnn::model::Model,
    seed: u64,
    positions: impl FnOnce(&mut StdRng, usize) -> Vec<usize>,
) -> Flipped {
    type F = Goldilocks;
    type E = GoldilocksExt2;
    let committed = network::commit_model::<F, E>(&model).unwrap();
    let checked = committed.public.check(&model).unwrap();
    let input = zoo::random_input(&model.input_shape, model.activation_bits, 4);
    let (output, proof) = network::prove::<F, E>(&model, &committed, &input).unwrap();
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = output.iter().copied().collect();
    let digest = network::statement_digest(&model, committed.commitment(), &x, &y);
    let bytes = proof.to_bytes(digest);
    let back = network::Proof::<F, E>::from_bytes(&bytes, digest).unwrap();
    assert_eq!(back, proof);
    network::verify(&model, &checked, &x, &y, &back).unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    for pos in positions(&mut rng, bytes.len()) {
        let mut b = bytes.clone();
        b[pos] ^= 1 << rng.gen_range(0..8);
        let ok = network::Proof::<F, E>::from_bytes(&b, digest)
            .ok()
            .map(|p| network::verify(&model, &checked, &x, &y, &p));
        assert!(!matches!(ok, Some(Ok(()))), "flip at byte {pos} accepted");
    }
    Flipped {
        model,
        committed,
        checked,
        proof,
        x,
        y,
        digest,
        bytes,
    }
}

/// Sampled single-byte flips anywhere in a LeNet-5 proof's bytes are rejected, never a panic.
#[test]
fn byte_flips_are_rejected() {
    type F = Goldilocks;
    type E = GoldilocksExt2;
    let Flipped {
        model,
        committed,
        x,
        y,
        digest,
        bytes,
        ..
    } = byte_flips_refused(zoo::lenet5(3), 11, |rng, len| {
        (0..64)
            .chain((0..400).map(|_| rng.gen_range(0..len)))
            .collect()
    });
    // Truncations and extensions.
    for cut in [0, 5, 11, 43, 44, bytes.len() / 2, bytes.len() - 1] {
        assert!(network::Proof::<F, E>::from_bytes(&bytes[..cut], digest).is_err());
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(network::Proof::<F, E>::from_bytes(&longer, digest).is_err());
    // Another statement's digest.
    let mut other = y.clone();
    other[0] ^= 1;
    let d2 = network::statement_digest(&model, committed.commitment(), &x, &other);
    assert_eq!(
        network::Proof::<F, E>::from_bytes(&bytes, d2),
        Err(network::FormatError::Statement)
    );
}

/// A model with every layer kind the prover supports: fused and standalone ReLU, residual add,
/// max- and average pooling, flatten, dense; shifts calibrated on seeded inputs.
fn every_kind(seed: u64) -> zkcnn::model::Model {
    use zkcnn::model::*;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut w = |n: usize| {
        (0..n)
            .map(|_| rng.gen_range(-127..=127))
            .collect::<Vec<i64>>()
    };
    let conv = |ci, co, w: Vec<i64>, b: Vec<i64>| {
        Layer::Conv2d(Conv2d {
            input: None,
            in_channels: ci,
            out_channels: co,
            kernel: [3, 3],
            stride: 1,
            padding: 1,
            weights: w,
            bias: b,
            shift: 0,
            groups: 1,
        })
    };
    let (w0, b0, w2, b2, w8, b8) = (w(2 * 4 * 9), w(4), w(4 * 4 * 9), w(4), w(5 * 16), w(5));
    let mut m = Model {
        name: "every-kind".into(),
        input_shape: vec![2, 8, 8],
        activation_bits: 8,
        weight_bits: 8,
        layers: vec![
            conv(2, 4, w0, b0),
            Layer::RELU,
            conv(4, 4, w2, b2),
            Layer::Add(Add {
                input: None,
                from: 1,
                shift: 0,
            }),
            Layer::MaxPool2d(MaxPool2d::new(2, 2)),
            Layer::RELU,
            Layer::AvgPool2d(AvgPool2d {
                divisor: 1,
                input: None,
                size: 2,
                stride: 2,
                shift: 0,
            }),
            Layer::FLATTEN,
            Layer::Dense(Dense {
                input: None,
                in_features: 16,
                out_features: 5,
                weights: w8,
                bias: b8,
                shift: 0,
            }),
        ],
        quantization: None,
        saturate: false,
        bias_bits: 32,
    };
    let samples: Vec<_> = (0..4)
        .map(|i| zoo::random_input(&m.input_shape, 8, 100 + i))
        .collect();
    zoo::calibrate_shifts(&mut m, &samples).unwrap();
    m
}

#[test]
fn every_layer_kind_round_trips_on_both_fields() {
    let model = every_kind(1);
    round_trip::<Goldilocks, GoldilocksExt2>(&model, 101);
    round_trip::<Bn254Fr, Bn254Fr>(&model, 102);
}

/// The input and output of a golden statement file (`{"input": [..], "output": [..]}`).
pub(crate) fn golden_io(path: &std::path::Path) -> (Vec<i64>, Vec<i64>) {
    let io: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let ints = |k: &str| -> Vec<i64> {
        io[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect()
    };
    (ints("input"), ints("output"))
}

/// Committed proofs keep verifying: `fixtures/golden/` holds the `every_kind(1)` model, its
/// model commitment (with the commitment's check), an input, its output and a proof. When the proof format changes on purpose (and
/// `FORMAT_VERSION` with it), regenerate with
/// `ZKCNN_REGENERATE_GOLDEN=1 cargo test --test suite golden`.
#[test]
fn golden_proof_keeps_verifying() {
    type F = Goldilocks;
    type E = GoldilocksExt2;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/golden");
    let (model_path, proof_path) = (dir.join("every-kind.json"), dir.join("every-kind.proof"));
    let io_path = dir.join("every-kind.io.json");
    let commitment_path = dir.join("every-kind.commitment");
    if std::env::var_os("ZKCNN_REGENERATE_GOLDEN").is_some() {
        let model = every_kind(1);
        let committed = network::commit_model::<F, E>(&model).unwrap();
        std::fs::write(&commitment_path, zkcnn::codec::to_bytes(&committed.public)).unwrap();
        let input = zoo::random_input(&model.input_shape, model.activation_bits, 5);
        let (output, proof) = network::prove::<F, E>(&model, &committed, &input).unwrap();
        let x: Vec<i64> = input.iter().copied().collect();
        let y: Vec<i64> = output.iter().copied().collect();
        let digest = network::statement_digest(&model, committed.commitment(), &x, &y);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&model_path, model.to_json()).unwrap();
        std::fs::write(
            &io_path,
            format!("{{\"input\": {x:?}, \"output\": {y:?}}}\n"),
        )
        .unwrap();
        std::fs::write(&proof_path, proof.to_bytes(digest)).unwrap();
    }
    let model =
        zkcnn::model::Model::from_json(&std::fs::read_to_string(&model_path).unwrap()).unwrap();
    let (x, y) = golden_io(&io_path);
    let public: network::ModelCommitment<F, E> =
        zkcnn::codec::from_bytes(&std::fs::read(&commitment_path).unwrap()).unwrap();
    let checked = public.check(&model.architecture()).unwrap();
    // Committing is deterministic: today's commitment and check are the stored ones.
    let committed = network::commit_model::<F, E>(&model).unwrap();
    assert!(
        committed.public == public,
        "the model commitment changed: regenerate the golden files"
    );
    let digest = network::statement_digest(&model, committed.commitment(), &x, &y);
    let bytes = std::fs::read(&proof_path).unwrap();
    let proof = network::Proof::<F, E>::from_bytes(&bytes, digest).unwrap();
    network::verify(&model, &checked, &x, &y, &proof).unwrap();
    // Proving is deterministic: today's prover writes the same bytes.
    let input = ndarray::ArrayD::from_shape_vec(model.input_shape.clone(), x.clone()).unwrap();
    let (_, again) = network::prove::<F, E>(&model, &committed, &input).unwrap();
    assert!(
        again.to_bytes(digest) == bytes,
        "the prover's bytes changed: bump FORMAT_VERSION and regenerate"
    );
}

/// The golden zero-knowledge files: the model, its hiding commitment, the statement's input
/// and output, and the proof's bytes (with the golden `every-kind` model and input).
fn golden_zk() -> (
    zkcnn::model::Model,
    zkcnn::pcs::zk::ZkCommitment,
    Vec<i64>,
    Vec<i64>,
    Vec<u8>,
) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/golden");
    let model = zkcnn::model::Model::from_json(
        &std::fs::read_to_string(dir.join("every-kind.json")).unwrap(),
    )
    .unwrap();
    let (x, y) = golden_io(&dir.join("every-kind.io.json"));
    let commitment =
        zkcnn::codec::from_bytes(&std::fs::read(dir.join("every-kind.zk.commitment")).unwrap())
            .unwrap();
    let bytes = std::fs::read(dir.join("every-kind.zk.proof")).unwrap();
    (model, commitment, x, y, bytes)
}

/// A committed zero-knowledge proof keeps verifying: `fixtures/golden/every-kind.zk.commitment`
/// (the golden model's hiding commitment, from `StdRng` seed 13) and `every-kind.zk.proof` (the
/// proof of the golden input's output, the prover's randomness continuing from that seed).
/// Regenerated with the transparent golden files, by `ZKCNN_REGENERATE_GOLDEN=1 cargo test
/// --test suite golden`, when the format changes on purpose. A changed byte of the proof (a
/// sample of positions across it, the header included) or of the commitment is refused, never
/// accepted and never a panic.
/// The zero-knowledge verifier takes a checked commitment: the honest proof verifies against
/// the commitment its check made (the real path: `prove_model_check_zk`, then
/// `verify_model_check_zk`), and a commitment checked against another architecture is refused
/// by name before the proof is read; on both fields.
#[test]
fn zero_knowledge_proofs_verify_against_the_checked_commitment_only() {
    fn run<F: BaseField + ark_ff::FftField, E: ExtField<F>>(seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        let model = tiny();
        let mut committed = network::commit_model_zk::<F, E, _>(&model, &mut rng).unwrap();
        let check =
            network::prove_model_check_zk::<F, E, _>(&model, &mut committed, &mut rng).unwrap();
        let arch = model.architecture();
        let checked = network::verify_model_check_zk(&arch, &committed.commitment, &check).unwrap();
        assert_eq!(checked.commitment(), &committed.commitment);
        let input = tiny_input();
        let (y, proof) =
            network::prove_zk::<F, E, _>(&model, &mut committed, &input, &mut rng).unwrap();
        let (x, y): (Vec<i64>, Vec<i64>) =
            (input.iter().copied().collect(), y.iter().copied().collect());
        network::verify_zk(&arch, &checked, &x, &y, &proof).unwrap();
        let mut other = arch.clone();
        other.name.push_str(" (another)");
        assert_eq!(
            network::verify_zk(&other, &checked, &x, &y, &proof),
            Err(VerifyError::Architecture)
        );
    }
    run::<Goldilocks, GoldilocksExt2>(41);
    run::<Bn254Fr, Bn254Fr>(42);
}

#[test]
fn golden_zk_proof_keeps_verifying() {
    type F = Goldilocks;
    type E = GoldilocksExt2;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/golden");
    if std::env::var_os("ZKCNN_REGENERATE_GOLDEN").is_some() {
        // The transparent golden test may be rewriting the model and statement files: the same
        // model and input from their seeds.
        let model = every_kind(1);
        let input = zoo::random_input(&model.input_shape, model.activation_bits, 5);
        let mut rng = StdRng::seed_from_u64(13);
        let mut committed = network::commit_model_zk::<F, E, _>(&model, &mut rng).unwrap();
        let (output, proof) =
            network::prove_zk::<F, E, _>(&model, &mut committed, &input, &mut rng).unwrap();
        let x: Vec<i64> = input.iter().copied().collect();
        let y: Vec<i64> = output.iter().copied().collect();
        let c = &committed.commitment;
        let digest = network::zk_statement_digest(&model, c, network::ZkInput::Public(&x), &y);
        std::fs::write(
            dir.join("every-kind.zk.commitment"),
            zkcnn::codec::to_bytes(c),
        )
        .unwrap();
        std::fs::write(dir.join("every-kind.zk.proof"), proof.to_bytes(digest)).unwrap();
    }
    let (model, c, x, y, bytes) = golden_zk();
    let digest = network::zk_statement_digest(&model, &c, network::ZkInput::Public(&x), &y);
    let proof = network::ZkNetworkProof::<F, E>::from_bytes(&bytes, digest).unwrap();
    network::verify_zk(
        &model,
        &zkcnn::network::CheckedZkCommitment::assume_checked(&model, &c),
        &x,
        &y,
        &proof,
    )
    .unwrap();
    // The architecture alone suffices.
    network::verify_zk(
        &model.architecture(),
        &zkcnn::network::CheckedZkCommitment::assume_checked(&model.architecture(), &c),
        &x,
        &y,
        &proof,
    )
    .unwrap();
    let check = |bytes: &[u8], c: &zkcnn::pcs::zk::ZkCommitment| {
        let digest = network::zk_statement_digest(&model, c, network::ZkInput::Public(&x), &y);
        network::ZkNetworkProof::<F, E>::from_bytes(bytes, digest)
            .ok()
            .map(|p| {
                network::verify_zk(
                    &model,
                    &zkcnn::network::CheckedZkCommitment::assume_checked(&model, c),
                    &x,
                    &y,
                    &p,
                )
            })
    };
    let header = network::proof::HEADER_BYTES;
    let step = bytes.len() / 48 + 1;
    for pos in (0..header).chain((header..bytes.len()).step_by(step)) {
        let mut b = bytes.clone();
        b[pos] ^= 0x10;
        assert!(
            !matches!(check(&b, &c), Some(Ok(()))),
            "a change at byte {pos} accepted"
        );
    }
    let cbytes = zkcnn::codec::to_bytes(&c);
    for pos in (0..cbytes.len()).step_by(cbytes.len() / 8 + 1) {
        let mut b = cbytes.clone();
        b[pos] ^= 0x01;
        if let Ok(other) = zkcnn::codec::from_bytes::<zkcnn::pcs::zk::ZkCommitment>(&b) {
            assert!(
                !matches!(check(&bytes, &other), Some(Ok(()))),
                "a change at commitment byte {pos} accepted"
            );
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// The zero-knowledge readers on arbitrary bytes and on random mutations of the golden
    /// proof and commitment: `ZkNetworkProof::from_bytes` then `verify_zk`, the hiding
    /// commitment's decoder, and the private files of a committed model and a committed input
    /// (`ZkCommittedModel::load`, `ZkCommittedInput::load`) give `Err` — never a panic, never
    /// an accepted changed proof.
    #[test]
    fn zk_readers_never_panic(
        noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
        edits in proptest::collection::vec(
            (proptest::prelude::any::<usize>(), 1u8..=255),
            1..6,
        ),
        cut in proptest::prelude::any::<usize>(),
    ) {
        type F = Goldilocks;
        type E = GoldilocksExt2;
        let (model, c, x, y, bytes) = golden_zk();
        let digest = network::zk_statement_digest(&model, &c, network::ZkInput::Public(&x), &y);
        // Arbitrary bytes, and the golden header followed by them.
        let mut headed = bytes[..network::proof::HEADER_BYTES].to_vec();
        headed.extend_from_slice(&noise);
        for b in [&noise, &headed] {
            let got = network::ZkNetworkProof::<F, E>::from_bytes(b, digest)
                .ok()
                .map(|p| network::verify_zk(&model, &zkcnn::network::CheckedZkCommitment::assume_checked(&model, &c), &x, &y, &p));
            proptest::prop_assert!(!matches!(got, Some(Ok(()))));
        }
        // Random byte changes of the golden proof, and a truncation.
        let mut changed = bytes.clone();
        for &(at, d) in &edits {
            let at = at % changed.len();
            changed[at] ^= d;
        }
        let truncated = &bytes[..cut % bytes.len()];
        for b in [&changed[..], truncated] {
            let got = network::ZkNetworkProof::<F, E>::from_bytes(b, digest)
                .ok()
                .map(|p| network::verify_zk(&model, &zkcnn::network::CheckedZkCommitment::assume_checked(&model, &c), &x, &y, &p));
            proptest::prop_assert!(!matches!(got, Some(Ok(()))));
        }
        // The hiding commitment's decoder, and the private files' readers.
        let cbytes = zkcnn::codec::to_bytes(&c);
        let mut cchanged = cbytes.clone();
        for &(at, d) in &edits {
            let at = at % cchanged.len();
            cchanged[at] ^= d;
        }
        for b in [&noise[..], &cchanged[..]] {
            if let Ok(other) = zkcnn::codec::from_bytes::<zkcnn::pcs::zk::ZkCommitment>(b) {
                proptest::prop_assert!(other != c || b == &cbytes[..]);
            }
        }
        proptest::prop_assert!(
            network::ZkCommittedModel::<F>::load::<E>(&model, c.clone(), &mut &noise[..]).is_err()
        );
        let input = ndarray::ArrayD::from_shape_vec(model.input_shape.clone(), x.clone()).unwrap();
        proptest::prop_assert!(network::ZkCommittedInput::<F>::load::<E>(
            &model,
            &input,
            c.clone(),
            &mut &noise[..]
        )
        .is_err());
    }
}

/// A proof of an older format is refused by its version, before anything else:
/// `every-kind.v2.proof` is the golden proof of format 2 (before every requantization was
/// checked at a fresh point and biases were committed as limbs), `every-kind.v3.proof` of format
/// 3 (before the model and advice commitments were opened together), `every-kind.v4.proof` of
/// format 4 (before the advice's claims were reduced where it joins the model's folding),
/// `every-kind.v5.proof` of format 5 (32-byte Merkle digests, 25 since), `every-kind.v6.proof`
/// of format 6 (before the header's kind byte), `every-kind.v7.proof` of format 7 (before the
/// range table's width followed the widest shift: remainder limbs of the activation bits).
/// Neither kind of proof reads them.
#[test]
fn an_older_format_is_refused_by_version() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/golden");
    assert_eq!(network::FORMAT_VERSION, 8);
    for got in [2, 3, 4, 5, 6, 7] {
        let bytes = std::fs::read(dir.join(format!("every-kind.v{got}.proof"))).unwrap();
        assert_eq!(
            network::Proof::<Goldilocks, GoldilocksExt2>::from_bytes(&bytes, [0; 32]),
            Err(network::FormatError::Version { got })
        );
        assert_eq!(
            network::ZkNetworkProof::<Goldilocks, GoldilocksExt2>::from_bytes(&bytes, [0; 32]),
            Err(network::FormatError::Version { got })
        );
        assert_eq!(
            network::proof::kind_of(&bytes),
            Err(network::FormatError::Version { got })
        );
    }
}

/// The header's kind byte (after the version): the golden transparent proof is refused as a
/// zero-knowledge proof, and with its kind byte flipped, as a transparent one, by its kind,
/// before its field or statement is looked at; an unknown kind byte is named.
#[test]
fn a_proof_of_the_other_kind_is_refused_by_kind() {
    use network::{FormatError, ProofKind};
    type F = Goldilocks;
    type E = GoldilocksExt2;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/golden");
    let bytes = std::fs::read(dir.join("every-kind.proof")).unwrap();
    assert_eq!(network::proof::kind_of(&bytes), Ok(ProofKind::Transparent));
    assert_eq!(
        network::ZkNetworkProof::<F, E>::from_bytes(&bytes, [0; 32]),
        Err(FormatError::Kind {
            expected: ProofKind::ZeroKnowledge,
            got: ProofKind::Transparent
        })
    );
    let mut flipped = bytes.clone();
    flipped[10] = 1;
    assert_eq!(
        network::proof::kind_of(&flipped),
        Ok(ProofKind::ZeroKnowledge)
    );
    let err = network::Proof::<F, E>::from_bytes(&flipped, [0; 32]).unwrap_err();
    assert_eq!(
        err,
        FormatError::Kind {
            expected: ProofKind::Transparent,
            got: ProofKind::ZeroKnowledge
        }
    );
    assert_eq!(
        err.to_string(),
        "this is a zero-knowledge proof; expected a transparent proof"
    );
    flipped[10] = 7;
    assert_eq!(
        network::Proof::<F, E>::from_bytes(&flipped, [0; 32]),
        Err(FormatError::UnknownKind(7))
    );
    // Every prefix of the header is refused, never a panic.
    for n in 0..=bytes.len().min(48) {
        assert!(network::Proof::<F, E>::from_bytes(&bytes[..n], [0; 32]).is_err());
        assert!(network::ZkNetworkProof::<F, E>::from_bytes(&bytes[..n], [0; 32]).is_err());
    }
}

/// A zero-knowledge proof's bytes: they round-trip; read as a transparent proof they are
/// refused by their kind; sampled single-byte flips, truncations, an extension and another
/// statement are refused (an error, never a panic, never a pass).
#[test]
fn zero_knowledge_proof_bytes_are_refused_when_altered() {
    use network::{FormatError, ProofKind, ZkNetworkProof};
    type F = Goldilocks;
    type E = GoldilocksExt2;
    let model = zoo::mlp(2);
    let mut rng = StdRng::seed_from_u64(6);
    let mut committed = network::commit_model_zk::<F, E, _>(&model, &mut rng).unwrap();
    let input = zoo::random_input(&model.input_shape, model.activation_bits, 6);
    let (output, proof) =
        network::prove_zk::<F, E, _>(&model, &mut committed, &input, &mut rng).unwrap();
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = output.iter().copied().collect();
    let c = committed.commitment.clone();
    let digest = network::zk_statement_digest(&model, &c, network::ZkInput::Public(&x), &y);
    let bytes = proof.to_bytes(digest);
    assert_eq!(
        network::proof::kind_of(&bytes),
        Ok(ProofKind::ZeroKnowledge)
    );
    assert_eq!(
        network::Proof::<F, E>::from_bytes(&bytes, digest),
        Err(FormatError::Kind {
            expected: ProofKind::Transparent,
            got: ProofKind::ZeroKnowledge
        })
    );
    let back = ZkNetworkProof::<F, E>::from_bytes(&bytes, digest).unwrap();
    assert_eq!(back, proof);
    network::verify_zk(
        &model,
        &zkcnn::network::CheckedZkCommitment::assume_checked(&model, &c),
        &x,
        &y,
        &back,
    )
    .unwrap();
    let header = network::proof::HEADER_BYTES;
    let positions: Vec<usize> = (0..header + 20)
        .chain((0..300).map(|_| rng.gen_range(0..bytes.len())))
        .collect();
    for pos in positions {
        let mut b = bytes.clone();
        b[pos] ^= 1 << rng.gen_range(0..8);
        let res = ZkNetworkProof::<F, E>::from_bytes(&b, digest)
            .ok()
            .map(|p| {
                network::verify_zk(
                    &model,
                    &zkcnn::network::CheckedZkCommitment::assume_checked(&model, &c),
                    &x,
                    &y,
                    &p,
                )
            });
        assert!(!matches!(res, Some(Ok(()))), "flip at byte {pos} accepted");
    }
    for cut in [
        0,
        5,
        10,
        11,
        12,
        header - 1,
        header,
        bytes.len() / 2,
        bytes.len() - 1,
    ] {
        assert!(ZkNetworkProof::<F, E>::from_bytes(&bytes[..cut], digest).is_err());
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(ZkNetworkProof::<F, E>::from_bytes(&longer, digest).is_err());
    let mut other = y.clone();
    other[0] += 1;
    let d2 = network::zk_statement_digest(&model, &c, network::ZkInput::Public(&x), &other);
    assert_eq!(
        ZkNetworkProof::<F, E>::from_bytes(&bytes, d2),
        Err(FormatError::Statement)
    );
    // The statement digest binds the commitment's shape, not only its root.
    let mut reshaped = c.clone();
    reshaped.mask_vars -= 1;
    assert_ne!(
        network::zk_statement_digest(&model, &reshaped, network::ZkInput::Public(&x), &y),
        digest
    );
    // The false output with the right digest: rejected by the verifier.
    assert!(network::verify_zk(
        &model,
        &zkcnn::network::CheckedZkCommitment::assume_checked(&model, &c),
        &x,
        &other,
        &back
    )
    .is_err());
}

/// The verifier needs only the architecture (no weights) next to the commitment; the prover
/// refuses an architecture without weights with a model error.
#[test]
fn the_verifier_needs_only_the_architecture() {
    type F = Goldilocks;
    type E = GoldilocksExt2;
    let model = zoo::lenet5(4);
    let arch = model.architecture();
    assert_eq!(arch.architecture_json(), model.architecture_json());
    let committed = network::commit_model::<F, E>(&model).unwrap();
    let checked = committed.public.check(&model).unwrap();
    let input = zoo::random_input(&model.input_shape, model.activation_bits, 8);
    let (output, proof) = network::prove::<F, E>(&model, &committed, &input).unwrap();
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = output.iter().copied().collect();
    network::verify(&arch, &checked, &x, &y, &proof).unwrap();
    // Another architecture (one shift changed) is another statement.
    let mut other = arch.clone();
    if let zkcnn::model::Layer::Conv2d(c) = &mut other.layers[0] {
        c.shift += 1;
    }
    assert!(network::verify(&other, &checked, &x, &y, &proof).is_err());
    assert!(matches!(
        network::commit_model::<F, E>(&arch),
        Err(network::NetworkError::Model(_))
    ));
    assert!(network::prove::<F, E>(&arch, &committed, &input).is_err());
}

fn fft_round_trip<F: BaseField + ark_ff::FftField, E: ExtField<F>>(
    model: &zkcnn::model::Model,
    seed: u64,
) {
    let fft = ConvPolicy::Always(ConvPath::Fft);
    let committed = network::commit_model::<F, E>(model).unwrap();
    let checked = committed.public.check(model).unwrap();
    let input = zoo::random_input(&model.input_shape, model.activation_bits, seed);
    let (output, proof) =
        network::prove_with_policy::<F, E>(model, &committed, &input, fft, &mut Vec::new())
            .unwrap();
    let (direct_out, _) = network::prove::<F, E>(model, &committed, &input).unwrap();
    assert_eq!(output, direct_out);
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = output.iter().copied().collect();
    let c = &checked;
    network::verify_with_policy(model, c, &x, &y, &proof, fft).unwrap();
    // The verifier must read the convolutions as the prover wrote them.
    assert!(network::verify(model, c, &x, &y, &proof).is_err());
    let mut y2 = y.clone();
    y2[0] += 1;
    assert!(network::verify_with_policy(model, c, &x, &y2, &proof, fft).is_err());
}

/// Every convolution by the FFT path (forced: the cost model picks the direct path for every
/// zoo shape), on both fields.
#[test]
fn fft_convolutions_round_trip_on_both_fields() {
    let model = every_kind(1);
    fft_round_trip::<Goldilocks, GoldilocksExt2>(&model, 101);
    fft_round_trip::<Bn254Fr, Bn254Fr>(&model, 102);
    fft_round_trip::<Goldilocks, GoldilocksExt2>(&zoo::lenet5(1), 5);
}

/// With the FFT path, each part of a convolution proof, changed, fails that layer's check with
/// the exact error; sampled byte flips are rejected.
#[test]
fn fft_convolution_tampering_is_rejected() {
    type F = Goldilocks;
    type E = GoldilocksExt2;
    use ark_ff::Field;
    use zkcnn::layers::LayerError;
    let fft = ConvPolicy::Always(ConvPath::Fft);
    let model = every_kind(1);
    let committed = network::commit_model::<F, E>(&model).unwrap();
    let checked = committed.public.check(&model).unwrap();
    let input = zoo::random_input(&model.input_shape, model.activation_bits, 7);
    let (output, proof) =
        network::prove_with_policy::<F, E>(&model, &committed, &input, fft, &mut Vec::new())
            .unwrap();
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = output.iter().copied().collect();
    let c = &checked;
    let check = |p: &network::Proof<F, E>| network::verify_with_policy(&model, c, &x, &y, p, fft);
    assert_eq!(check(&proof), Ok(()));
    // The backward pass meets the second convolution (layer 2) first.
    let layer = |source| Err(VerifyError::Layer { layer: 2, source });
    let freq = LayerError::FinalProduct {
        step: "conv fft frequency",
    };
    let inp = LayerError::FinalProduct {
        step: "conv fft input",
    };
    assert_eq!(proof.convs.len(), 2);
    let conv = &proof.convs[0];
    for round in 0..conv.stage1.sumcheck.rounds.len() {
        let mut p = proof.clone();
        p.convs[0].stage1.sumcheck.rounds[round].evals[0] += E::ONE;
        assert_eq!(check(&p), layer(freq.clone()), "round {round}");
    }
    for round in 0..conv.stage2.sumcheck.rounds.len() {
        let mut p = proof.clone();
        p.convs[0].stage2.sumcheck.rounds[round].evals[1] += E::ONE;
        assert_eq!(check(&p), layer(inp.clone()), "round {round}");
    }
    for j in 0..3 {
        let mut p = proof.clone();
        p.convs[0].stage1.values[j] += E::ONE;
        assert_eq!(check(&p), layer(freq.clone()));
    }
    for j in 0..conv.kernel.len() {
        let mut p = proof.clone();
        p.convs[0].kernel[j] += E::ONE;
        assert_eq!(
            check(&p),
            layer(LayerError::Relation {
                what: "conv fft kernel transform"
            })
        );
    }
    // A false Fourier value with a compensating input value keeps the stage-2 product.
    let mut p = proof.clone();
    let z = E::from(5u64);
    p.convs[0].stage2.values[0] *= z;
    p.convs[0].stage2.values[1] *= z.inverse().unwrap();
    assert_eq!(
        check(&p),
        layer(LayerError::PublicValue {
            what: "conv fft input transform"
        })
    );
    // Byte flips.
    let digest = network::statement_digest(&model, c.commitment(), &x, &y);
    let bytes = proof.to_bytes(digest);
    let mut rng = StdRng::seed_from_u64(12);
    for _ in 0..150 {
        let pos = rng.gen_range(0..bytes.len());
        let mut b = bytes.clone();
        b[pos] ^= 1 << rng.gen_range(0..8);
        let res = network::Proof::<F, E>::from_bytes(&b, digest)
            .ok()
            .map(|p| check(&p));
        assert!(!matches!(res, Some(Ok(()))), "flip at byte {pos} accepted");
    }
}

/// A published commitment reused by the prover: only the Basefold commitment is recomputed; a
/// commitment to other weights is refused.
#[test]
fn a_published_commitment_is_reused_by_the_prover() {
    type F = Goldilocks;
    type E = GoldilocksExt2;
    let model = zoo::lenet5(5);
    let public = network::commit_model::<F, E>(&model).unwrap().public;
    let reused = network::CommittedModel::reuse(&model, public.clone()).unwrap();
    let input = zoo::random_input(&model.input_shape, model.activation_bits, 1);
    let (output, proof) = network::prove::<F, E>(&model, &reused, &input).unwrap();
    let checked = public.check(&model.architecture()).unwrap();
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = output.iter().copied().collect();
    network::verify(&model, &checked, &x, &y, &proof).unwrap();
    let other = network::commit_model::<F, E>(&zoo::lenet5(6))
        .unwrap()
        .public;
    assert!(matches!(
        network::CommittedModel::reuse(&model, other.clone()),
        Err(network::NetworkError::CommitmentMismatch)
    ));
    // The stored prover data: read back, it proves the same bytes as the recomputed commitment.
    let mut stored = Vec::new();
    reused.write_prover_data(&mut stored).unwrap();
    let loaded = network::CommittedModel::load(&model, public.clone(), &mut &stored[..]).unwrap();
    let (_, again) = network::prove::<F, E>(&model, &loaded, &input).unwrap();
    assert_eq!(again, proof);
    // Refused: for another commitment, for another model with this commitment, or truncated.
    assert!(matches!(
        network::CommittedModel::load(&model, other, &mut &stored[..]),
        Err(network::NetworkError::CommitmentMismatch)
    ));
    let mut changed = model.clone();
    if let zkcnn::model::Layer::Conv2d(c) = &mut changed.layers[0] {
        c.weights[0] = if c.weights[0] == 5 { 6 } else { 5 };
    }
    assert!(matches!(
        network::CommittedModel::load(&changed, public.clone(), &mut &stored[..]),
        Err(network::NetworkError::CommitmentMismatch)
    ));
    assert!(matches!(
        network::CommittedModel::load(&model, public, &mut &stored[..stored.len() - 7]),
        Err(network::NetworkError::ProverData(_))
    ));
}

/// A chain with grouped convolutions: `[ci, h, w]` → a `groups`-group conv to `co` channels
/// (`k × k`, stride, padding), ReLU → a depthwise 3×3 (padding 1) → ReLU → flatten → dense.
fn grouped_model(
    seed: u64,
    (ci, co, groups): (usize, usize, usize),
    (h, w): (usize, usize),
    (k, stride, padding): (usize, usize, usize),
) -> zkcnn::model::Model {
    use zkcnn::model::*;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut vals = |n: usize, m: i64| (0..n).map(|_| rng.gen_range(-m..=m)).collect::<Vec<i64>>();
    let conv = |ci: usize, co: usize, g: usize, k: usize, s: usize, p: usize, wb: Vec<Vec<i64>>| {
        let [weights, bias]: [Vec<i64>; 2] = wb.try_into().unwrap();
        Layer::Conv2d(Conv2d {
            input: None,
            in_channels: ci,
            out_channels: co,
            kernel: [k, k],
            stride: s,
            padding: p,
            weights,
            bias,
            shift: 0,
            groups: g,
        })
    };
    let (oh, ow) = (
        (h + 2 * padding - k) / stride + 1,
        (w + 2 * padding - k) / stride + 1,
    );
    let first = vec![vals(co * (ci / groups) * k * k, 127), vals(co, 3000)];
    let depthwise = vec![vals(co * 9, 127), vals(co, 3000)];
    let dense = (vals(3 * co * oh * ow, 127), vals(3, 3000));
    let mut m = Model {
        name: "grouped".into(),
        input_shape: vec![ci, h, w],
        activation_bits: 8,
        weight_bits: 8,
        layers: vec![
            conv(ci, co, groups, k, stride, padding, first),
            Layer::RELU,
            conv(co, co, co, 3, 1, 1, depthwise),
            Layer::RELU,
            Layer::FLATTEN,
            Layer::Dense(Dense {
                input: None,
                in_features: co * oh * ow,
                out_features: 3,
                weights: dense.0,
                bias: dense.1,
                shift: 0,
            }),
        ],
        quantization: None,
        saturate: false,
        bias_bits: 32,
    };
    let samples: Vec<_> = (0..2)
        .map(|i| zoo::random_input(&m.input_shape, 8, 200 + i))
        .collect();
    zoo::calibrate_shifts(&mut m, &samples).unwrap();
    m
}

#[test]
fn grouped_convolutions_round_trip_on_both_fields() {
    // MobileNetV2's pattern (1×1 expansion, 3×3 depthwise, 1×1 projection), at small sizes.
    let model = grouped_model(3, (4, 8, 2), (7, 7), (1, 1, 0));
    round_trip::<Goldilocks, GoldilocksExt2>(&model, 200);
    round_trip::<Bn254Fr, Bn254Fr>(&model, 201);
    // The cost model never picks the FFT path for a grouped convolution, and forcing it
    // leaves grouped convolutions on the direct path.
    let plan =
        zkcnn::network::plan::Plan::with_policy(&model, ConvPolicy::Always(ConvPath::Fft)).unwrap();
    for (step, layer) in plan.steps.iter().zip(&model.layers) {
        if let (
            zkcnn::network::plan::Step::Conv(zkcnn::layers::conv::Conv { path, .. }),
            zkcnn::model::Layer::Conv2d(c),
        ) = (step, layer)
        {
            assert_eq!(*path == ConvPath::Direct, c.groups > 1);
        }
    }
}

#[test]
fn the_zoo_mobilenet_round_trips() {
    let model = zoo::mobilenet_small(1);
    round_trip::<Goldilocks, GoldilocksExt2>(&model, 7);
}

#[test]
fn grouped_convolutions_need_powers_of_two_per_group() {
    // 6 input channels in 2 groups: 3 per group.
    let model = grouped_model(1, (6, 4, 2), (5, 5), (3, 1, 1));
    let err = zkcnn::network::plan::Plan::new(&model).unwrap_err();
    assert!(
        matches!(&err, zkcnn::network::NetworkError::Unsupported { layer: 0, what }
            if what.contains("powers of two")),
        "{err:?}"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(10))]

    /// Random grouped shapes (1, 2 and 4 groups and depthwise; odd sizes; stride 1–2;
    /// padding 0–1) prove and verify on both fields.
    #[test]
    fn grouped_convolutions_round_trip(
        seed: u64,
        groups in proptest::sample::select(vec![1usize, 2, 4, 0]),
        per_in in proptest::sample::select(vec![1usize, 2]),
        per_out in proptest::sample::select(vec![1usize, 2]),
        h in 2usize..8, w in 2usize..8,
        k in 1usize..4, stride in 1usize..3, padding in 0usize..2,
    ) {
        proptest::prop_assume!(h + 2 * padding >= k && w + 2 * padding >= k);
        // 0: depthwise on 3 channels (a group count that is not a power of two).
        let (ci, co, g) = if groups == 0 { (3, 3, 3) } else { (groups * per_in, groups * per_out, groups) };
        let model = grouped_model(seed, (ci, co, g), (h, w), (k, stride, padding));
        // On the inputs the shifts were calibrated on (another could overflow).
        round_trip::<Goldilocks, GoldilocksExt2>(&model, 200);
        round_trip::<Bn254Fr, Bn254Fr>(&model, 201);
    }
}

// ---------------------------------------------------------------------------------------------
// DAG models: layers reading any earlier tensor, residual adds of two branches, concatenations
// ---------------------------------------------------------------------------------------------

/// A ResNet basic block with a 1×1 stride-2 projection shortcut (the stem's output read by both
/// branches), then an identity block: proves and verifies on both fields.
#[test]
fn dag_resnet_with_a_projection_shortcut_round_trips_on_both_fields() {
    let model = zoo::resnet_small(1);
    assert!(!model.is_chain());
    round_trip::<Goldilocks, GoldilocksExt2>(&model, 5);
    round_trip::<Bn254Fr, Bn254Fr>(&model, 6);
}

/// Fire modules: concatenations of branches, of channel counts that are not powers of two, and
/// of an earlier concatenation (read twice): proves and verifies on both fields.
#[test]
fn dag_fire_modules_with_concatenations_round_trip_on_both_fields() {
    let model = zoo::fire_small(1);
    round_trip::<Goldilocks, GoldilocksExt2>(&model, 5);
    round_trip::<Bn254Fr, Bn254Fr>(&model, 6);
}

/// Every value of a DAG model's proof, changed, is rejected (the concatenations' sent values
/// and sum-checks among them), and so is a proof with a value missing or left over.
#[test]
fn dag_changed_values_are_rejected() {
    type F = Goldilocks;
    type E = GoldilocksExt2;
    let model = zoo::fire_small(2);
    let committed = network::commit_model::<F, E>(&model).unwrap();
    let checked = committed.public.check(&model).unwrap();
    let input = zoo::random_input(&model.input_shape, model.activation_bits, 3);
    let (output, proof) = network::prove::<F, E>(&model, &committed, &input).unwrap();
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = output.iter().copied().collect();
    network::verify(&model, &checked, &x, &y, &proof).unwrap();
    for i in 0..proof.values.len() {
        let mut bad = proof.clone();
        bad.values[i] += E::from(1u64);
        assert!(
            network::verify(&model, &checked, &x, &y, &bad).is_err(),
            "value {i} changed"
        );
    }
    for i in 0..proof.products.len() {
        let mut bad = proof.clone();
        bad.products[i].values[0] += E::from(1u64);
        assert!(
            network::verify(&model, &checked, &x, &y, &bad).is_err(),
            "product {i} changed"
        );
    }
    let mut short = proof.clone();
    short.values.pop();
    assert!(network::verify(&model, &checked, &x, &y, &short).is_err());
    let mut long = proof.clone();
    long.values.push(E::from(1u64));
    assert_eq!(
        network::verify(&model, &checked, &x, &y, &long).unwrap_err(),
        VerifyError::Leftover { what: "values" }
    );
}

/// A max-pool may read a concatenation's output (as SqueezeNet's and GoogLeNet's do): the plan
/// commits it (a copy, checked against the inputs at a fresh point), since a max-pool's views
/// sit at points with fixed coordinates, where only claims on committed tensors may be; both
/// max-pool protocols, on both fields. A max-pool of a flatten's output stays refused.
#[test]
fn dag_a_max_pool_of_a_concatenation_reads_a_committed_copy() {
    use zkcnn::model::{Layer, MaxPool2d};
    let mut model = zoo::fire_small(1);
    // After the first Fire module's concatenation (layer 9).
    model
        .layers
        .insert(10, Layer::MaxPool2d(MaxPool2d::new(2, 2)));
    model.layers.truncate(11);
    model.layers.push(Layer::FLATTEN);
    model
        .layers
        .push(zkcnn::model::Layer::Dense(zkcnn::model::Dense {
            input: None,
            in_features: 256,
            out_features: 3,
            weights: vec![1; 768],
            bias: vec![0; 3],
            shift: 0,
        }));
    model.validate().unwrap();
    let plan = network::plan::Plan::new(&model).unwrap();
    assert!(matches!(
        plan.steps[9],
        network::plan::Step::Concat(zkcnn::layers::concat::Concat { copy: Some(_), .. })
    ));
    assert!(matches!(
        plan.sources[10],
        network::plan::Source::Committed(_)
    ));
    let calibrated = |mut m: zkcnn::model::Model| {
        let samples: Vec<_> = (0..4)
            .map(|j| zoo::random_input(&m.input_shape, 8, 50 + j))
            .collect();
        zoo::calibrate_shifts(&mut m, &samples).unwrap();
        m
    };
    let model = calibrated(model);
    round_trip::<Goldilocks, GoldilocksExt2>(&model, 50);
    round_trip::<Bn254Fr, Bn254Fr>(&model, 51);
    // A 3×3 stride-2 ceil-mode max-pool (SqueezeNet's): the window protocol.
    let mut window = model.clone();
    window.layers[10] = Layer::MaxPool2d(MaxPool2d {
        size: 3,
        stride: 2,
        padding: 0,
        ceil_mode: true,
        input: None,
    });
    let window = calibrated(window);
    round_trip::<Goldilocks, GoldilocksExt2>(&window, 52);
    // Concatenations no max-pool reads stay derived (not committed).
    let plan = network::plan::Plan::new(&zoo::fire_small(1)).unwrap();
    assert_eq!(plan.sources[10], network::plan::Source::Derived);
    assert_eq!(plan.sources[17], network::plan::Source::Derived);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(8))]

    /// Random small DAGs (`model::random_dag`: layers reading any earlier tensor, adds,
    /// concatenations of channel counts that are not powers of two) prove and verify.
    #[test]
    fn dag_random_models_round_trip(seed: u64, layers in 1usize..7) {
        let model = super::model::random_dag(seed, layers);
        type F = Goldilocks;
        type E = GoldilocksExt2;
        let committed = network::commit_model::<F, E>(&model).unwrap();
        let checked = committed.public.check(&model).unwrap();
        let input = zoo::random_input(&model.input_shape, model.activation_bits, seed);
        let (output, proof) = network::prove::<F, E>(&model, &committed, &input).unwrap();
        let x: Vec<i64> = input.iter().copied().collect();
        let y: Vec<i64> = output.iter().copied().collect();
        network::verify(&model, &checked, &x, &y, &proof).unwrap();
        let mut y2 = y.clone();
        y2[0] += 1;
        proptest::prop_assert!(network::verify(&model, &checked, &x, &y2, &proof).is_err());
    }
}

/// A DAG proof's bytes (the Fire modules': concatenations' values and sum-checks among them)
/// round-trip; flipped bits anywhere are refused, by the format or the verifier, never
/// accepted and never a panic; dropped or added product sum-checks are counted.
#[test]
fn dag_byte_flips_are_rejected() {
    let Flipped {
        model,
        checked,
        proof,
        x,
        y,
        ..
    } = byte_flips_refused(zoo::fire_small(4), 12, |rng, len| {
        (0..300).map(|_| rng.gen_range(0..len)).collect()
    });
    let mut short = proof.clone();
    short.products.pop();
    assert!(network::verify(&model, &checked, &x, &y, &short).is_err());
    let mut long = proof.clone();
    long.products.push(proof.products[0].clone());
    assert_eq!(
        network::verify(&model, &checked, &x, &y, &long).unwrap_err(),
        VerifyError::Leftover {
            what: "product sum-checks"
        }
    );
}

/// The range table's bits follow the widest shift (`spec/requant-relu.md`, "Range table"): the
/// activation bits when no shift is wider, the widest shift up to 16, and 16 beyond; every
/// requantization's remainder is `⌈s/T⌉` limbs, the top one `s − (k − 1)·T` bits wide.
#[test]
fn the_range_table_follows_the_widest_shift() {
    use zkcnn::model::Layer;
    use zkcnn::network::plan::{table_bits, Plan, MAX_TABLE_BITS};
    let mut model = zoo::small_vgg(1);
    let widest = model.layers.iter().filter_map(Layer::shift).max().unwrap();
    assert!(
        widest > model.activation_bits,
        "random int8 weights: {widest}"
    );
    for (set, expect) in [(None, widest), (Some(3), 8), (Some(20), MAX_TABLE_BITS)] {
        if let Some(shift) = set {
            for layer in &mut model.layers {
                if let Layer::Conv2d(c) = layer {
                    c.shift = shift;
                }
                if let Layer::Dense(d) = layer {
                    d.shift = shift;
                }
            }
        }
        assert_eq!(table_bits(&model), expect);
        let plan = Plan::new(&model).unwrap();
        assert_eq!(plan.table_bits, expect);
        assert_eq!(
            plan.advice_vars[plan.multiplicities_segment()],
            expect as usize
        );
        for (l, layer) in model.layers.iter().enumerate() {
            let (Some(s), Some(r)) = (layer.shift(), plan.requant_of(l)) else {
                continue;
            };
            let widths: Vec<u32> = r.limbs.iter().map(|&(_, w)| w).collect();
            assert_eq!(
                widths.len() as u32,
                s.div_ceil(expect),
                "layer {l}: {widths:?}"
            );
            assert_eq!(widths.iter().sum::<u32>(), s);
            assert!(widths.iter().all(|&w| w <= expect && w > 0));
        }
    }
}
