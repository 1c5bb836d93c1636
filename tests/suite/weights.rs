//! Split models (`zkcnn::model::file`, `zkcnn::model::weights`, `spec/model-format.md`): round
//! trips to the same `Model` and the same commitment and proof bytes; every header field
//! tampered; truncations; random bytes and random edits (never a panic, never an allocation
//! beyond the architecture's parameters); the split JSON's own errors.

use proptest::prelude::*;
use std::path::{Path, PathBuf};
use zkcnn::field::{Goldilocks as F, GoldilocksExt2 as E};
use zkcnn::model::file::{self, LoadError, ModelJson, WeightsForm};
use zkcnn::model::weights::{self, WeightsError, HEADER_BYTES, MAX_NUMBERS};
use zkcnn::model::{zoo, Dense, Layer, LayerKind, Model, ModelError};
use zkcnn::network;

fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("weights-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn bytes_of(model: &Model) -> Vec<u8> {
    let mut out = Vec::new();
    let len = weights::write(model, &mut out).unwrap();
    assert_eq!(len, out.len() as u64);
    out
}

fn read(architecture: &Model, bytes: &[u8]) -> Result<Model, WeightsError> {
    weights::read(architecture, bytes, bytes.len() as u64)
}

/// Recomputes the trailing checksum after an edit, so that the edit itself is what is checked.
fn reseal(bytes: &mut [u8]) {
    let n = bytes.len() - 32;
    let digest = *blake3::hash(&bytes[..n]).as_bytes();
    bytes[n..].copy_from_slice(&digest);
}

fn lenet() -> Model {
    zoo::lenet5(3)
}

#[test]
fn round_trips_to_the_same_model() {
    let model = lenet();
    let bytes = bytes_of(&model);
    // int8 weights take one byte, biases four: the header, 16 bytes per layer, the checksum.
    let (w, b) = model.layers.iter().fold((0, 0), |(w, b), l| match l {
        Layer::Conv2d(c) => (w + c.weights.len(), b + c.bias.len()),
        Layer::Dense(d) => (w + d.weights.len(), b + d.bias.len()),
        _ => (w, b),
    });
    assert_eq!(bytes.len(), 56 + 16 * 5 + w + 4 * b + 32);
    assert_eq!(read(&model.architecture(), &bytes).unwrap(), model);
    // The architecture may carry weights: they are replaced.
    assert_eq!(read(&model, &bytes).unwrap(), model);

    // Wider weights take two bytes and read back the same.
    let mut wide = model.clone();
    wide.weight_bits = 12;
    if let Layer::Conv2d(c) = &mut wide.layers[0] {
        c.weights[0] = -2047;
        c.weights[1] = 2047;
    }
    let wide_bytes = bytes_of(&wide);
    assert_eq!(wide_bytes[10], 2);
    assert_eq!(wide_bytes.len(), bytes.len() + w);
    assert_eq!(read(&wide.architecture(), &wide_bytes).unwrap(), wide);
}

/// A grouped convolution's weights are `[out][in / groups][kh][kw]`: the file holds that many,
/// and reads back the same model (the MobileNet-style zoo model's depthwise layers).
#[test]
fn grouped_convolutions_round_trip() {
    let model = zoo::mobilenet_small(2);
    let grouped: Vec<_> = model
        .layers
        .iter()
        .filter_map(|l| match l {
            Layer::Conv2d(c) if c.groups > 1 => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(grouped.len(), 2);
    for c in grouped {
        assert_eq!(c.weights.len(), c.out_channels * 9);
    }
    let bytes = bytes_of(&model);
    assert_eq!(read(&model.architecture(), &bytes).unwrap(), model);
}

#[test]
fn the_split_form_gives_the_same_model_commitment_and_proof() {
    let dir = workdir("round-trip");
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/golden/every-kind.json");
    let model = file::load(&golden).unwrap();
    assert_eq!(
        model,
        Model::from_json(&std::fs::read_to_string(&golden).unwrap()).unwrap()
    );
    let (inline, split) = (dir.join("inline.json"), dir.join("split.json"));
    assert_eq!(
        file::save(&model, &inline, WeightsForm::Inline).unwrap(),
        None
    );
    let (weights_path, len) = file::save(&model, &split, WeightsForm::File)
        .unwrap()
        .unwrap();
    assert_eq!(weights_path, dir.join("split.weights"));
    assert_eq!(std::fs::metadata(&weights_path).unwrap().len(), len);
    let text = std::fs::read_to_string(&split).unwrap();
    assert!(text.starts_with("{\"weights_file\":\"split.weights\",\"architecture\":{"));
    assert_eq!(
        Model::from_json(&text),
        Err(ModelError::SplitModel {
            weights_file: "split.weights".into()
        })
    );
    assert_eq!(
        Model::architecture_from_json(&text).unwrap(),
        model.architecture()
    );
    assert_eq!(
        file::load_architecture(&split).unwrap(),
        model.architecture()
    );

    let (a, b) = (file::load(&inline).unwrap(), file::load(&split).unwrap());
    assert_eq!(a, model);
    assert_eq!(b, model);
    let (ca, cb) = (
        network::commit_model::<F, E>(&a).unwrap(),
        network::commit_model::<F, E>(&b).unwrap(),
    );
    assert!(ca.public == cb.public);
    let x = zoo::random_input(&model.input_shape, model.activation_bits, 5);
    let (ya, pa) = network::prove::<F, E>(&a, &ca, &x).unwrap();
    let (yb, pb) = network::prove::<F, E>(&b, &cb, &x).unwrap();
    assert_eq!(ya, yb);
    let xs: Vec<i64> = x.iter().copied().collect();
    let ys: Vec<i64> = ya.iter().copied().collect();
    let digest = network::statement_digest(&model, ca.commitment(), &xs, &ys);
    assert_eq!(pa.to_bytes(digest), pb.to_bytes(digest));
    // Auto: inline for small models.
    assert_eq!(
        file::save(&model, &dir.join("auto.json"), WeightsForm::Auto).unwrap(),
        None
    );
}

#[test]
fn every_header_field_is_checked() {
    let model = lenet();
    let arch = model.architecture();
    let good = bytes_of(&model);
    let edited = |at: usize, new: &[u8], seal: bool| {
        let mut b = good.clone();
        b[at..at + new.len()].copy_from_slice(new);
        if seal {
            reseal(&mut b);
        }
        read(&arch, &b)
    };
    assert!(matches!(
        edited(0, b"ZKCNNCOM", true),
        Err(WeightsError::NotWeights)
    ));
    assert!(matches!(
        edited(8, &2u16.to_le_bytes(), true),
        Err(WeightsError::Version { found: 2 })
    ));
    assert!(matches!(
        edited(10, &[3], true),
        Err(WeightsError::Width {
            what: "weight",
            width: 3
        })
    ));
    assert!(matches!(
        edited(11, &[0], true),
        Err(WeightsError::Width {
            what: "bias",
            width: 0
        })
    ));
    // The weights read with other widths no longer fill the file.
    assert!(matches!(
        edited(10, &[2], true),
        Err(WeightsError::Truncated { .. })
    ));
    assert!(matches!(
        edited(11, &[1], true),
        Err(WeightsError::TrailingBytes { .. })
    ));
    assert!(matches!(
        edited(12, &6u32.to_le_bytes(), true),
        Err(WeightsError::Layers {
            file: 6,
            architecture: 5
        })
    ));
    // A hostile header claiming 2^60 numbers is refused before anything is allocated.
    assert!(matches!(
        edited(16, &(1u64 << 60).to_le_bytes(), true),
        Err(WeightsError::TooLarge {
            numbers: 0x1000_0000_0000_0000,
            ..
        })
    ));
    assert!(matches!(
        edited(16, &7u64.to_le_bytes(), true),
        Err(WeightsError::Total { header: 7, .. })
    ));
    assert!(matches!(
        edited(24, &[0; 32], true),
        Err(WeightsError::Architecture)
    ));
    // The table: the second entry's layer index, weight count (2^60: no allocation), biases.
    let entry = HEADER_BYTES as usize + 16;
    assert!(matches!(
        edited(entry, &1u32.to_le_bytes(), true),
        Err(WeightsError::Entry {
            entry: 1,
            layer: 3,
            kind: LayerKind::Conv2d,
            field: "for layer",
            file: 1,
            architecture: 3
        })
    ));
    assert!(matches!(
        edited(entry + 4, &(1u64 << 60).to_le_bytes(), true),
        Err(WeightsError::Entry {
            entry: 1,
            field: "weights",
            architecture: 2400,
            ..
        })
    ));
    assert!(matches!(
        edited(entry + 12, &17u32.to_le_bytes(), true),
        Err(WeightsError::Entry {
            field: "biases",
            file: 17,
            architecture: 16,
            ..
        })
    ));
    // A data byte or the checksum changed: the checksum names the corruption.
    let data = HEADER_BYTES as usize + 16 * 5 + 10;
    let err = edited(data, &[good[data] ^ 1], false).unwrap_err();
    assert!(matches!(err, WeightsError::Checksum { .. }), "{err}");
    assert!(err.to_string().contains("corrupt"));
    let last = good.len() - 1;
    assert!(matches!(
        edited(last, &[good[last] ^ 0x80], false),
        Err(WeightsError::Checksum { .. })
    ));
    // A value outside the weight range (a resealed file, as a writer with a bug would make
    // it) is named by layer and index.
    let first_weight = HEADER_BYTES as usize + 16 * 5;
    let mut wide = good.clone();
    wide[first_weight] = 0x80; // −128 is int8's minimum: in range
    reseal(&mut wide);
    assert!(read(&arch, &wide).is_ok());
    let mut model16 = model.clone();
    model16.weight_bits = 16;
    let mut b16 = bytes_of(&model16);
    b16[first_weight..first_weight + 2].copy_from_slice(&300i16.to_le_bytes());
    b16[24..56].copy_from_slice(&good[24..56]); // claim lenet's 8-bit architecture
    reseal(&mut b16);
    let err = read(&arch, &b16).unwrap_err();
    assert!(
        matches!(
            err,
            WeightsError::Model(ModelError::WeightOutOfRange {
                layer: 0,
                index: 0,
                value: 300,
                ..
            })
        ),
        "{err}"
    );
}

#[test]
fn every_truncation_and_extension_is_an_error() {
    let model = zoo::small_vgg(1);
    let arch = model.architecture();
    let good = bytes_of(&model);
    for n in 0..good.len() {
        let err = read(&arch, &good[..n]).unwrap_err();
        assert!(
            matches!(err, WeightsError::Truncated { len, .. } if len <= n as u64),
            "{n}: {err}"
        );
    }
    let mut long = good.clone();
    long.push(0);
    assert!(matches!(
        read(&arch, &long),
        Err(WeightsError::TrailingBytes { .. })
    ));
    // A reader that is given a wrong length (a file that grows or shrinks while read).
    assert!(matches!(
        weights::read(&arch, &long[..], good.len() as u64),
        Err(WeightsError::TrailingBytes { .. })
    ));
    assert!(matches!(
        weights::read(&arch, &good[..good.len() - 1], good.len() as u64),
        Err(WeightsError::Truncated { .. })
    ));
}

#[test]
fn weights_of_another_architecture_are_refused() {
    let model = lenet();
    let bytes = bytes_of(&model);
    // Another layer size: named by entry and layer.
    let other = zoo::small_vgg(1);
    assert!(matches!(
        read(&other.architecture(), &bytes),
        Err(WeightsError::Layers {
            file: 5,
            architecture: 4
        })
    ));
    let mut fewer = model.architecture();
    if let Layer::Dense(d) = &mut fewer.layers[11] {
        d.out_features = 9;
    }
    assert!(matches!(
        read(&fewer, &bytes),
        Err(WeightsError::Entry {
            entry: 4,
            layer: 11,
            kind: LayerKind::Dense,
            field: "weights",
            file: 840,
            architecture: 756,
        })
    ));
    // The same sizes with another shift: the architecture's digest differs.
    let mut shifted = model.architecture();
    shifted.layers[0].set_shift(model.layers[0].shift().unwrap() + 1);
    assert!(matches!(
        read(&shifted, &bytes),
        Err(WeightsError::Architecture)
    ));
    // An architecture beyond the limit is refused before the file is read.
    let huge = Model {
        name: "huge".into(),
        input_shape: vec![1 << 20],
        activation_bits: 8,
        weight_bits: 8,
        layers: vec![Layer::Dense(Dense {
            input: None,
            in_features: 1 << 20,
            out_features: 1 << 20,
            weights: vec![],
            bias: vec![],
            shift: 0,
        })],
        quantization: None,
        saturate: false,
        bias_bits: 32,
    };
    huge.validate_architecture().unwrap();
    assert!(matches!(
        read(&huge, &bytes),
        Err(WeightsError::TooLarge { numbers, .. }) if numbers > MAX_NUMBERS
    ));
}

#[test]
fn split_json_errors_name_the_problem() {
    let dir = workdir("json");
    let model = lenet();
    let json = file::split_json(&model, "m.weights");
    assert!(matches!(
        ModelJson::parse(&json),
        Ok(ModelJson::Split { weights_file, .. }) if weights_file == "m.weights"
    ));
    for bad in [
        "../m.weights",
        "/etc/passwd",
        "",
        "a/../../b",
        "./m.weights",
    ] {
        let text = json.replace("\"m.weights\"", &format!("{bad:?}"));
        assert_eq!(
            ModelJson::parse(&text),
            Err(ModelError::WeightsFile {
                weights_file: bad.into()
            }),
            "{bad}"
        );
    }
    assert!(ModelJson::parse(&json.replace("\"m.weights\"", "\"sub/m.weights\"")).is_ok());
    // Weights in the architecture as well as a weights file: one place only.
    let both = format!(
        "{{\"weights_file\":\"m.weights\",\"architecture\":{}}}",
        serde_json::to_string(&model).unwrap()
    );
    assert_eq!(
        ModelJson::parse(&both),
        Err(ModelError::WeightsInArchitecture {
            layer: 0,
            kind: LayerKind::Conv2d
        })
    );
    let unknown = json.replace("{\"weights_file\"", "{\"colour\":1,\"weights_file\"");
    assert!(
        matches!(ModelJson::parse(&unknown), Err(ModelError::Json { message, .. }) if message.contains("colour"))
    );

    // Loading names the file at fault.
    let path = dir.join("m.json");
    std::fs::write(&path, &json).unwrap();
    let err = file::load(&path).unwrap_err();
    assert!(
        matches!(&err, LoadError::Read { what: "weights", path, .. } if path.ends_with("m.weights")),
        "{err}"
    );
    assert!(err.to_string().contains("m.weights"), "{err}");
    // The architecture alone does not need the weights file.
    assert_eq!(
        file::load_architecture(&path).unwrap(),
        model.architecture()
    );
    let mut bytes = bytes_of(&model);
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(dir.join("m.weights"), &bytes).unwrap();
    let err = file::load(&path).unwrap_err().to_string();
    assert!(
        err.contains("invalid weights") && err.contains("m.weights") && err.contains("checksum"),
        "{err}"
    );
    bytes[last] ^= 1;
    std::fs::write(dir.join("m.weights"), &bytes).unwrap();
    assert_eq!(file::load(&path).unwrap(), model);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random bytes (behind the right magic and version half of the time) never panic and are
    /// refused.
    #[test]
    fn random_bytes_are_refused(tail in prop::collection::vec(any::<u8>(), 0..400), framed: bool) {
        let arch = lenet().architecture();
        let mut bytes = Vec::new();
        if framed {
            bytes.extend_from_slice(&weights::MAGIC);
            bytes.extend_from_slice(&weights::VERSION.to_le_bytes());
        }
        bytes.extend_from_slice(&tail);
        prop_assert!(read(&arch, &bytes).is_err());
    }

    /// Any edit of a valid file (a byte changed, the file cut or extended) is refused, and
    /// with the checksum resealed it is refused or reads a valid model.
    #[test]
    fn edited_files_are_refused(at in any::<prop::sample::Index>(), xor in 1u8..=255, cut in 0usize..64) {
        let model = zoo::small_vgg(2);
        let arch = model.architecture();
        let good = bytes_of(&model);
        let i = at.index(good.len());
        let mut b = good.clone();
        b[i] ^= xor;
        prop_assert!(read(&arch, &b).is_err());
        reseal(&mut b);
        if let Ok(m) = read(&arch, &b) {
            prop_assert!(m.validate().is_ok());
            prop_assert!(i >= HEADER_BYTES as usize + 16 * 4, "a header edit was accepted at {}", i);
        }
        let cut = cut.min(good.len());
        prop_assert!(read(&arch, &good[..good.len() - cut]).is_err() || cut == 0);
    }
}
