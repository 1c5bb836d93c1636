//! End-to-end tests of the `zkcnn` binary: every subcommand's happy path on small models, and
//! every kind of bad input, checking the exit status and that the error is one line on stderr
//! that names the problem and the file (and never a panic).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use zkcnn::model::{Conv2d, Dense, Layer, MaxPool2d, Model, Quantization};

/// A fresh directory for one test, under Cargo's per-target temporary directory.
fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn zkcnn(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkcnn"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts success and returns stdout.
fn ok(out: Output) -> String {
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {stdout}\nstderr: {stderr}",
        out.status.code()
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    stdout
}

/// Asserts exit status 1 and one line on stderr, `zkcnn: …`, containing every word of `words`.
fn fails(out: Output, words: &[&str]) -> String {
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("internal error"),
        "{stderr}"
    );
    assert!(!stderr.contains("backtrace"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
    assert!(stderr.starts_with("zkcnn: "), "{stderr}");
    for w in words {
        assert!(stderr.contains(w), "{w:?} missing from: {stderr}");
    }
    stderr
}

/// conv 1→2 (3×3, padding 1), ReLU, max-pool 2, flatten, dense 18→4, on [1, 6, 6].
fn tiny(seed: i64) -> Model {
    let w = |n: usize, m: i64| -> Vec<i64> {
        (0..n as i64)
            .map(|i| ((i * 5 + 3 + seed) % (2 * m + 1)) - m)
            .collect()
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

/// The tiny model with quantization: real inputs times 2^4.
fn tiny_quantized() -> Model {
    let mut m = tiny(0);
    m.name = "tiny-q".into();
    m.quantization = Some(Quantization {
        input_frac_bits: 4,
        output_frac_bits: 2,
        outside: vec!["ArgMax".into()],
    });
    m
}

/// A [1, 6, 6] JSON input of integers (seeded).
fn input_json(seed: i64) -> String {
    let rows: Vec<Vec<i64>> = (0..6)
        .map(|y| {
            (0..6)
                .map(|x| ((y * 6 + x) * 13 + seed) % 41 - 20)
                .collect()
        })
        .collect();
    serde_json::to_string(&vec![rows]).unwrap()
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

/// Writes `m.json` (tiny), `x.json`, and makes `c.bin`, `a.json`, `p.bin`, `y.json`.
fn proven(name: &str) -> PathBuf {
    let dir = workdir(name);
    write(&dir, "m.json", tiny(0).to_json());
    write(&dir, "x.json", input_json(0));
    ok(zkcnn(
        &dir,
        &[
            "commit",
            "--transparent",
            "m.json",
            "-o",
            "c.bin",
            "--architecture",
            "a.json",
        ],
    ));
    ok(zkcnn(
        &dir,
        &[
            "prove",
            "--transparent",
            "m.json",
            "x.json",
            "-o",
            "p.bin",
            "--output",
            "y.json",
        ],
    ));
    dir
}

const VERIFY: [&str; 6] = ["verify", "a.json", "c.bin", "x.json", "y.json", "p.bin"];

#[test]
fn commit_prove_verify() {
    let dir = proven("happy");
    let stdout = ok(zkcnn(&dir, &VERIFY));
    assert!(stdout.starts_with("valid"), "{stdout}");
    // The full model verifies too, and --json gives one JSON object.
    let stdout = ok(zkcnn(
        &dir,
        &[
            "--json", "verify", "m.json", "c.bin", "x.json", "y.json", "p.bin",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["valid"], true);
    // The output file holds the proven output and the argmax class.
    let y: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("y.json")).unwrap()).unwrap();
    let out: Vec<i64> = serde_json::from_value(y["output"].clone()).unwrap();
    assert_eq!(out.len(), 4);
    let best = (0..4)
        .max_by_key(|&i| (out[i], std::cmp::Reverse(i)))
        .unwrap();
    assert_eq!(y["class"], best);
    // A plain JSON array is accepted as the output too.
    write(&dir, "plain.json", serde_json::to_string(&out).unwrap());
    ok(zkcnn(
        &dir,
        &["verify", "a.json", "c.bin", "x.json", "plain.json", "p.bin"],
    ));
    // prove checks a given commitment, and reports in JSON.
    let stdout = ok(zkcnn(
        &dir,
        &[
            "--json",
            "prove",
            "--transparent",
            "m.json",
            "x.json",
            "-o",
            "p2.bin",
            "--commitment",
            "c.bin",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["output"]["output"], y["output"]);
    assert!(v["proof_bytes"].as_u64().unwrap() > 1000);
    let commit: serde_json::Value = serde_json::from_str(&ok(zkcnn(
        &dir,
        &[
            "--json",
            "commit",
            "--transparent",
            "m.json",
            "-o",
            "c2.bin",
        ],
    )))
    .unwrap();
    assert_eq!(commit["model"], "tiny");
    assert_eq!(
        std::fs::read(dir.join("c.bin")).unwrap(),
        std::fs::read(dir.join("c2.bin")).unwrap()
    );
    // Commit once with the prover data, prove from it: the same proof as recomputing.
    ok(zkcnn(
        &dir,
        &[
            "commit",
            "--transparent",
            "m.json",
            "-o",
            "c3.bin",
            "--prover-data",
            "c3.prv",
        ],
    ));
    let prove_with = |data: &str, out: &str| {
        zkcnn(
            &dir,
            &[
                "prove",
                "--transparent",
                "m.json",
                "x.json",
                "-o",
                out,
                "--commitment",
                "c3.bin",
                "--prover-data",
                data,
            ],
        )
    };
    ok(prove_with("c3.prv", "p3.bin"));
    assert_eq!(
        std::fs::read(dir.join("p3.bin")).unwrap(),
        std::fs::read(dir.join("p2.bin")).unwrap()
    );
    // Prover data that is truncated, flipped or for another model is refused in one line.
    let data = std::fs::read(dir.join("c3.prv")).unwrap();
    write(&dir, "cut.prv", &data[..data.len() / 2]);
    fails(prove_with("cut.prv", "p4.bin"), &["prover data", "cut.prv"]);
    let mut flipped = data.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    write(&dir, "flip.prv", &flipped);
    fails(
        prove_with("flip.prv", "p4.bin"),
        &["prover data", "flip.prv"],
    );
    write(&dir, "junk.prv", [b'x'; 200]);
    fails(prove_with("junk.prv", "p4.bin"), &["prover data", "magic"]);
    fails(
        prove_with("cut.prv", "p4.bin"),
        &["prover data", "truncated"],
    );
    // --prover-data needs --commitment.
    let out = zkcnn(
        &dir,
        &[
            "prove",
            "--transparent",
            "m.json",
            "x.json",
            "-o",
            "p4.bin",
            "--prover-data",
            "c3.prv",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn inspect_shows_layers_sizes_and_estimate() {
    let dir = workdir("inspect");
    write(&dir, "m.json", tiny(0).to_json());
    let stdout = ok(zkcnn(&dir, &["inspect", "m.json"]));
    for w in [
        "Conv2d",
        "Dense",
        "[2, 6, 6]",
        "committed model",
        "advice",
        "estimate",
    ] {
        assert!(stdout.contains(w), "{w:?} missing from: {stdout}");
    }
    let v: serde_json::Value =
        serde_json::from_str(&ok(zkcnn(&dir, &["--json", "inspect", "m.json"]))).unwrap();
    assert_eq!(v["layers"].as_array().unwrap().len(), 5);
    // 18 + 2 conv parameters, 72 + 4 dense parameters.
    assert_eq!(v["parameters"], 96);
    assert!(v["estimate"]["proof_bytes"].as_u64().unwrap() > 0);
    let v: serde_json::Value = serde_json::from_str(&ok(zkcnn(
        &dir,
        &["--json", "inspect", "m.json", "--measure"],
    )))
    .unwrap();
    assert!(v["measured"]["proof_bytes"].as_u64().unwrap() > 1000);
}

#[test]
fn npy_and_quantized_inputs() {
    let dir = workdir("npy");
    write(&dir, "m.json", tiny(0).to_json());
    write(&dir, "q.json", tiny_quantized().to_json());
    let ints: Vec<i64> = (0..36).map(|i| (i * 13) % 41 - 20).collect();
    write(&dir, "x.npy", zkcnn::npy::write_i64(&[1, 1, 6, 6], &ints));
    ok(zkcnn(
        &dir,
        &["commit", "--transparent", "m.json", "-o", "c.bin"],
    ));
    ok(zkcnn(
        &dir,
        &[
            "prove",
            "--transparent",
            "m.json",
            "x.npy",
            "-o",
            "p.bin",
            "--output",
            "y.json",
        ],
    ));
    ok(zkcnn(
        &dir,
        &["verify", "m.json", "c.bin", "x.npy", "y.json", "p.bin"],
    ));
    // The same integers as JSON are the same statement.
    write(&dir, "x.json", input_json(0));
    ok(zkcnn(
        &dir,
        &["verify", "m.json", "c.bin", "x.json", "y.json", "p.bin"],
    ));

    // A model with quantization takes real values (JSON or float .npy), quantized alike.
    let reals: Vec<f32> = (0..36).map(|i| (i as f32 - 18.0) / 8.0).collect();
    write(&dir, "r.npy", zkcnn::npy::write_f32(&[1, 6, 6], &reals));
    let nested: Vec<Vec<f32>> = reals.chunks(6).map(<[f32]>::to_vec).collect();
    write(
        &dir,
        "r.json",
        serde_json::to_string(&vec![nested]).unwrap(),
    );
    ok(zkcnn(
        &dir,
        &["commit", "--transparent", "q.json", "-o", "cq.bin"],
    ));
    ok(zkcnn(
        &dir,
        &[
            "prove",
            "--transparent",
            "q.json",
            "r.npy",
            "-o",
            "pq.bin",
            "--output",
            "yq.json",
        ],
    ));
    ok(zkcnn(
        &dir,
        &["verify", "q.json", "cq.bin", "r.json", "yq.json", "pq.bin"],
    ));
    let y: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("yq.json")).unwrap()).unwrap();
    let out: Vec<i64> = serde_json::from_value(y["output"].clone()).unwrap();
    let deq: Vec<f64> = serde_json::from_value(y["dequantized"].clone()).unwrap();
    assert_eq!(deq, out.iter().map(|&v| v as f64 / 4.0).collect::<Vec<_>>());
    // Another real input is another statement.
    let other: Vec<f32> = reals.iter().map(|r| r + 0.5).collect();
    write(&dir, "r2.npy", zkcnn::npy::write_f32(&[1, 6, 6], &other));
    fails(
        zkcnn(
            &dir,
            &["verify", "q.json", "cq.bin", "r2.npy", "yq.json", "pq.bin"],
        ),
        &["pq.bin", "another statement"],
    );
}

#[test]
fn bad_model_and_input_files() {
    let dir = proven("bad-files");
    let prove = |model: &str, input: &str| {
        zkcnn(
            &dir,
            &["prove", "--transparent", model, input, "-o", "out.bin"],
        )
    };
    fails(
        prove("missing.json", "x.json"),
        &["cannot read model 'missing.json'", "no such file"],
    );
    fails(
        prove("m.json", "missing.json"),
        &["cannot read input 'missing.json'", "no such file"],
    );
    fails(prove(".", "x.json"), &["model '.'"]);
    write(&dir, "syntax.json", "{\"name\": \"tiny\", ");
    fails(
        prove("syntax.json", "x.json"),
        &["invalid model 'syntax.json'", "line"],
    );
    let mut unknown: serde_json::Value = serde_json::from_str(&tiny(0).to_json()).unwrap();
    unknown["colour"] = "blue".into();
    write(&dir, "unknown.json", unknown.to_string());
    fails(
        prove("unknown.json", "x.json"),
        &["invalid model 'unknown.json'", "unknown field", "colour"],
    );
    let mut bad = tiny(0);
    if let Layer::Dense(d) = &mut bad.layers[4] {
        d.in_features = 17;
    }
    write(&dir, "shapes.json", bad.to_json());
    fails(
        prove("shapes.json", "x.json"),
        &["invalid model 'shapes.json'", "layer 4"],
    );
    write(&dir, "binary.json", [0xff, 0xfe, 0x00]);
    fails(
        prove("binary.json", "x.json"),
        &["invalid model 'binary.json'"],
    );

    write(&dir, "short.json", "[[[1, 2, 3]]]");
    fails(
        prove("m.json", "short.json"),
        &["invalid input 'short.json'", "shape [1, 1, 3]", "[1, 6, 6]"],
    );
    write(&dir, "text.json", input_json(0).replacen("-20", "\"a\"", 1));
    fails(
        prove("m.json", "text.json"),
        &["invalid input 'text.json'", "[0][0][0]", "not a number"],
    );
    write(&dir, "ragged.json", "[[[1, 2], [3]]]");
    fails(
        prove("m.json", "ragged.json"),
        &["invalid input 'ragged.json'", "ragged"],
    );
    write(&dir, "real.json", input_json(0).replacen("-20", "0.5", 1));
    fails(
        prove("m.json", "real.json"),
        &["invalid input 'real.json'", "not an integer"],
    );
    write(&dir, "big.json", input_json(0).replacen("-20", "300", 1));
    fails(
        prove("m.json", "big.json"),
        &["invalid input 'big.json'", "activation range"],
    );
    write(&dir, "notjson.json", "hello");
    fails(
        prove("m.json", "notjson.json"),
        &["invalid input 'notjson.json'", "JSON"],
    );
    let npy = zkcnn::npy::write_i64(&[1, 6, 6], &[1; 36]);
    write(&dir, "cut.npy", &npy[..npy.len() - 5]);
    fails(
        prove("m.json", "cut.npy"),
        &["invalid input 'cut.npy'", ".npy"],
    );
    write(&dir, "magic.npy", b"not numpy at all");
    fails(
        prove("m.json", "magic.npy"),
        &["invalid input 'magic.npy'", "not a .npy file"],
    );
    write(&dir, "wrong.npy", zkcnn::npy::write_i64(&[6, 6], &[1; 36]));
    fails(
        prove("m.json", "wrong.npy"),
        &["invalid input 'wrong.npy'", "shape [6, 6]"],
    );
    write(
        &dir,
        "float.npy",
        zkcnn::npy::write_f32(&[1, 6, 6], &[0.5; 36]),
    );
    fails(
        prove("m.json", "float.npy"),
        &["invalid input 'float.npy'", "integer"],
    );
    // A valid model whose inference overflows on this input (shift 0 keeps accumulators as
    // they are): proving fails with the layer named.
    let mut overflow = tiny(0);
    if let Layer::Conv2d(c) = &mut overflow.layers[0] {
        c.shift = 0;
    }
    write(&dir, "overflow.json", overflow.to_json());
    fails(
        prove("overflow.json", "x.json"),
        &["cannot prove 'overflow.json' on 'x.json'", "layer 0"],
    );
    // An unwritable proof path.
    fails(
        zkcnn(
            &dir,
            &[
                "prove",
                "--transparent",
                "m.json",
                "x.json",
                "-o",
                "no/such/dir/p.bin",
            ],
        ),
        &["cannot write proof 'no/such/dir/p.bin'"],
    );
}

#[test]
fn bad_proofs_and_mismatched_files() {
    let dir = proven("bad-proofs");
    let verify = |args: [&str; 5]| {
        let mut all = vec!["verify"];
        all.extend(args);
        zkcnn(&dir, &all)
    };
    let proof = std::fs::read(dir.join("p.bin")).unwrap();

    fails(
        verify(["a.json", "c.bin", "x.json", "y.json", "none.bin"]),
        &["cannot read proof 'none.bin'"],
    );
    // Truncated: inside the header, and in the body.
    write(&dir, "t1.bin", &proof[..20]);
    fails(
        verify(["a.json", "c.bin", "x.json", "y.json", "t1.bin"]),
        &["invalid proof 't1.bin'", "truncated"],
    );
    write(&dir, "t2.bin", &proof[..proof.len() / 2]);
    fails(
        verify(["a.json", "c.bin", "x.json", "y.json", "t2.bin"]),
        &["invalid proof 't2.bin'", "truncated"],
    );
    let mut long = proof.clone();
    long.push(0);
    write(&dir, "long.bin", &long);
    fails(
        verify(["a.json", "c.bin", "x.json", "y.json", "long.bin"]),
        &["invalid proof 'long.bin'", "left over"],
    );
    write(&dir, "junk.bin", b"hello, this is not a proof at all");
    fails(
        verify(["a.json", "c.bin", "x.json", "y.json", "junk.bin"]),
        &["invalid proof 'junk.bin'", "not a zkcnn proof"],
    );
    // A flipped byte: in the statement digest, in the advice commitment, in a layer value,
    // and spread over the body.
    let header = 8 + 2 + 1 + 32;
    for (i, at) in [20, header + 5, header + 40 + 8 + 1]
        .into_iter()
        .chain((1..8).map(|k| header + k * (proof.len() - header) / 8))
        .enumerate()
    {
        let mut flipped = proof.clone();
        flipped[at] ^= 0x01;
        let name = format!("flip{i}.bin");
        write(&dir, &name, &flipped);
        let err = fails(
            verify(["a.json", "c.bin", "x.json", "y.json", &name]),
            &[&name],
        );
        assert!(
            err.contains("invalid proof") || err.contains("another statement"),
            "{err}"
        );
    }
    // Truncated anywhere: always a one-line error naming the file.
    for (i, len) in (1..12).map(|k| k * proof.len() / 12).enumerate() {
        let name = format!("cut{i}.bin");
        write(&dir, &name, &proof[..len]);
        fails(
            verify(["a.json", "c.bin", "x.json", "y.json", &name]),
            &[&name, "truncated"],
        );
    }
    // The advice root and a layer value decode but fail verification.
    let mut flipped = proof.clone();
    flipped[header + 5] ^= 0x01;
    write(&dir, "root.bin", &flipped);
    fails(
        verify(["a.json", "c.bin", "x.json", "y.json", "root.bin"]),
        &["invalid proof 'root.bin'"],
    );

    // Another input, another output, another model, another commitment.
    write(&dir, "x2.json", input_json(5));
    fails(
        verify(["a.json", "c.bin", "x2.json", "y.json", "p.bin"]),
        &["proof 'p.bin'", "another statement"],
    );
    let mut y: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("y.json")).unwrap()).unwrap();
    y["output"][0] = (y["output"][0].as_i64().unwrap() + 1).into();
    write(&dir, "y2.json", y.to_string());
    fails(
        verify(["a.json", "c.bin", "x.json", "y2.json", "p.bin"]),
        &["proof 'p.bin'", "another statement"],
    );
    write(&dir, "m2.json", tiny(1).to_json());
    ok(zkcnn(
        &dir,
        &["commit", "--transparent", "m2.json", "-o", "c2.bin"],
    ));
    fails(
        verify(["m2.json", "c2.bin", "x.json", "y.json", "p.bin"]),
        &["proof 'p.bin'", "another statement"],
    );
    fails(
        verify(["a.json", "c2.bin", "x.json", "y.json", "p.bin"]),
        &["proof 'p.bin'", "another statement"],
    );
    // A commitment for another architecture.
    let mut wide = tiny(0);
    wide.name = "tiny-renamed".into();
    write(&dir, "m3.json", wide.to_json());
    ok(zkcnn(
        &dir,
        &["commit", "--transparent", "m3.json", "-o", "c3.bin"],
    ));
    fails(
        verify(["a.json", "c3.bin", "x.json", "y.json", "p.bin"]),
        &["commitment 'c3.bin'", "another model architecture"],
    );
    // prove --commitment with another model's weights.
    fails(
        zkcnn(
            &dir,
            &[
                "prove",
                "--transparent",
                "m.json",
                "x.json",
                "-o",
                "q.bin",
                "--commitment",
                "c2.bin",
            ],
        ),
        &["commitment 'c2.bin'", "other weights"],
    );
    // Corrupt commitment files.
    let c = std::fs::read(dir.join("c.bin")).unwrap();
    write(&dir, "ct.bin", &c[..c.len() - 1]);
    fails(
        verify(["a.json", "ct.bin", "x.json", "y.json", "p.bin"]),
        &["invalid commitment 'ct.bin'", "truncated"],
    );
    write(
        &dir,
        "cj.bin",
        b"ZKCNNPRFxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    );
    fails(
        verify(["a.json", "cj.bin", "x.json", "y.json", "p.bin"]),
        &["invalid commitment 'cj.bin'", "not a zkcnn commitment"],
    );
    fails(
        verify(["a.json", "p.bin", "x.json", "y.json", "p.bin"]),
        &["invalid commitment 'p.bin'"],
    );
    // Output files of the wrong length or kind.
    write(&dir, "y3.json", "[1, 2, 3]");
    fails(
        verify(["a.json", "c.bin", "x.json", "y3.json", "p.bin"]),
        &["invalid output 'y3.json'", "3 values", "4"],
    );
    write(&dir, "y4.json", "{\"class\": 1}");
    fails(
        verify(["a.json", "c.bin", "x.json", "y4.json", "p.bin"]),
        &["invalid output 'y4.json'", "\"output\""],
    );
    // The architecture file alone cannot prove.
    fails(
        zkcnn(
            &dir,
            &["prove", "--transparent", "a.json", "x.json", "-o", "q.bin"],
        ),
        &["invalid model 'a.json'"],
    );
    // --json reports the error as JSON on stdout too.
    let out = verify(["a.json", "c.bin", "x2.json", "y.json", "p.bin"]);
    let v: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap_or_default();
    assert!(v.is_null(), "text mode prints nothing on stdout on failure");
    let out = zkcnn(
        &dir,
        &[
            "--json", "verify", "a.json", "c.bin", "x2.json", "y.json", "p.bin",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert!(v["error"].as_str().unwrap().contains("another statement"));
    fails(out, &["another statement"]);
}

#[test]
fn usage_errors_exit_with_2() {
    let dir = workdir("usage");
    for args in [
        &["frobnicate"][..],
        &["prove", "--transparent", "m.json"],
        &["verify", "a", "b", "c"],
        &["bench", "--only", "everything"],
        &["--threads", "two", "demo"],
        &[],
    ] {
        let out = zkcnn(&dir, args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(!text(&out.stderr).contains("panicked"));
    }
    let help = ok(zkcnn(&dir, &["--help"]));
    for w in [
        "prove",
        "--transparent",
        "verify",
        "commit",
        "--transparent",
        "inspect",
        "bench",
        "demo",
        "Exit status",
    ] {
        assert!(help.contains(w), "{w:?} missing from --help");
    }
    let out = zkcnn(&dir, &["--threads", "0", "demo"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("zkcnn: --threads must be at least 1"));
}

#[test]
fn demo_proves_and_verifies() {
    let dir = workdir("demo");
    let stdout = ok(zkcnn(&dir, &["demo"]));
    for w in [
        "predicted class",
        "prove",
        "verify",
        "zero knowledge",
        "reveals neither the weights nor the digit",
        "proof",
        "verified",
        "@",
    ] {
        assert!(stdout.contains(w), "{w:?} missing from: {stdout}");
    }
    let v: serde_json::Value = serde_json::from_str(&ok(zkcnn(&dir, &["--json", "demo"]))).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["output"].as_array().unwrap().len(), 10);
    assert_eq!(v["kind"], "zero-knowledge");
    assert_eq!(v["input_hidden"], true);
    // The trained LeNet-5 reads the fixture's held-out 6 correctly.
    assert_eq!(v["class"], 6);
}

#[test]
fn bench_prints_its_tables() {
    let dir = workdir("bench");
    let stdout = ok(zkcnn(&dir, &["bench", "--quick", "--only", "pcs"]));
    assert!(stdout.contains("| entries | commit | open | verify | proof | proven bits |"));
    let v: serde_json::Value = serde_json::from_str(&ok(zkcnn(
        &dir,
        &["--json", "bench", "--quick", "--only", "pcs"],
    )))
    .unwrap();
    let table = &v["tables"][0];
    assert_eq!(table["columns"][0], "entries");
    assert_eq!(table["rows"][0][0], "2^16");
}

/// The repository's fixtures folder.
fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

#[test]
fn import_then_prove_and_verify() {
    let dir = workdir("import");
    let f = fixtures().join("digits-cnn");
    let p = |name: &str| f.join(name).display().to_string();
    let stdout = ok(zkcnn(
        &dir,
        &[
            "--json",
            "import",
            &p("model.onnx"),
            "-o",
            "digits.json",
            "--calibration",
            &p("calibration.npy"),
            "--eval",
            &p("eval-images.npy"),
            &p("eval-labels.npy"),
            "--eval-divisor",
            "16",
            "--name",
            "digits-cnn",
            "--report",
            "report.json",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let agreement = &v["report"]["agreement"];
    assert_eq!(agreement["samples"], 1797);
    assert!(agreement["quantized_accuracy"].as_f64().unwrap() > 0.9);
    assert!(dir.join("report.json").exists());
    // The imported model is the committed fixture model (same calibration, same name).
    let ours =
        Model::from_json(&std::fs::read_to_string(dir.join("digits.json")).unwrap()).unwrap();
    let fixture =
        Model::from_json(&std::fs::read_to_string(f.join("model.json")).unwrap()).unwrap();
    assert_eq!(ours, fixture);
    // It proves and verifies on a real-valued JSON test input.
    let x = p("test-input-0.json");
    ok(zkcnn(
        &dir,
        &["commit", "--transparent", "digits.json", "-o", "c.bin"],
    ));
    ok(zkcnn(
        &dir,
        &[
            "prove",
            "--transparent",
            "digits.json",
            &x,
            "-o",
            "p.bin",
            "--output",
            "y.json",
        ],
    ));
    ok(zkcnn(
        &dir,
        &["verify", "digits.json", "c.bin", &x, "y.json", "p.bin"],
    ));
    let y: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("y.json")).unwrap()).unwrap();
    assert_eq!(
        y["class"], 3,
        "test input 0 is a 3 (fixtures/digits-cnn/report.json)"
    );
    assert!(y["dequantized"].is_array());

    // Bad inputs.
    let import = |args: &[&str]| {
        let mut all = vec!["import"];
        all.extend_from_slice(args);
        zkcnn(&dir, &all)
    };
    let onnx = p("model.onnx");
    let cal = p("calibration.npy");
    fails(
        import(&["none.onnx", "-o", "m.json", "--calibration", &cal]),
        &["cannot read ONNX model 'none.onnx'"],
    );
    fails(
        import(&[&x, "-o", "m.json", "--calibration", &cal]),
        &["cannot import", "test-input-0.json", "not an ONNX model"],
    );
    let lenet_cal = fixtures()
        .join("mnist-lenet5/calibration.npy")
        .display()
        .to_string();
    fails(
        import(&[&onnx, "-o", "m.json", "--calibration", &lenet_cal]),
        &["invalid samples", "[200, 1, 28, 28]", "[1, 8, 8]"],
    );
    fails(
        import(&[&onnx, "-o", "m.json", "--calibration", &x]),
        &["invalid samples", ".npy"],
    );
    fails(
        import(&[
            &onnx,
            "-o",
            "m.json",
            "--eval",
            &p("eval-images.npy"),
            &p("test-labels.npy"),
        ]),
        &["invalid labels", "8 labels for 1797"],
    );
    fails(
        import(&[&onnx, "-o", "no/dir/m.json", "--calibration", &cal]),
        &["cannot write model 'no/dir/m.json'"],
    );
    let out = import(&[&onnx, "-o", "m.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--calibration"));
}

#[test]
fn import_reads_external_data_next_to_the_model_and_names_nodes_in_errors() {
    let dir = workdir("import-external");
    let ops = fixtures().join("onnx-ops");
    std::fs::create_dir_all(dir.join("models")).unwrap();
    for f in [
        "flatten-dynamo.onnx",
        "flatten-dynamo.onnx.data",
        "flatten-dynamo-inputs.npy",
        "rejected-unknown-op.onnx",
        "gemm-inputs.npy",
    ] {
        std::fs::copy(ops.join(f), dir.join("models").join(f)).unwrap();
    }
    let import = |cwd: &Path, model: &str, cal: &str| {
        zkcnn(
            cwd,
            &["import", model, "-o", "m.json", "--calibration", cal],
        )
    };
    // The side file is found relative to the model, from any working directory.
    let out = ok(import(
        &dir,
        "models/flatten-dynamo.onnx",
        "models/flatten-dynamo-inputs.npy",
    ));
    assert!(out.contains("5 layers"), "{out}");
    ok(import(
        &dir.join("models"),
        "flatten-dynamo.onnx",
        "flatten-dynamo-inputs.npy",
    ));
    std::fs::remove_file(dir.join("models/flatten-dynamo.onnx.data")).unwrap();
    fails(
        import(
            &dir,
            "models/flatten-dynamo.onnx",
            "models/flatten-dynamo-inputs.npy",
        ),
        &[
            "cannot import 'models/flatten-dynamo.onnx'",
            "tensor \"w0\"",
            "\"flatten-dynamo.onnx.data\"",
            "no such file",
        ],
    );
    // An unsupported operator: the node's name, op type and output tensor.
    fails(
        import(
            &dir,
            "models/rejected-unknown-op.onnx",
            "models/gemm-inputs.npy",
        ),
        &[
            "cannot import 'models/rejected-unknown-op.onnx'",
            "node hardmax2 (Hardmax, output \"t2\")",
            "unsupported operator Hardmax",
        ],
    );
}

/// Exit status 0 or 1 with a clean one-line error; never a panic.
fn no_panic(out: Output) {
    let stderr = text(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{:?}: {stderr}",
        out.status
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("internal error"),
        "{stderr}"
    );
    assert!(
        out.status.success() || stderr.lines().count() == 1,
        "{stderr}"
    );
}

#[test]
fn altered_files_never_panic() {
    let dir = proven("altered");
    // Every byte of the commitment file's header and of its Basefold commitment, and 64
    // sampled bytes of its check, changed (the library's tests flip many more in-process).
    let c = std::fs::read(dir.join("c.bin")).unwrap();
    let positions =
        (0..c.len().min(43 + 40)).chain((0..64).map(|k| 83 + (k * 7919) % (c.len() - 83)));
    for i in positions {
        let mut changed = c.clone();
        changed[i] ^= 0x80;
        write(&dir, "c-alt.bin", &changed);
        let out = zkcnn(
            &dir,
            &["verify", "a.json", "c-alt.bin", "x.json", "y.json", "p.bin"],
        );
        assert_eq!(out.status.code(), Some(1));
        no_panic(out);
    }
    // Characters of the architecture, input and output files, replaced.
    for (file, replacements) in [
        ("a.json", ["9", "-", "]", "\"", "{"]),
        ("x.json", ["9", "-", "]", "e", ","]),
        ("y.json", ["9", "-", "]", "\"", ":"]),
    ] {
        let original = std::fs::read(dir.join(file)).unwrap();
        for (k, r) in replacements.iter().enumerate() {
            for j in 0..6 {
                let at = (j * 7919 + k * 131) % original.len();
                let mut changed = original.clone();
                changed[at] = r.as_bytes()[0];
                let name = format!("alt-{file}");
                write(&dir, &name, &changed);
                let mut args = vec!["verify", "a.json", "c.bin", "x.json", "y.json", "p.bin"];
                let slot = match file {
                    "a.json" => 1,
                    "x.json" => 3,
                    _ => 4,
                };
                args[slot] = &name;
                let out = zkcnn(&dir, &args);
                no_panic(out);
            }
        }
    }
}

// Hostile files: small (or sparse) files that declare huge sizes must be refused from the
// architecture or the file's length, before anything proportional is allocated or read.

/// The address space a `zkcnn` run that refuses a hostile file may use. The run gets it as a
/// hard limit (`RLIMIT_AS`, set in the child before exec), so an allocation beyond it fails and
/// the run aborts instead of exiting with status 1: refusing a file must cost memory
/// independent of the sizes it declares. ([`the_memory_limit_bites`] shows that it can fail.)
const HOSTILE_ADDRESS_SPACE: u64 = 100 << 20;
/// A refusal's time limit, generous for a loaded 2-core machine: refusals take milliseconds.
const HOSTILE_TIME: Duration = Duration::from_secs(5);

/// Runs `zkcnn` under [`HOSTILE_ADDRESS_SPACE`]; returns its output and wall time.
fn zkcnn_limited(dir: &Path, args: &[&str]) -> (Output, Duration) {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(env!("CARGO_BIN_EXE_zkcnn"));
    command.args(args).current_dir(dir);
    let limit = libc::rlimit {
        rlim_cur: HOSTILE_ADDRESS_SPACE as libc::rlim_t,
        rlim_max: HOSTILE_ADDRESS_SPACE as libc::rlim_t,
    };
    // SAFETY: the closure runs in the forked child before exec and only calls setrlimit, which
    // is async-signal-safe, on a value it owns.
    unsafe {
        command.pre_exec(move || {
            if libc::setrlimit(libc::RLIMIT_AS, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let start = Instant::now();
    let out = command.output().unwrap();
    (out, start.elapsed())
}

/// Asserts that `zkcnn args` refuses its hostile file as [`fails`] does (exit 1, one line with
/// every word of `words`), under the address-space limit and within [`HOSTILE_TIME`].
fn refused(dir: &Path, args: &[&str], words: &[&str]) -> String {
    let (out, took) = zkcnn_limited(dir, args);
    let err = fails(out, words);
    assert!(took < HOSTILE_TIME, "{args:?} took {took:?}");
    err
}

/// A sparse file of `len` bytes (no disk space used).
fn sparse(dir: &Path, name: &str, len: u64) {
    std::fs::File::create(dir.join(name))
        .unwrap()
        .set_len(len)
        .unwrap();
}

/// A one-layer architecture (no weights) as JSON.
fn architecture(input: &[usize], bits: u32, layer: serde_json::Value) -> String {
    serde_json::json!({
        "name": "hostile",
        "input_shape": input,
        "activation_bits": bits,
        "weight_bits": bits,
        "layers": [layer],
    })
    .to_string()
}

#[test]
fn the_memory_limit_bites() {
    // A valid model whose proof needs far more than the limit: under it, proving must fail
    // (the allocation fails and the run aborts), or the limit would show nothing.
    let dir = workdir("limit-bites");
    write(
        &dir,
        "relu.json",
        architecture(&[1, 1024, 1024], 8, serde_json::json!({"type": "Relu"})),
    );
    write(
        &dir,
        "x.json",
        serde_json::to_string(&vec![vec![vec![0; 1024]; 1024]]).unwrap(),
    );
    let (out, _) = zkcnn_limited(
        &dir,
        &[
            "prove",
            "--transparent",
            "relu.json",
            "x.json",
            "-o",
            "p.bin",
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("memory allocation"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn huge_kernels_and_paddings_are_refused_from_the_architecture() {
    let dir = workdir("hostile-kernel");
    // A 2^20 × 2^20 kernel on a [1, 1, 1] input padded by 2^19 (a ~200-byte file): 2^40 kernel
    // positions. Refused by every command before anything else is read (verify's other files
    // do not exist).
    let conv = |kernel: usize, padding: usize, weights: Vec<i64>| {
        serde_json::json!({
            "type": "Conv2d", "in_channels": 1, "out_channels": 1, "kernel": [kernel, kernel],
            "stride": 1, "padding": padding, "bias": if weights.is_empty() { vec![] } else { vec![0] },
            "weights": weights, "shift": 0,
        })
    };
    write(
        &dir,
        "k.json",
        architecture(&[1, 1, 1], 2, conv(1 << 20, 1 << 19, vec![])),
    );
    write(&dir, "x.json", "[[[0]]]");
    let positions = ["invalid model 'k.json'", "kernel positions", "16384"];
    refused(&dir, &["inspect", "k.json"], &positions);
    refused(
        &dir,
        &["verify", "k.json", "c.bin", "x.json", "y.json", "p.bin"],
        &positions,
    );
    // commit and prove need the weights: the file lacks 2^40 of them.
    let weights = ["invalid model 'k.json'", "0 weights", "1099511627776"];
    refused(
        &dir,
        &["commit", "--transparent", "k.json", "-o", "c.bin"],
        &weights,
    );
    refused(
        &dir,
        &["prove", "--transparent", "k.json", "x.json", "-o", "p.bin"],
        &weights,
    );
    // One 64 × 64 kernel, with its 4096 weights: beyond the plan's 1024 positions per layer.
    write(
        &dir,
        "k64.json",
        architecture(&[1, 1, 1], 8, conv(64, 32, vec![0; 4096])),
    );
    let area = [
        "'k64.json'",
        "layer 0",
        "kernel positions (height × width)",
        "1024",
    ];
    refused(&dir, &["inspect", "k64.json"], &area);
    refused(
        &dir,
        &["commit", "--transparent", "k64.json", "-o", "c.bin"],
        &area,
    );
    refused(
        &dir,
        &[
            "prove",
            "--transparent",
            "k64.json",
            "x.json",
            "-o",
            "p.bin",
        ],
        &area,
    );
    // A 1×1 convolution padded by 4096 (a ~190-byte file): a 8193 × 8193 output.
    write(
        &dir,
        "pad.json",
        architecture(&[1, 1, 1], 8, conv(1, 4096, vec![1])),
    );
    let output = ["'pad.json'", "layer 0", "output tensor", "16777216"];
    refused(
        &dir,
        &["commit", "--transparent", "pad.json", "-o", "c.bin"],
        &output,
    );
    refused(
        &dir,
        &[
            "prove",
            "--transparent",
            "pad.json",
            "x.json",
            "-o",
            "p.bin",
        ],
        &output,
    );
    refused(&dir, &["inspect", "pad.json"], &output);
    refused(
        &dir,
        &["verify", "pad.json", "c.bin", "x.json", "y.json", "p.bin"],
        &output,
    );
    // Padded by 2000: the output fits, and so does its advice (two 4096 × 4096 tables, 2^25
    // entries, committed as two columns of 2^24), but not with fifteen ReLUs after it, each
    // adding two such tables: the plan refuses the ninth (2^28 + 2^25 entries) before any
    // inference (a ~1 KB file).
    let mut layers = vec![conv(1, 2000, vec![1])];
    layers.extend((0..15).map(|_| serde_json::json!({"type": "Relu"})));
    let chain = serde_json::json!({
        "name": "hostile", "input_shape": [1, 1, 1], "activation_bits": 8, "weight_bits": 8,
        "layers": layers,
    });
    write(&dir, "pad2.json", chain.to_string());
    refused(
        &dir,
        &[
            "prove",
            "--transparent",
            "pad2.json",
            "x.json",
            "-o",
            "p.bin",
        ],
        &["'pad2.json'", "layer 9", "advice", "268435456"],
    );
}

#[test]
fn huge_or_absurd_architectures_are_refused() {
    let dir = workdir("hostile-architecture");
    write(&dir, "x.json", "[[[0]]]");
    // A huge input declared in a tiny file.
    write(
        &dir,
        "input.json",
        architecture(
            &[1, 1 << 31, 1 << 31],
            8,
            serde_json::json!({"type": "Relu"}),
        ),
    );
    let input = ["invalid model 'input.json'", "input tensor", "16777216"];
    refused(&dir, &["inspect", "input.json"], &input);
    refused(
        &dir,
        &[
            "prove",
            "--transparent",
            "input.json",
            "x.json",
            "-o",
            "p.bin",
        ],
        &input,
    );
    refused(
        &dir,
        &["verify", "input.json", "c.bin", "x.json", "y.json", "p.bin"],
        &input,
    );
    // An absurd layer count (planning costs layers × segments).
    let deep = serde_json::json!({
        "name": "deep", "input_shape": [1], "activation_bits": 8, "weight_bits": 8,
        "layers": vec![serde_json::json!({"type": "Relu"}); 100_000],
    });
    write(&dir, "deep.json", deep.to_string());
    refused(
        &dir,
        &["inspect", "deep.json"],
        &["'deep.json'", "100000 layers", "1024"],
    );
    // Many large kernels, each within the per-layer limit.
    let conv = serde_json::json!({
        "type": "Conv2d", "in_channels": 1, "out_channels": 1, "kernel": [31, 31],
        "stride": 1, "padding": 15, "weights": [], "bias": [], "shift": 0,
    });
    let wide = serde_json::json!({
        "name": "wide", "input_shape": [1, 1, 1], "activation_bits": 8, "weight_bits": 8,
        "layers": vec![conv; 1000],
    });
    write(&dir, "wide.json", wide.to_string());
    refused(
        &dir,
        &["inspect", "wide.json"],
        &["'wide.json'", "kernel positions", "16384"],
    );
    // More weights than any model can have (the model table holds 2^24): refused by counting
    // them, not parsing them (parsing buffers each number at 32 bytes).
    let zeros = vec!["0"; (1 << 24) + (1 << 14) + 1].join(",");
    write(
        &dir,
        "weights.json",
        architecture(&[4], 8, serde_json::json!("LAYER")).replace(
            "\"LAYER\"",
            &format!(
                "{{\"type\": \"Dense\", \"in_features\": 4, \"out_features\": 1, \
                 \"weights\": [{zeros}], \"bias\": [0], \"shift\": 0}}"
            ),
        ),
    );
    refused(
        &dir,
        &["inspect", "weights.json"],
        &[
            "invalid model 'weights.json'",
            "numbers",
            "the limit is 16793600",
            "2^24",
        ],
    );
    // A residual add from a huge layer index.
    write(
        &dir,
        "from.json",
        architecture(
            &[4],
            8,
            serde_json::json!({"type": "Add", "from": 1u64 << 63, "shift": 0}),
        ),
    );
    refused(
        &dir,
        &["inspect", "from.json"],
        &["'from.json'", "earlier layer"],
    );
    // Deeply nested JSON, as the model and as the input.
    let nested = format!("{}{}", "[".repeat(1 << 20), "]".repeat(1 << 20));
    let model = architecture(&[4], 8, serde_json::json!("LAYER"));
    write(&dir, "nested.json", model.replace("\"LAYER\"", &nested));
    refused(
        &dir,
        &["inspect", "nested.json"],
        &["invalid model 'nested.json'", "model JSON"],
    );
    write(&dir, "m.json", tiny(0).to_json());
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    write(&dir, "nested-x.json", &nested);
    refused(
        &dir,
        &[
            "prove",
            "--transparent",
            "m.json",
            "nested-x.json",
            "-o",
            "p.bin",
        ],
        &["invalid input 'nested-x.json'", "recursion limit"],
    );
    // A .npy input whose header declares a huge shape.
    let mut npy = zkcnn::npy::write_i64(&[1, 6, 6], &[0; 36]);
    let header =
        String::from_utf8_lossy(&npy[10..]).replacen("(1, 6, 6)", "(99999, 99999, 99999)", 1);
    npy.truncate(10);
    npy.extend_from_slice(header.as_bytes());
    write(&dir, "huge.npy", &npy);
    refused(
        &dir,
        &[
            "prove",
            "--transparent",
            "m.json",
            "huge.npy",
            "-o",
            "p.bin",
        ],
        &["invalid input 'huge.npy'", ".npy"],
    );
    // --threads beyond 4 per core is a usage error (starting 100000 threads took minutes).
    let (out, took) = zkcnn_limited(&dir, &["--threads", "100000", "inspect", "m.json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).starts_with("zkcnn: --threads is 100000; at most"));
    assert_eq!(text(&out.stderr).lines().count(), 1);
    assert!(took < HOSTILE_TIME);
    // So is RAYON_NUM_THREADS, the default's source.
    let out = Command::new(env!("CARGO_BIN_EXE_zkcnn"))
        .args(["inspect", "m.json"])
        .env("RAYON_NUM_THREADS", "100000")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).starts_with("zkcnn: RAYON_NUM_THREADS is 100000; at most"));
}

#[test]
fn oversized_files_are_refused_by_their_length_before_reading() {
    let dir = proven("hostile-files");
    fn verify(slot: usize, name: &str) -> Vec<&str> {
        let mut args = VERIFY.to_vec();
        args[slot] = name;
        args
    }
    // Sparse files: refused on their length, so not even read.
    // (An input file may hold a batch of 2^16 inputs: 151 MB for the tiny model's 36 numbers.)
    sparse(&dir, "big-x.json", 200 << 20);
    refused(
        &dir,
        &[
            "prove",
            "--transparent",
            "m.json",
            "big-x.json",
            "-o",
            "q.bin",
        ],
        &[
            "invalid input 'big-x.json'",
            "209715200 bytes",
            "at most 151060480",
        ],
    );
    refused(
        &dir,
        &verify(3, "big-x.json"),
        &["invalid input 'big-x.json'", "at most"],
    );
    sparse(&dir, "big-y.json", 80 << 20);
    refused(
        &dir,
        &verify(4, "big-y.json"),
        &["invalid output 'big-y.json'", "at most"],
    );
    sparse(&dir, "big-p.bin", 2 << 30);
    refused(
        &dir,
        &verify(5, "big-p.bin"),
        &["invalid proof 'big-p.bin'", "at most 67108864"],
    );
    sparse(&dir, "big-c.bin", 2 << 30);
    refused(
        &dir,
        &verify(2, "big-c.bin"),
        &["invalid commitment 'big-c.bin'", "at most"],
    );
    refused(
        &dir,
        &[
            "prove",
            "--transparent",
            "m.json",
            "x.json",
            "-o",
            "q.bin",
            "--commitment",
            "big-c.bin",
        ],
        &["invalid commitment 'big-c.bin'", "at most"],
    );
    sparse(&dir, "big-m.json", 1 << 30);
    refused(
        &dir,
        &["inspect", "big-m.json"],
        &["invalid model 'big-m.json'", "at most"],
    );
    refused(
        &dir,
        &verify(1, "big-m.json"),
        &["invalid model 'big-m.json'", "at most"],
    );
    sparse(&dir, "big.onnx", 1 << 30);
    refused(
        &dir,
        &[
            "import",
            "big.onnx",
            "-o",
            "i.json",
            "--calibration",
            "x.json",
        ],
        &["invalid ONNX model 'big.onnx'", "at most"],
    );
    // Within the length limit, but more numbers than the model reads (36 in, a batch of
    // 2^16 inputs at most; 4 out).
    let many = serde_json::to_string(&vec![0; 20_000]).unwrap();
    write(&dir, "many-x.json", &many);
    refused(
        &dir,
        &[
            "prove",
            "--transparent",
            "m.json",
            "many-x.json",
            "-o",
            "q.bin",
        ],
        &[
            "invalid input 'many-x.json'",
            "shape [20000] does not match",
        ],
    );
    let too_many = serde_json::to_string(&vec![0; 36 * 65536 + 1]).unwrap();
    write(&dir, "too-many-x.json", &too_many);
    // (Not under the address-space limit: a batch's 2^16 inputs are 38 MB of numbers read.)
    fails(
        zkcnn(
            &dir,
            &[
                "prove",
                "--transparent",
                "m.json",
                "too-many-x.json",
                "-o",
                "q.bin",
            ],
        ),
        &[
            "invalid input 'too-many-x.json'",
            "more numbers than the batch of 65536 model inputs has (2359296)",
        ],
    );
    write(&dir, "many-y.json", format!("{{\"output\": {many}}}"));
    refused(
        &dir,
        &verify(4, "many-y.json"),
        &[
            "invalid output 'many-y.json'",
            "more numbers than the model's output has (4)",
        ],
    );
}

/// The output file of `dir` (from [`proven`] or alike) with `edit` applied, written as `name`.
fn edited_output(dir: &Path, from: &str, name: &str, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut y: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(from)).unwrap()).unwrap();
    edit(&mut y);
    write(dir, name, y.to_string());
}

#[test]
fn an_output_file_with_edited_derived_fields_is_refused() {
    let dir = proven("hostile-output");
    let verify = |name: &str| {
        let mut args = VERIFY.to_vec();
        args[4] = name;
        zkcnn(&dir, &args)
    };
    // Unedited, and without any derived field: valid.
    ok(verify("y.json"));
    edited_output(&dir, "y.json", "bare.json", |y| {
        *y = serde_json::json!({ "output": y["output"].clone() })
    });
    ok(verify("bare.json"));
    let class = |y: &serde_json::Value| y["class"].as_u64().unwrap();
    edited_output(&dir, "y.json", "class.json", |y| {
        y["class"] = ((class(y) + 1) % 4).into()
    });
    fails(
        verify("class.json"),
        &["invalid output 'class.json'", "\"class\"", "argmax"],
    );
    edited_output(&dir, "y.json", "shape.json", |y| {
        y["shape"] = serde_json::json!([2, 2])
    });
    fails(
        verify("shape.json"),
        &["invalid output 'shape.json'", "\"shape\""],
    );
    edited_output(&dir, "y.json", "name.json", |y| y["model"] = "other".into());
    fails(
        verify("name.json"),
        &["invalid output 'name.json'", "\"model\""],
    );
    edited_output(&dir, "y.json", "deq.json", |y| {
        y["dequantized"] = serde_json::json!([0.5, 0.5, 0.5, 0.5])
    });
    fails(
        verify("deq.json"),
        &[
            "invalid output 'deq.json'",
            "\"dequantized\"",
            "no quantization",
        ],
    );
    edited_output(&dir, "y.json", "twice.json", |_| {});
    let twice = std::fs::read_to_string(dir.join("twice.json")).unwrap();
    write(
        &dir,
        "twice.json",
        twice.replacen('{', "{\"class\": 0, ", 1),
    );
    fails(
        verify("twice.json"),
        &["invalid output 'twice.json'", "twice"],
    );

    // A model with quantization: the dequantized values and the outside operators too.
    write(&dir, "q.json", tiny_quantized().to_json());
    let reals: Vec<Vec<Vec<f32>>> = vec![(0..6)
        .map(|r| (0..6).map(|c| (r * 6 + c) as f32 / 16.0 - 1.0).collect())
        .collect()];
    write(&dir, "r.json", serde_json::to_string(&reals).unwrap());
    ok(zkcnn(
        &dir,
        &["commit", "--transparent", "q.json", "-o", "cq.bin"],
    ));
    ok(zkcnn(
        &dir,
        &[
            "prove",
            "--transparent",
            "q.json",
            "r.json",
            "-o",
            "pq.bin",
            "--output",
            "yq.json",
        ],
    ));
    let verify_q = |name: &str| {
        zkcnn(
            &dir,
            &["verify", "q.json", "cq.bin", "r.json", name, "pq.bin"],
        )
    };
    ok(verify_q("yq.json"));
    edited_output(&dir, "yq.json", "deq-q.json", |y| {
        let first = y["dequantized"][0].as_f64().unwrap();
        y["dequantized"][0] = (first + 0.25).into();
    });
    fails(
        verify_q("deq-q.json"),
        &[
            "invalid output 'deq-q.json'",
            "\"dequantized\"",
            "element 0",
        ],
    );
    edited_output(&dir, "yq.json", "outside-q.json", |y| {
        y["outside_operators"] = serde_json::json!(["Softmax"])
    });
    fails(
        verify_q("outside-q.json"),
        &["invalid output 'outside-q.json'", "\"outside_operators\""],
    );
}

/// An ONNX model: a `[1, c, h, w]` float input `x`, then `nodes` (the last writes `y`), with
/// `initializers`.
fn onnx_model(
    input: [i64; 4],
    nodes: Vec<zkcnn::onnx::proto::NodeProto>,
    initializers: Vec<zkcnn::onnx::proto::TensorProto>,
) -> Vec<u8> {
    use zkcnn::onnx::proto::*;
    let value = |name: &str, dims: &[i64]| ValueInfoProto {
        name: Some(name.into()),
        r#type: Some(TypeProto {
            tensor_type: Some(TypeProtoTensor {
                elem_type: Some(data_type::FLOAT),
                shape: Some(TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|&d| Dimension {
                            dim_value: Some(d),
                            dim_param: None,
                        })
                        .collect(),
                }),
            }),
        }),
    };
    let model = ModelProto {
        ir_version: Some(8),
        opset_import: vec![OperatorSetIdProto {
            domain: None,
            version: Some(13),
        }],
        producer_name: None,
        graph: Some(GraphProto {
            node: nodes,
            name: Some("hostile".into()),
            initializer: initializers,
            input: vec![value("x", &input)],
            output: vec![value("y", &[])],
        }),
    };
    prost::Message::encode_to_vec(&model)
}

/// A node `op(inputs) → output` named `name`, with integer-list attributes.
fn onnx_node(
    name: &str,
    op: &str,
    inputs: &[&str],
    output: &str,
    ints: &[(&str, Vec<i64>)],
) -> zkcnn::onnx::proto::NodeProto {
    use zkcnn::onnx::proto::*;
    NodeProto {
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        name: Some(name.into()),
        op_type: Some(op.into()),
        domain: None,
        attribute: ints
            .iter()
            .map(|(n, v)| AttributeProto {
                name: Some(n.to_string()),
                r#type: Some(attribute_type::INTS),
                ints: v.clone(),
                ..AttributeProto::default()
            })
            .collect(),
    }
}

/// A float initializer.
fn onnx_tensor(name: &str, dims: &[i64], values: Vec<f32>) -> zkcnn::onnx::proto::TensorProto {
    zkcnn::onnx::proto::TensorProto {
        dims: dims.to_vec(),
        data_type: Some(zkcnn::onnx::proto::data_type::FLOAT),
        float_data: values,
        name: Some(name.into()),
        ..Default::default()
    }
}

#[test]
fn import_refuses_what_cannot_be_proven_before_calibrating() {
    let dir = workdir("hostile-onnx");
    // A 1×1 input and a 1×1 convolution padded by 2000: a 4001 × 4001 output, within the
    // import's per-tensor limit, then ReLUs, each adding two 4096 × 4096 advice tables: the
    // ninth is beyond the proof system's 2^28 advice entries.
    let conv = onnx_node(
        "conv1",
        "Conv",
        &["x", "w"],
        "r0",
        &[("pads", vec![2000; 4])],
    );
    let mut nodes = vec![conv];
    for k in 0..15 {
        let (from, to) = (format!("r{k}"), format!("r{}", k + 1));
        let out = if k == 14 { "y".to_string() } else { to };
        nodes.push(onnx_node(&format!("relu{k}"), "Relu", &[&from], &out, &[]));
    }
    let w = onnx_tensor("w", &[1, 1, 1, 1], vec![0.5]);
    write(&dir, "pad.onnx", onnx_model([1, 1, 1, 1], nodes, vec![w]));
    write(
        &dir,
        "cal.npy",
        zkcnn::npy::write_f32(&[2, 1, 1, 1], &[0.5, -0.5]),
    );
    refused(
        &dir,
        &[
            "import",
            "pad.onnx",
            "-o",
            "m.json",
            "--calibration",
            "cal.npy",
        ],
        &["(Relu, output", "cannot be proven", "advice", "268435456"],
    );
    // A 33×33 max-pool: imported, but beyond the prover's 1,024 window positions.
    let conv = onnx_node("conv1", "Conv", &["x", "w"], "c", &[]);
    let pool = onnx_node(
        "pool1",
        "MaxPool",
        &["c"],
        "y",
        &[("kernel_shape", vec![33, 33]), ("strides", vec![1, 1])],
    );
    let w = onnx_tensor("w", &[1, 1, 1, 1], vec![0.5]);
    write(
        &dir,
        "pool.onnx",
        onnx_model([1, 1, 40, 40], vec![conv, pool], vec![w]),
    );
    write(
        &dir,
        "cal40.npy",
        zkcnn::npy::write_f32(&[1, 1, 40, 40], &[0.25; 1600]),
    );
    refused(
        &dir,
        &[
            "import",
            "pool.onnx",
            "-o",
            "m.json",
            "--calibration",
            "cal40.npy",
        ],
        &[
            "node pool1 (MaxPool, output \"y\")",
            "cannot be proven",
            "window positions",
            "1024",
        ],
    );
    // Millions of empty nodes: 10 MB on the wire, 720 MB decoded.
    let mut bloated = vec![0x42, 0x02, 0x10, 0x0d, 0x3a];
    let nodes = 5_000_000u64;
    let mut len = 2 * nodes;
    while len >= 0x80 {
        bloated.push((len as u8) | 0x80);
        len >>= 7;
    }
    bloated.push(len as u8);
    bloated.extend(std::iter::repeat_n([0x0a, 0x00], nodes as usize).flatten());
    write(&dir, "nodes.onnx", &bloated);
    refused(
        &dir,
        &[
            "import",
            "nodes.onnx",
            "-o",
            "m.json",
            "--calibration",
            "cal.npy",
        ],
        &["cannot import 'nodes.onnx'", "decoded", "at most"],
    );
}

/// A split model (`import --weights file`: the architecture's JSON naming `MODEL.weights`)
/// goes through every command like the one-file model, with the same commitment and proof
/// bytes; a missing, corrupt or mismatched weights file is one line naming it.
#[test]
fn split_models_through_every_command() {
    let dir = workdir("split");
    let f = fixtures().join("digits-cnn");
    let p = |name: &str| f.join(name).display().to_string();
    let cal = p("calibration.npy");
    let import = |out: &str, form: &str| {
        let args = [
            "import",
            &p("model.onnx"),
            "-o",
            out,
            "--calibration",
            &cal,
            "--name",
            "digits-cnn",
            "--weights",
            form,
        ];
        ok(zkcnn(&dir, &args))
    };
    let out = import("split.json", "file");
    assert!(out.contains("written to 'split.weights'"), "{out}");
    import("auto.json", "auto");
    assert!(
        !dir.join("auto.weights").exists(),
        "a small model stays one file"
    );
    import("inline.json", "inline");
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    assert_eq!(read("auto.json"), read("inline.json"));
    let fixture =
        Model::from_json(&std::fs::read_to_string(f.join("model.json")).unwrap()).unwrap();
    assert_eq!(
        zkcnn::model::file::load(&dir.join("split.json")).unwrap(),
        fixture
    );

    let x = p("test-input-0.json");
    for m in ["inline", "split"] {
        let (json, c, pr, y) = (
            format!("{m}.json"),
            format!("{m}.commit"),
            format!("{m}.proof"),
            format!("{m}.y.json"),
        );
        ok(zkcnn(&dir, &["commit", "--transparent", &json, "-o", &c]));
        ok(zkcnn(
            &dir,
            &[
                "prove",
                "--transparent",
                &json,
                &x,
                "-o",
                &pr,
                "--output",
                &y,
            ],
        ));
        ok(zkcnn(&dir, &["verify", &json, &c, &x, &y, &pr]));
        let shown = ok(zkcnn(&dir, &["inspect", &json]));
        assert!(shown.contains("digits-cnn"), "{shown}");
    }
    assert_eq!(read("inline.commit"), read("split.commit"));
    assert_eq!(read("inline.proof"), read("split.proof"));
    // The verifier needs only the architecture: without the weights file, verify and inspect
    // still work, commit and prove name the missing file.
    std::fs::rename(dir.join("split.weights"), dir.join("moved.weights")).unwrap();
    ok(zkcnn(
        &dir,
        &[
            "verify",
            "split.json",
            "split.commit",
            &x,
            "split.y.json",
            "split.proof",
        ],
    ));
    ok(zkcnn(&dir, &["inspect", "split.json"]));
    fails(
        zkcnn(&dir, &["commit", "--transparent", "split.json", "-o", "c"]),
        &["cannot read weights", "split.weights", "no such file"],
    );
    // A corrupt weights file, and one of another model.
    let mut bytes = read("moved.weights");
    let n = bytes.len();
    bytes[n - 100] ^= 4;
    write(&dir, "split.weights", &bytes);
    fails(
        zkcnn(
            &dir,
            &["prove", "--transparent", "split.json", &x, "-o", "p"],
        ),
        &["invalid weights 'split.weights'", "checksum", "corrupt"],
    );
    let tiny_split = zkcnn::model::file::split_json(&tiny(0), "moved.weights");
    write(&dir, "t-split.json", tiny_split);
    fails(
        zkcnn(
            &dir,
            &["commit", "--transparent", "t-split.json", "-o", "c"],
        ),
        &["invalid weights 'moved.weights'", "layers"],
    );
    let escape = zkcnn::model::file::split_json(&tiny(0), "../x.weights");
    write(&dir, "escape.json", escape);
    fails(
        zkcnn(&dir, &["inspect", "escape.json"]),
        &[
            "invalid model 'escape.json'",
            "weights_file",
            "relative path",
        ],
    );
}

/// A DAG model through the command line: `inspect` shows which tensors a layer reads when they
/// are not the previous output (a chain's table is unchanged), and the model commits, proves
/// and verifies.
#[test]
fn dag_models_inspect_prove_and_verify() {
    let dir = workdir("dag");
    let model = zkcnn::model::zoo::fire_small(2);
    write(&dir, "m.json", model.to_json());
    let stdout = ok(zkcnn(&dir, &["inspect", "m.json"]));
    for w in [
        "| 7 | Conv2d ← t5 |",
        "| 9 | Concat ← t7, t9 |",
        "| 16 | Concat ← t14, t16, t10 |",
    ] {
        assert!(stdout.contains(w), "{w:?} missing from: {stdout}");
    }
    let chain = workdir("dag-chain");
    write(&chain, "m.json", tiny(0).to_json());
    assert!(!ok(zkcnn(&chain, &["inspect", "m.json"])).contains('←'));
    let x = zkcnn::model::zoo::random_input(&model.input_shape, 8, 3);
    let nested: Vec<Vec<Vec<i64>>> = x
        .outer_iter()
        .map(|plane| {
            plane
                .outer_iter()
                .map(|row| row.iter().copied().collect())
                .collect()
        })
        .collect();
    write(&dir, "x.json", serde_json::to_string(&nested).unwrap());
    ok(zkcnn(
        &dir,
        &[
            "commit",
            "--transparent",
            "m.json",
            "-o",
            "c.bin",
            "--architecture",
            "a.json",
        ],
    ));
    ok(zkcnn(
        &dir,
        &[
            "prove",
            "--transparent",
            "m.json",
            "x.json",
            "-o",
            "p.bin",
            "--output",
            "y.json",
        ],
    ));
    ok(zkcnn(&dir, &VERIFY));
}

// Zero-knowledge proofs, the default of `commit` and `prove`; `verify` reading the proof's kind.

/// The private prover file's revealed count (little-endian, after the header's magic, version,
/// field, architecture digest, root and the two variable counts).
fn revealed(dir: &Path, file: &str) -> u64 {
    const AT: usize = 8 + 2 + 1 + 32 + 25 + 4 + 4;
    let bytes = std::fs::read(dir.join(file)).unwrap();
    u64::from_le_bytes(bytes[AT..AT + 8].try_into().unwrap())
}

/// Writes `m.json` (tiny) and `x.json`, commits with --zk (`zc.bin`, `zk.prv`, `a.json`) and
/// proves in zero knowledge (`zp.bin`, `zy.json`).
fn proven_zk(name: &str) -> PathBuf {
    let dir = workdir(name);
    write(&dir, "m.json", tiny(0).to_json());
    write(&dir, "x.json", input_json(0));
    let commit: serde_json::Value = serde_json::from_str(&ok(zkcnn(
        &dir,
        &[
            "--json",
            "commit",
            "m.json",
            "-o",
            "zc.bin",
            "--prover-data",
            "zk.prv",
            "--architecture",
            "a.json",
        ],
    )))
    .unwrap();
    assert_eq!(commit["kind"], "zero-knowledge");
    assert!(commit["budget"].as_u64().unwrap() > 0);
    // The commitment's check (its opening) already spent part of the budget.
    let checked = revealed(&dir, "zk.prv");
    assert!(checked > 0);
    std::fs::write(dir.join("after-commit"), checked.to_string()).unwrap();
    let stdout = ok(zkcnn(&dir, &PROVE_ZK));
    assert!(stdout.contains("in zero knowledge"), "{stdout}");
    dir
}

const PROVE_ZK: [&str; 11] = [
    "prove",
    "m.json",
    "x.json",
    "-o",
    "zp.bin",
    "--output",
    "zy.json",
    "--commitment",
    "zc.bin",
    "--prover-data",
    "zk.prv",
];

const VERIFY_ZK: [&str; 6] = ["verify", "a.json", "zc.bin", "x.json", "zy.json", "zp.bin"];

fn with(args: &[&str], replace: &[(&str, &str)], extra: &[&'static str]) -> Vec<String> {
    let mut out: Vec<String> = args
        .iter()
        .map(|a| {
            replace
                .iter()
                .find(|(from, _)| from == a)
                .map_or(a.to_string(), |(_, to)| to.to_string())
        })
        .collect();
    out.extend(extra.iter().map(|s| s.to_string()));
    out
}

fn run(dir: &Path, args: &[String]) -> Output {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    zkcnn(dir, &refs)
}

#[test]
fn zk_commit_prove_verify() {
    let dir = proven_zk("zk-happy");
    let stdout = ok(zkcnn(&dir, &VERIFY_ZK));
    assert!(stdout.starts_with("valid zero-knowledge proof"), "{stdout}");
    let v: serde_json::Value =
        serde_json::from_str(&ok(run(&dir, &with(&VERIFY_ZK, &[], &["--zk", "--json"])))).unwrap();
    assert_eq!(
        (v["valid"].clone(), v["kind"].clone()),
        (true.into(), "zero-knowledge".into())
    );
    // The same output as the transparent prover's, whose proof verifies as before.
    ok(zkcnn(
        &dir,
        &["commit", "--transparent", "m.json", "-o", "c.bin"],
    ));
    ok(zkcnn(
        &dir,
        &[
            "prove",
            "--transparent",
            "m.json",
            "x.json",
            "-o",
            "p.bin",
            "--output",
            "y.json",
        ],
    ));
    assert_eq!(
        std::fs::read(dir.join("y.json")).unwrap(),
        std::fs::read(dir.join("zy.json")).unwrap()
    );
    let verify_t = ["verify", "a.json", "c.bin", "x.json", "y.json", "p.bin"];
    ok(run(&dir, &with(&verify_t, &[], &["--transparent"])));
    // The kind asked for is checked against the proof's header.
    fails(
        run(&dir, &with(&VERIFY_ZK, &[], &["--transparent"])),
        &[
            "invalid proof 'zp.bin'",
            "this is a zero-knowledge proof; expected a transparent proof",
        ],
    );
    fails(
        run(&dir, &with(&verify_t, &[], &["--zk"])),
        &[
            "invalid proof 'p.bin'",
            "this is a transparent proof; expected a zero-knowledge proof",
        ],
    );
    let both = run(&dir, &with(&VERIFY_ZK, &[], &["--zk", "--transparent"]));
    assert_eq!(both.status.code(), Some(2));
    // A commitment of the other kind is named.
    fails(
        run(&dir, &with(&VERIFY_ZK, &[("zc.bin", "c.bin")], &[])),
        &[
            "invalid commitment 'c.bin'",
            "transparent commitment",
            "commit --transparent",
        ],
    );
    fails(
        run(&dir, &with(&verify_t, &[("c.bin", "zc.bin")], &[])),
        &["invalid commitment 'zc.bin'", "hiding commitment"],
    );
    // A wrong output is rejected.
    let y: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("zy.json")).unwrap()).unwrap();
    let mut out: Vec<i64> = serde_json::from_value(y["output"].clone()).unwrap();
    out[0] += 1;
    write(&dir, "wrong.json", serde_json::to_string(&out).unwrap());
    fails(
        run(&dir, &with(&VERIFY_ZK, &[("zy.json", "wrong.json")], &[])),
        &["proof 'zp.bin' is for another statement"],
    );
    // Each proof spends part of the budget: the private file's count grows by one proof's.
    let checked: u64 = std::fs::read_to_string(dir.join("after-commit"))
        .unwrap()
        .parse()
        .unwrap();
    let one = revealed(&dir, "zk.prv") - checked;
    assert!(one > 0);
    let v: serde_json::Value = serde_json::from_str(&ok(run(
        &dir,
        &with(&PROVE_ZK, &[("zp.bin", "zp2.bin")], &["--json"]),
    )))
    .unwrap();
    assert_eq!(revealed(&dir, "zk.prv"), checked + 2 * one);
    assert_eq!(v["revealed"], checked + 2 * one);
    assert_eq!(v["kind"], "zero-knowledge");
    assert!(v["proofs_left"].as_u64().unwrap() >= 62, "{v}");
    ok(run(&dir, &with(&VERIFY_ZK, &[("zp.bin", "zp2.bin")], &[])));
    assert_ne!(
        std::fs::read(dir.join("zp.bin")).unwrap(),
        std::fs::read(dir.join("zp2.bin")).unwrap(),
        "fresh randomness in every proof"
    );
    // A spent budget is refused, the file left as it was.
    let mut spent = std::fs::read(dir.join("zk.prv")).unwrap();
    spent[76..84].copy_from_slice(&(1u64 << 40).to_le_bytes());
    write(&dir, "spent.prv", &spent);
    fails(
        run(
            &dir,
            &with(
                &PROVE_ZK,
                &[("zk.prv", "spent.prv"), ("zp.bin", "zp3.bin")],
                &[],
            ),
        ),
        &["the commitment's budget is spent: commit again"],
    );
    assert_eq!(std::fs::read(dir.join("spent.prv")).unwrap(), spent);
    assert!(!dir.join("zp3.bin").exists());
    // Zero knowledge is the default: a proof needs the hiding commitment and its prover file,
    // a hiding commitment its prover file; the message says how to get them, or how to opt
    // out. The explicit --zk is the same, and conflicts with --transparent.
    for zk in [&[][..], &["--zk"][..]] {
        let mut prove = vec!["prove", "m.json", "x.json", "-o", "zp4.bin"];
        prove.extend(zk);
        let out = zkcnn(&dir, &prove);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        for w in [
            "zero-knowledge proof (the default) needs --commitment and --prover-data",
            "zkcnn commit MODEL",
            "--transparent",
        ] {
            assert!(err.contains(w), "{w:?} missing from: {err}");
        }
        let mut commit = vec!["commit", "m.json", "-o", "zc4.bin"];
        commit.extend(zk);
        let out = zkcnn(&dir, &commit);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("hiding commitment (the default) needs --prover-data"),
            "{err}"
        );
    }
    assert!(!dir.join("zp4.bin").exists() && !dir.join("zc4.bin").exists());
    for cmd in [&PROVE_ZK[..], &["commit", "m.json", "-o", "zc5.bin"][..]] {
        let out = run(&dir, &with(cmd, &[], &["--zk", "--transparent"]));
        assert_eq!(out.status.code(), Some(2));
    }
    // A transparent commitment given to the default prover names the way out.
    fails(
        run(
            &dir,
            &with(
                &PROVE_ZK,
                &[("zc.bin", "c.bin"), ("zp.bin", "zp6.bin")],
                &[],
            ),
        ),
        &["invalid commitment 'c.bin'", "prove --transparent"],
    );
}

#[test]
fn zk_files_tampered_truncated_or_garbage_are_refused() {
    let dir = proven_zk("zk-tampered");
    let private = std::fs::read(dir.join("zk.prv")).unwrap();
    // A missing proof is named as such, not as the hiding commitment's kind (the transparent
    // verifier the missing header would have chosen).
    fails(
        run(&dir, &with(&VERIFY_ZK, &[("zp.bin", "none.bin")], &[])),
        &["cannot read proof 'none.bin'"],
    );
    let prove_with = |data: &str| {
        run(
            &dir,
            &with(
                &PROVE_ZK,
                &[("zk.prv", data), ("zp.bin", "zp-alt.bin")],
                &[],
            ),
        )
    };
    // A mask entry changed: the commitment is not recomputed.
    let mut tampered = private.clone();
    let at = tampered.len() - 8;
    tampered[at] ^= 1;
    write(&dir, "tampered.prv", &tampered);
    fails(
        prove_with("tampered.prv"),
        &["does not match model 'm.json'", "changed prover file"],
    );
    // Other weights.
    write(&dir, "m2.json", tiny(1).to_json());
    fails(
        run(
            &dir,
            &with(
                &PROVE_ZK,
                &[("m.json", "m2.json"), ("zp.bin", "zp-alt.bin")],
                &[],
            ),
        ),
        &["other weights"],
    );
    // Truncated, garbage, or a byte left over.
    for n in [0, 5, 40, 84, private.len() / 2, private.len() - 1] {
        write(&dir, "cut.prv", &private[..n]);
        fails(prove_with("cut.prv"), &["invalid prover file 'cut.prv'"]);
    }
    write(&dir, "junk.prv", [b'x'; 200]);
    fails(
        prove_with("junk.prv"),
        &["invalid prover file 'junk.prv'", "magic"],
    );
    let mut long = private.clone();
    long.push(0);
    write(&dir, "long.prv", &long);
    fails(
        prove_with("long.prv"),
        &["invalid prover file 'long.prv'", "left over"],
    );
    // The transparent prover data is not a zero-knowledge prover file.
    ok(zkcnn(
        &dir,
        &[
            "commit",
            "--transparent",
            "m.json",
            "-o",
            "c.bin",
            "--prover-data",
            "c.prv",
        ],
    ));
    fails(prove_with("c.prv"), &["invalid prover file 'c.prv'"]);
    assert!(!dir.join("zp-alt.bin").exists());
    assert_eq!(std::fs::read(dir.join("zk.prv")).unwrap(), private);

    // The proof's kind byte flipped: refused by its kind (asked for), or read as a
    // transparent proof against a hiding commitment (not asked for).
    let proof = std::fs::read(dir.join("zp.bin")).unwrap();
    let mut flipped = proof.clone();
    flipped[10] = 0;
    write(&dir, "flip.bin", &flipped);
    fails(
        run(
            &dir,
            &with(&VERIFY_ZK, &[("zp.bin", "flip.bin")], &["--zk"]),
        ),
        &[
            "invalid proof 'flip.bin'",
            "this is a transparent proof; expected a zero-knowledge proof",
        ],
    );
    fails(
        run(&dir, &with(&VERIFY_ZK, &[("zp.bin", "flip.bin")], &[])),
        &["invalid commitment 'zc.bin'", "hiding commitment"],
    );
    flipped[10] = 9;
    write(&dir, "flip.bin", &flipped);
    fails(
        run(&dir, &with(&VERIFY_ZK, &[("zp.bin", "flip.bin")], &[])),
        &["invalid proof 'flip.bin'", "unknown proof kind 9"],
    );
    // Truncated or garbage proofs and commitments: errors, never panics.
    for n in [0, 7, 10, 11, 12, 44, 45, proof.len() / 3, proof.len() - 1] {
        write(&dir, "cut.bin", &proof[..n]);
        for extra in [&[][..], &["--zk"][..]] {
            let out = run(&dir, &with(&VERIFY_ZK, &[("zp.bin", "cut.bin")], extra));
            assert_eq!(out.status.code(), Some(1), "{n}");
            no_panic(out);
        }
    }
    for k in 0..24 {
        let mut changed = proof.clone();
        let at = 45 + (k * 7919) % (proof.len() - 45);
        changed[at] ^= 0x80;
        write(&dir, "alt.bin", &changed);
        let out = run(&dir, &with(&VERIFY_ZK, &[("zp.bin", "alt.bin")], &[]));
        assert_eq!(out.status.code(), Some(1), "{at}");
        no_panic(out);
    }
    write(&dir, "junk.bin", [b'x'; 300]);
    fails(
        run(
            &dir,
            &with(&VERIFY_ZK, &[("zp.bin", "junk.bin")], &["--zk"]),
        ),
        &["invalid proof 'junk.bin'"],
    );
    let commitment = std::fs::read(dir.join("zc.bin")).unwrap();
    for n in [0, 8, 30, commitment.len() - 1] {
        write(&dir, "cut-c.bin", &commitment[..n]);
        fails(
            run(&dir, &with(&VERIFY_ZK, &[("zc.bin", "cut-c.bin")], &[])),
            &["invalid commitment 'cut-c.bin'"],
        );
    }
    // Every header byte and a sample of the body (the commitment and its check proof).
    let body = commitment.len() - 43;
    for at in (0..43).chain((0..40).map(|k| 43 + (k * 7919) % body)) {
        let mut changed = commitment.clone();
        changed[at] ^= 0x80;
        write(&dir, "alt-c.bin", &changed);
        let out = run(&dir, &with(&VERIFY_ZK, &[("zc.bin", "alt-c.bin")], &[]));
        assert_eq!(out.status.code(), Some(1), "{at}");
        no_panic(out);
    }
}

/// A window max-pool (3×3, stride 3) commits, proves and verifies in zero knowledge with the
/// defaults; a step the zero-knowledge prover refuses (a ReLU of the public input) is named
/// with its layer by `prove`, which writes nothing.
#[test]
fn zk_window_max_pools_prove_and_refusals_name_their_layer() {
    let dir = workdir("zk-window");
    // A 3×3 stride-1 max-pool: `[2, 4, 4]`, enough entries to hide the proof's reads of it.
    let mut model = tiny(0);
    model.layers[2] = Layer::MaxPool2d(MaxPool2d::new(3, 1));
    if let Layer::Dense(d) = &mut model.layers[4] {
        d.in_features = 32;
        d.weights = (0..128).map(|i| (i * 5 + 3) % 7 - 3).collect();
    }
    write(&dir, "m.json", model.to_json());
    write(&dir, "x.json", input_json(0));
    let commit = |m: &str| {
        zkcnn(
            &dir,
            &[
                "commit",
                m,
                "-o",
                "zc.bin",
                "--prover-data",
                "zk.prv",
                "--architecture",
                "a.json",
            ],
        )
    };
    let prove = |m: &str| {
        zkcnn(
            &dir,
            &[
                "prove",
                m,
                "x.json",
                "-o",
                "zp.bin",
                "--output",
                "zy.json",
                "--commitment",
                "zc.bin",
                "--prover-data",
                "zk.prv",
            ],
        )
    };
    ok(commit("m.json"));
    ok(prove("m.json"));
    let stdout = ok(zkcnn(
        &dir,
        &["verify", "a.json", "zc.bin", "x.json", "zy.json", "zp.bin"],
    ));
    assert!(stdout.starts_with("valid zero-knowledge proof"), "{stdout}");
    let mut relu_first = tiny(0);
    relu_first.layers.insert(0, Layer::RELU);
    write(&dir, "r.json", relu_first.to_json());
    ok(commit("r.json"));
    std::fs::remove_file(dir.join("zp.bin")).unwrap();
    fails(prove("r.json"), &["layer 0", "ReLU of the public input"]);
    assert!(!dir.join("zp.bin").exists());
}

/// A hidden input: `commit-input` writes the input commitment (public) and its prover file;
/// `prove --input-commitment` proves against it and updates both prover files' counts;
/// `verify` takes the input commitment in place of the input. Refused: the input itself in
/// its place (another statement), an input commitment for a transparent proof, another input
/// with the prover file, one of the two flags alone, an input commitment of another
/// architecture, and a truncated input commitment.
#[test]
fn zk_hidden_input_commit_prove_verify() {
    let dir = proven_zk("zk-hidden-input");
    let commit: serde_json::Value = serde_json::from_str(&ok(zkcnn(
        &dir,
        &[
            "--json",
            "commit-input",
            "a.json",
            "x.json",
            "-o",
            "xc.bin",
            "--prover-data",
            "x.prv",
        ],
    )))
    .unwrap();
    assert_eq!(commit["input_commitment"], "xc.bin");
    assert_eq!(revealed(&dir, "x.prv"), 0);
    let model_before = revealed(&dir, "zk.prv");
    let hidden = [
        "--input-commitment",
        "xc.bin",
        "--input-prover-data",
        "x.prv",
    ];
    let stdout = ok(run(
        &dir,
        &with(
            &PROVE_ZK,
            &[("zp.bin", "hp.bin"), ("zy.json", "hy.json")],
            &hidden,
        ),
    ));
    assert!(stdout.contains("(hidden: committed)"), "{stdout}");
    assert!(revealed(&dir, "x.prv") > 0);
    assert!(revealed(&dir, "zk.prv") > model_before);
    let verify_hidden: [&str; 6] = ["verify", "a.json", "zc.bin", "xc.bin", "hy.json", "hp.bin"];
    let v: serde_json::Value =
        serde_json::from_str(&ok(run(&dir, &with(&verify_hidden, &[], &["--json"])))).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["input_hidden"], true);
    // The input itself in the commitment's place: another statement.
    fails(
        run(
            &dir,
            &with(
                &VERIFY_ZK,
                &[("zy.json", "hy.json"), ("zp.bin", "hp.bin")],
                &[],
            ),
        ),
        &["another statement"],
    );
    // A transparent verification of a committed input.
    fails(
        run(
            &dir,
            &with(&VERIFY_ZK, &[("x.json", "xc.bin")], &["--transparent"]),
        ),
        &["expected a transparent proof"],
    );
    // Another input with the input's prover file: the commitment does not match.
    write(&dir, "x2.json", input_json(1));
    fails(
        run(
            &dir,
            &with(
                &PROVE_ZK,
                &[("x.json", "x2.json"), ("zp.bin", "hp2.bin")],
                &hidden,
            ),
        ),
        &["does not match input"],
    );
    // One flag without the other.
    let half = run(
        &dir,
        &with(
            &PROVE_ZK,
            &[("zp.bin", "hp3.bin")],
            &["--input-commitment", "xc.bin"],
        ),
    );
    assert_eq!(half.status.code(), Some(2), "a usage error");
    // A committed input is for zero-knowledge proofs only.
    let transparent = run(
        &dir,
        &with(
            &PROVE_ZK,
            &[("zp.bin", "hp3.bin")],
            &[&hidden[..], &["--transparent"]].concat(),
        ),
    );
    assert_eq!(transparent.status.code(), Some(2), "a usage error");
    // An input commitment truncated, and one of another architecture.
    let bytes = std::fs::read(dir.join("xc.bin")).unwrap();
    std::fs::write(dir.join("short.bin"), &bytes[..bytes.len() - 3]).unwrap();
    fails(
        run(&dir, &with(&verify_hidden, &[("xc.bin", "short.bin")], &[])),
        &["input commitment", "truncated"],
    );
    let mut other = bytes;
    other[11] ^= 1;
    std::fs::write(dir.join("other.bin"), other).unwrap();
    fails(
        run(&dir, &with(&verify_hidden, &[("xc.bin", "other.bin")], &[])),
        &["another model architecture"],
    );
    // Proofs on the committed input until its budget (at least INPUT_PROOFS = 8 proofs, far
    // fewer than the model's 64) is spent: the refusal names the input's commitment.
    let mut proved = 1;
    let refusal = loop {
        let out = run(&dir, &with(&PROVE_ZK, &[("zp.bin", "hp4.bin")], &hidden));
        if !out.status.success() {
            break out;
        }
        proved += 1;
        assert!(proved < 64, "the input's budget is never spent");
    };
    assert!(proved >= 8, "only {proved} proofs");
    fails(
        refusal,
        &["budget is spent", "the input's", "zkcnn commit-input"],
    );
}

/// Asserts exit status 2 (a usage error) and one line on stderr containing every word of
/// `words`.
fn usage_error(out: Output, words: &[&str]) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
    for w in words {
        assert!(stderr.contains(w), "{w:?} missing from: {stderr}");
    }
}

#[test]
fn batch_prove_verify_from_the_cli() {
    let dir = workdir("batch");
    write(&dir, "m.json", tiny(0).to_json());
    let ints: Vec<i64> = (0..3 * 36).map(|i| (i * 13) % 41 - 20).collect();
    write(&dir, "xs.npy", zkcnn::npy::write_i64(&[3, 1, 6, 6], &ints));
    write(&dir, "x.json", input_json(0));
    ok(zkcnn(
        &dir,
        &[
            "commit",
            "--transparent",
            "m.json",
            "-o",
            "c.bin",
            "--architecture",
            "a.json",
        ],
    ));
    let stdout = ok(zkcnn(
        &dir,
        &[
            "prove",
            "--transparent",
            "m.json",
            "xs.npy",
            "--commitment",
            "c.bin",
            "-o",
            "p.bin",
            "--output",
            "ys.json",
        ],
    ));
    assert!(stdout.contains("batch of 3 inputs"), "{stdout}");
    let proof = std::fs::read(dir.join("p.bin")).unwrap();
    assert_eq!(
        zkcnn::network::proof::kind_of(&proof).unwrap(),
        zkcnn::network::ProofKind::TransparentBatch
    );
    // The outputs: a JSON array of output objects, each input's single output.
    let ys: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("ys.json")).unwrap()).unwrap();
    assert_eq!(ys.len(), 3);
    let model = tiny(0);
    for (i, y) in ys.iter().enumerate() {
        let x = ndarray::ArrayD::from_shape_vec(
            ndarray::IxDyn(&[1, 6, 6]),
            ints[i * 36..(i + 1) * 36].to_vec(),
        )
        .unwrap();
        let want: Vec<i64> = zkcnn::model::infer::infer_output(&model, &x)
            .unwrap()
            .iter()
            .copied()
            .collect();
        let got: Vec<i64> = serde_json::from_value(y["output"].clone()).unwrap();
        assert_eq!(got, want, "output {i}");
    }
    let verify = ["verify", "a.json", "c.bin", "xs.npy", "ys.json", "p.bin"];
    let stdout = ok(zkcnn(&dir, &verify));
    assert!(stdout.starts_with("valid"), "{stdout}");
    ok(zkcnn(
        &dir,
        &[
            "verify",
            "--transparent",
            "a.json",
            "c.bin",
            "xs.npy",
            "ys.json",
            "p.bin",
        ],
    ));
    let json = ok(zkcnn(
        &dir,
        &[
            "--json", verify[0], verify[1], verify[2], verify[3], verify[4], verify[5],
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["count"], 3);

    // One output changed: another statement, refused with status 1.
    // (Output 1 as a plain array, its first value plus one.)
    let mut edited = ys.clone();
    let mut y1: Vec<i64> = serde_json::from_value(ys[1]["output"].clone()).unwrap();
    y1[0] += 1;
    edited[1] = serde_json::json!(y1);
    write(&dir, "ys2.json", serde_json::to_string(&edited).unwrap());
    fails(
        zkcnn(
            &dir,
            &["verify", "a.json", "c.bin", "xs.npy", "ys2.json", "p.bin"],
        ),
        &["p.bin", "another statement"],
    );
    // A missing output, or one too many.
    write(&dir, "ys3.json", serde_json::to_string(&ys[..2]).unwrap());
    fails(
        zkcnn(
            &dir,
            &["verify", "a.json", "c.bin", "xs.npy", "ys3.json", "p.bin"],
        ),
        &["invalid output 'ys3.json'", "2 outputs", "3 inputs"],
    );
    let mut four = ys.clone();
    four.push(ys[0].clone());
    write(&dir, "ys4.json", serde_json::to_string(&four).unwrap());
    fails(
        zkcnn(
            &dir,
            &["verify", "a.json", "c.bin", "xs.npy", "ys4.json", "p.bin"],
        ),
        &["invalid output 'ys4.json'", "more outputs"],
    );
    // Another input in the batch: another statement.
    let mut other = ints.clone();
    other[40] += 1;
    write(
        &dir,
        "xs2.npy",
        zkcnn::npy::write_i64(&[3, 1, 6, 6], &other),
    );
    fails(
        zkcnn(
            &dir,
            &["verify", "a.json", "c.bin", "xs2.npy", "ys.json", "p.bin"],
        ),
        &["p.bin", "another statement"],
    );

    // A batch proof against one input, and a single proof against a batch: refused.
    ok(zkcnn(
        &dir,
        &[
            "prove",
            "--transparent",
            "m.json",
            "x.json",
            "-o",
            "p1.bin",
            "--output",
            "y1.json",
        ],
    ));
    fails(
        zkcnn(
            &dir,
            &["verify", "a.json", "c.bin", "x.json", "y1.json", "p.bin"],
        ),
        &["batch proof", "one input", "x.json"],
    );
    fails(
        zkcnn(
            &dir,
            &["verify", "a.json", "c.bin", "xs.npy", "ys.json", "p1.bin"],
        ),
        &["batch of 3 inputs", "p1.bin", "one input"],
    );
    // A zero-knowledge-only verifier refuses the batch proof by its kind.
    fails(
        zkcnn(
            &dir,
            &[
                "verify", "--zk", "a.json", "c.bin", "xs.npy", "ys.json", "p.bin",
            ],
        ),
        &["invalid proof 'p.bin'"],
    );

    // The zero-knowledge default takes a batch, but needs the hiding commitment's files.
    usage_error(
        zkcnn(&dir, &["prove", "m.json", "xs.npy", "-o", "pz.bin"]),
        &["needs --commitment and --prover-data"],
    );
    // A shape that is neither the input's nor a batch's: refused, naming both.
    write(
        &dir,
        "bad.npy",
        zkcnn::npy::write_i64(&[3, 2, 6, 6], &[1; 216]),
    );
    fails(
        zkcnn(
            &dir,
            &[
                "prove",
                "--transparent",
                "m.json",
                "bad.npy",
                "-o",
                "pb.bin",
            ],
        ),
        &[
            "invalid input 'bad.npy'",
            "shape [3, 2, 6, 6]",
            "[1, 6, 6]",
            "[N, 1, 6, 6]",
        ],
    );
}

#[test]
fn accuracy_prove_verify_from_the_cli() {
    let dir = workdir("accuracy");
    let model = tiny(0);
    write(&dir, "m.json", model.to_json());
    let ints: Vec<i64> = (0..3 * 36).map(|i| (i * 13) % 41 - 20).collect();
    write(&dir, "xs.npy", zkcnn::npy::write_i64(&[3, 1, 6, 6], &ints));
    // The oracle's predictions; labels right on the first two inputs, wrong on the third.
    let predicted: Vec<i64> = (0..3)
        .map(|i| {
            let x = ndarray::ArrayD::from_shape_vec(
                ndarray::IxDyn(&[1, 6, 6]),
                ints[i * 36..(i + 1) * 36].to_vec(),
            )
            .unwrap();
            let y: Vec<i64> = zkcnn::model::infer::infer_output(&model, &x)
                .unwrap()
                .iter()
                .copied()
                .collect();
            zkcnn::network::accuracy::first_argmax(&y) as i64
        })
        .collect();
    let classes = zkcnn::model::infer::infer_output(
        &model,
        &ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[1, 6, 6]), ints[..36].to_vec()).unwrap(),
    )
    .unwrap()
    .len() as i64;
    let labels = [predicted[0], predicted[1], (predicted[2] + 1) % classes];
    write(&dir, "ls.npy", zkcnn::npy::write_i64(&[3], &labels));
    write(&dir, "ls.json", serde_json::to_string(&labels).unwrap());
    ok(zkcnn(
        &dir,
        &[
            "commit",
            "--transparent",
            "m.json",
            "-o",
            "c.bin",
            "--architecture",
            "a.json",
        ],
    ));
    let stdout = ok(zkcnn(
        &dir,
        &[
            "prove",
            "--transparent",
            "m.json",
            "xs.npy",
            "--labels",
            "ls.npy",
            "--commitment",
            "c.bin",
            "-o",
            "p.bin",
        ],
    ));
    assert!(stdout.contains("classifies 2 of the 3 inputs"), "{stdout}");
    let proof = std::fs::read(dir.join("p.bin")).unwrap();
    assert_eq!(
        zkcnn::network::proof::kind_of(&proof).unwrap(),
        zkcnn::network::ProofKind::TransparentAccuracy
    );
    for labels in ["ls.npy", "ls.json"] {
        let stdout = ok(zkcnn(
            &dir,
            &["verify", "a.json", "c.bin", "xs.npy", labels, "p.bin"],
        ));
        assert!(stdout.starts_with("valid"), "{stdout}");
        assert!(stdout.contains("classifies 2 of the 3 inputs"), "{stdout}");
    }
    let json = ok(zkcnn(
        &dir,
        &[
            "--json",
            "verify",
            "--transparent",
            "a.json",
            "c.bin",
            "xs.npy",
            "ls.npy",
            "p.bin",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["correct"], 2);
    assert_eq!(v["kind"], "transparent accuracy");
    // Another label: another statement, refused with status 1; too few labels too.
    let other = [labels[0], labels[1], predicted[2]];
    write(&dir, "ls2.json", serde_json::to_string(&other).unwrap());
    fails(
        zkcnn(
            &dir,
            &["verify", "a.json", "c.bin", "xs.npy", "ls2.json", "p.bin"],
        ),
        &["p.bin"],
    );
    write(&dir, "ls3.json", "[0, 1]");
    fails(
        zkcnn(
            &dir,
            &["verify", "a.json", "c.bin", "xs.npy", "ls3.json", "p.bin"],
        ),
        &["2 labels for 3 inputs"],
    );
    // One labelled input (a JSON input): an accuracy proof of one, not a plain proof that
    // drops the label; verified with the label, refused with another.
    let rows: Vec<Vec<i64>> = ints[..36].chunks(6).map(<[i64]>::to_vec).collect();
    write(&dir, "x0.json", serde_json::to_string(&[rows]).unwrap());
    write(&dir, "l0.json", format!("[{}]", predicted[0]));
    write(
        &dir,
        "l0bad.json",
        format!("[{}]", (predicted[0] + 1) % classes),
    );
    let stdout = ok(zkcnn(
        &dir,
        &[
            "prove",
            "--transparent",
            "m.json",
            "x0.json",
            "--labels",
            "l0.json",
            "--commitment",
            "c.bin",
            "-o",
            "p0.bin",
        ],
    ));
    assert!(stdout.contains("classifies 1 of the"), "{stdout}");
    let proof = std::fs::read(dir.join("p0.bin")).unwrap();
    assert_eq!(
        zkcnn::network::proof::kind_of(&proof).unwrap(),
        zkcnn::network::ProofKind::TransparentAccuracy
    );
    let stdout = ok(zkcnn(
        &dir,
        &["verify", "a.json", "c.bin", "x0.json", "l0.json", "p0.bin"],
    ));
    assert!(stdout.starts_with("valid"), "{stdout}");
    fails(
        zkcnn(
            &dir,
            &[
                "verify",
                "a.json",
                "c.bin",
                "x0.json",
                "l0bad.json",
                "p0.bin",
            ],
        ),
        &["p0.bin"],
    );
    // Labels without --transparent ask for a zero-knowledge accuracy proof: without the
    // hiding commitment's files, a usage error (never a proof made without the labels).
    let out = zkcnn(
        &dir,
        &[
            "prove", "m.json", "x0.json", "--labels", "l0.json", "-o", "z.bin",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--transparent"),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.join("z.bin").exists());
}

/// Sharded accuracy proofs: two shards proven with `prove --shard` (their `--json` reports
/// give the manifest's entries), the manifest verified with `verify --shards` and its summed
/// count printed; a count off by one in the manifest, a missing shard (refused, then reported
/// with --allow-gaps), overlapping shards and a bad range refused with what is wrong.
#[test]
fn sharded_accuracy_from_the_cli() {
    let dir = workdir("shards");
    let model = tiny(0);
    write(&dir, "m.json", model.to_json());
    let n = 5usize;
    let ints: Vec<i64> = (0..n as i64 * 36).map(|i| (i * 17) % 43 - 21).collect();
    write(&dir, "xs.npy", zkcnn::npy::write_i64(&[n, 1, 6, 6], &ints));
    let labels: Vec<i64> = (0..n as i64).map(|i| i % 2).collect();
    write(&dir, "ls.npy", zkcnn::npy::write_i64(&[n], &labels));
    ok(zkcnn(
        &dir,
        &[
            "commit",
            "--transparent",
            "m.json",
            "-o",
            "c.bin",
            "--architecture",
            "a.json",
        ],
    ));
    let mut entries = Vec::new();
    let mut head = serde_json::Value::Null;
    for (range, proof) in [("0..2", "s0.proof"), ("2..5", "s1.proof")] {
        let json = ok(zkcnn(
            &dir,
            &[
                "--json",
                "prove",
                "--transparent",
                "m.json",
                "xs.npy",
                "--labels",
                "ls.npy",
                "--shard",
                range,
                "--commitment",
                "c.bin",
                "-o",
                proof,
            ],
        ));
        let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
        assert_eq!(v["dataset_count"], n);
        entries.push(v["shard"].clone());
        head = v;
    }
    let manifest = |shards: &[serde_json::Value]| {
        serde_json::json!({
            "format": "zkcnn-accuracy-shards",
            "version": 1,
            "model_commitment": head["model_commitment"],
            "dataset": head["dataset"],
            "count": n,
            "shards": shards,
        })
        .to_string()
    };
    // The proofs' paths are relative to the manifest's folder.
    let shard = |e: &serde_json::Value| {
        let mut e = e.clone();
        e["proof"] = std::path::Path::new(e["proof"].as_str().unwrap())
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .into();
        e
    };
    let (s0, s1) = (shard(&entries[0]), shard(&entries[1]));
    write(&dir, "set.json", manifest(&[s1.clone(), s0.clone()]));
    let total = s0["correct"].as_u64().unwrap() + s1["correct"].as_u64().unwrap();
    let verify = |m: &str, extra: &[&str]| {
        let mut args = vec!["verify", "--shards"];
        args.extend_from_slice(extra);
        args.extend(["a.json", "c.bin", "xs.npy", "ls.npy", m]);
        zkcnn(&dir, &args)
    };
    let stdout = ok(verify("set.json", &[]));
    assert!(stdout.starts_with("valid"), "{stdout}");
    assert!(
        stdout.contains(&format!("classifies {total} of the {n} inputs")),
        "{stdout}"
    );
    // Each shard is an ordinary accuracy proof on its slice: the plain prover's count.
    let whole = ok(zkcnn(
        &dir,
        &[
            "--json",
            "prove",
            "--transparent",
            "m.json",
            "xs.npy",
            "--labels",
            "ls.npy",
            "-o",
            "all.proof",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(whole.trim()).unwrap();
    assert_eq!(v["correct"], total);
    let mut off = s1.clone();
    off["correct"] = (s1["correct"].as_u64().unwrap() + 1).into();
    write(&dir, "off.json", manifest(&[s0.clone(), off]));
    fails(
        verify("off.json", &[]),
        &["invalid proof 'off.json'", "shard 1: the manifest claims"],
    );
    write(&dir, "gap.json", manifest(std::slice::from_ref(&s1)));
    fails(
        verify("gap.json", &[]),
        &["no shard covers the inputs 0..2"],
    );
    let partial = ok(verify("gap.json", &["--allow-gaps"]));
    assert!(partial.contains("not proven: inputs 0..2"), "{partial}");
    let mut wide = s0.clone();
    wide["end"] = 3.into();
    write(
        &dir,
        "overlap.json",
        manifest(&[s0.clone(), s1.clone(), wide]),
    );
    fails(
        verify("overlap.json", &[]),
        &["shards 0 and 2 overlap on 0..2"],
    );
    write(&dir, "bad.json", "{\"format\": 1}");
    fails(
        verify("bad.json", &[]),
        &["invalid shard manifest 'bad.json'"],
    );
    fails(
        zkcnn(
            &dir,
            &[
                "prove",
                "--transparent",
                "m.json",
                "xs.npy",
                "--labels",
                "ls.npy",
                "--shard",
                "4..9",
                "-o",
                "x.proof",
            ],
        ),
        &["shard 4..9 is not a slice"],
    );
}

/// `--input-divisor D`: raw pixels (an integer .npy) divided by `D` before quantization give the
/// same inputs, proof statement and count as the float images `pixels / D`; `verify` needs the
/// same divisor (without it the raw pixels are integers used as they are, out of the
/// activation range); a model without quantization, and a divisor that is not positive, are
/// usage errors.
#[test]
fn input_divisor_reads_raw_pixels() {
    let dir = workdir("divisor");
    let f = fixtures().join("mnist-lenet5");
    let model = f.join("model.json").display().to_string();
    let raw = zkcnn::npy::read_i64(&std::fs::read(f.join("heldout-images.npy")).unwrap()).unwrap();
    let labels = zkcnn::npy::read_i64(&std::fs::read(f.join("heldout-labels.npy")).unwrap())
        .unwrap()
        .data;
    let n = 3;
    let pixels = &raw.data[..n * 784];
    assert!(
        pixels.iter().any(|&p| p > 127),
        "raw pixels, beyond the activation range"
    );
    write(
        &dir,
        "raw.npy",
        zkcnn::npy::write_i64(&[n, 1, 28, 28], pixels),
    );
    let reals: Vec<f32> = pixels.iter().map(|&p| p as f32 / 255.0).collect();
    write(
        &dir,
        "real.npy",
        zkcnn::npy::write_f32(&[n, 1, 28, 28], &reals),
    );
    write(&dir, "ls.npy", zkcnn::npy::write_i64(&[n], &labels[..n]));
    ok(zkcnn(
        &dir,
        &[
            "commit",
            "--transparent",
            &model,
            "-o",
            "c.bin",
            "--architecture",
            "a.json",
        ],
    ));
    let prove = |input: &str, proof: &str, divisor: Option<&str>| {
        let mut args = vec![
            "prove",
            "--transparent",
            &model,
            input,
            "--labels",
            "ls.npy",
            "--commitment",
            "c.bin",
            "-o",
            proof,
        ];
        if let Some(d) = divisor {
            args.extend(["--input-divisor", d]);
        }
        ok(zkcnn(&dir, &args))
    };
    let a = prove("raw.npy", "raw.proof", Some("255"));
    let b = prove("real.npy", "real.proof", None);
    assert!(
        a.contains(&format!("classifies {n} of the {n} inputs")),
        "{a}"
    );
    assert!(
        b.contains(&format!("classifies {n} of the {n} inputs")),
        "{b}"
    );
    // Either proof verifies against either form of the same inputs.
    for (input, divisor) in [("raw.npy", Some("255")), ("real.npy", None)] {
        for proof in ["raw.proof", "real.proof"] {
            let mut args = vec!["verify", "a.json", "c.bin", input, "ls.npy", proof];
            if let Some(d) = divisor {
                args.extend(["--input-divisor", d]);
            }
            let out = ok(zkcnn(&dir, &args));
            assert!(out.starts_with("valid"), "{input} {proof}: {out}");
        }
    }
    let verify_raw = |extra: &[&str]| {
        let mut args = vec![
            "verify",
            "a.json",
            "c.bin",
            "raw.npy",
            "ls.npy",
            "raw.proof",
        ];
        args.extend(extra);
        zkcnn(&dir, &args)
    };
    // Without the divisor, the raw pixels are integers used as they are: out of range.
    fails(verify_raw(&[]), &["invalid input", "raw.npy"]);
    // With another divisor, other inputs: the proof does not verify.
    fails(verify_raw(&["--input-divisor", "128"]), &["raw.proof"]);
    for d in ["0", "-1", "nan"] {
        usage_error(
            verify_raw(&[&format!("--input-divisor={d}")]),
            &["--input-divisor must be a positive number"],
        );
    }
    // A model without quantization reads integers as they are.
    write(&dir, "tiny.json", tiny(0).to_json());
    write(&dir, "x.json", input_json(1));
    usage_error(
        zkcnn(
            &dir,
            &[
                "prove",
                "--transparent",
                "tiny.json",
                "x.json",
                "-o",
                "p",
                "--input-divisor",
                "2",
            ],
        ),
        &["--input-divisor needs a model with quantization"],
    );
}

/// `count` seeded [1, 6, 6] inputs as a JSON batch `[count, 1, 6, 6]` and their integers.
fn json_batch(count: usize, seed: i64) -> (String, Vec<i64>) {
    let ints: Vec<i64> = (0..count as i64 * 36)
        .map(|i| (i * 13 + seed) % 41 - 20)
        .collect();
    let batch: Vec<Vec<Vec<Vec<i64>>>> = ints
        .chunks(36)
        .map(|x| vec![x.chunks(6).map(<[i64]>::to_vec).collect()])
        .collect();
    (serde_json::to_string(&batch).unwrap(), ints)
}

/// The tiny model's outputs on `ints`, 36 numbers per input.
fn tiny_outputs(ints: &[i64]) -> Vec<Vec<i64>> {
    ints.chunks(36)
        .map(|x| {
            let x =
                ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[1, 6, 6]), x.to_vec()).unwrap();
            zkcnn::model::infer::infer_output(&tiny(0), &x)
                .unwrap()
                .iter()
                .copied()
                .collect()
        })
        .collect()
}

/// Writes `m.json` (tiny) and commits it transparently (`c.bin`, `a.json`).
fn committed_tiny(name: &str) -> PathBuf {
    let dir = workdir(name);
    write(&dir, "m.json", tiny(0).to_json());
    ok(zkcnn(
        &dir,
        &[
            "commit",
            "--transparent",
            "m.json",
            "-o",
            "c.bin",
            "--architecture",
            "a.json",
        ],
    ));
    dir
}

/// The whole stderr line of a failed command (status 1).
fn error_line(out: Output) -> String {
    fails(out, &[]).trim_end().to_string()
}

#[test]
fn json_batches_prove_and_verify_as_npy_batches_do() {
    let dir = committed_tiny("json-batch");
    let (batch, ints) = json_batch(3, 5);
    write(&dir, "xs.json", &batch);
    let stdout = ok(zkcnn(
        &dir,
        &[
            "prove",
            "--transparent",
            "m.json",
            "xs.json",
            "--commitment",
            "c.bin",
            "-o",
            "p.bin",
            "--output",
            "ys.json",
        ],
    ));
    assert!(stdout.contains("batch of 3 inputs"), "{stdout}");
    let proof = std::fs::read(dir.join("p.bin")).unwrap();
    assert_eq!(
        zkcnn::network::proof::kind_of(&proof).unwrap(),
        zkcnn::network::ProofKind::TransparentBatch
    );
    let ys: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("ys.json")).unwrap()).unwrap();
    let got: Vec<Vec<i64>> = ys
        .iter()
        .map(|y| serde_json::from_value(y["output"].clone()).unwrap())
        .collect();
    assert_eq!(got, tiny_outputs(&ints));
    let stdout = ok(zkcnn(
        &dir,
        &["verify", "a.json", "c.bin", "xs.json", "ys.json", "p.bin"],
    ));
    assert!(stdout.starts_with("valid"), "{stdout}");
    // The same batch as a .npy file is the same statement.
    write(&dir, "xs.npy", zkcnn::npy::write_i64(&[3, 1, 6, 6], &ints));
    ok(zkcnn(
        &dir,
        &["verify", "a.json", "c.bin", "xs.npy", "ys.json", "p.bin"],
    ));
    // A changed output: another statement.
    let mut edited = got.clone();
    edited[2][1] += 1;
    write(&dir, "ys2.json", serde_json::to_string(&edited).unwrap());
    fails(
        zkcnn(
            &dir,
            &["verify", "a.json", "c.bin", "xs.json", "ys2.json", "p.bin"],
        ),
        &["p.bin", "another statement"],
    );
    // [1, 1, 6, 6] stays one input: a single proof.
    let (one, _) = json_batch(1, 5);
    write(&dir, "x1.json", &one);
    let stdout = ok(zkcnn(
        &dir,
        &[
            "prove",
            "--transparent",
            "m.json",
            "x1.json",
            "-o",
            "p1.bin",
        ],
    ));
    assert!(!stdout.contains("batch"), "{stdout}");
    let proof = std::fs::read(dir.join("p1.bin")).unwrap();
    assert_eq!(
        zkcnn::network::proof::kind_of(&proof).unwrap(),
        zkcnn::network::ProofKind::Transparent
    );
    // A batch of the wrong inner shape, named with what was found and what was expected.
    let bad: Vec<Vec<Vec<Vec<i64>>>> = vec![vec![vec![vec![1; 5]; 6]]; 2];
    write(&dir, "bad.json", serde_json::to_string(&bad).unwrap());
    assert_eq!(
        error_line(zkcnn(
            &dir,
            &[
                "prove",
                "--transparent",
                "m.json",
                "bad.json",
                "-o",
                "pb.bin"
            ],
        )),
        "zkcnn: invalid input 'bad.json': shape [2, 1, 6, 5] does not match the model's input \
         shape [1, 6, 6] (nor a batch [N, 1, 6, 6] of N inputs)"
    );
    // A quantized model quantizes a JSON batch's reals as a float .npy batch's.
    let q = tiny_quantized();
    write(&dir, "q.json", q.to_json());
    let reals: Vec<f32> = (0..2 * 36).map(|i| (i % 17) as f32 / 8.0 - 1.0).collect();
    let nested: Vec<Vec<Vec<Vec<f32>>>> = reals
        .chunks(36)
        .map(|x| vec![x.chunks(6).map(<[f32]>::to_vec).collect()])
        .collect();
    write(&dir, "r.json", serde_json::to_string(&nested).unwrap());
    write(&dir, "r.npy", zkcnn::npy::write_f32(&[2, 1, 6, 6], &reals));
    ok(zkcnn(
        &dir,
        &[
            "prove",
            "--transparent",
            "q.json",
            "r.json",
            "-o",
            "pq.bin",
            "--output",
            "yq.json",
        ],
    ));
    ok(zkcnn(
        &dir,
        &["commit", "--transparent", "q.json", "-o", "cq.bin"],
    ));
    ok(zkcnn(
        &dir,
        &["verify", "q.json", "cq.bin", "r.npy", "yq.json", "pq.bin"],
    ));
}

#[test]
fn several_input_files_are_one_batch_in_their_order() {
    let dir = committed_tiny("input-list");
    // Input 0 as JSON, inputs 1..3 as a .npy batch, input 3 as a JSON batch of one, inputs
    // 4..6 as a JSON batch: six inputs in five files, in a list with a comment and a blank line.
    let (_, ints) = json_batch(6, 7);
    let nested =
        |x: &[i64]| -> Vec<Vec<Vec<i64>>> { vec![x.chunks(6).map(<[i64]>::to_vec).collect()] };
    write(
        &dir,
        "x0.json",
        serde_json::to_string(&nested(&ints[..36])).unwrap(),
    );
    write(
        &dir,
        "x12.npy",
        zkcnn::npy::write_i64(&[2, 1, 6, 6], &ints[36..108]),
    );
    write(
        &dir,
        "x3.json",
        serde_json::to_string(&[nested(&ints[108..144])]).unwrap(),
    );
    let rest: Vec<_> = ints[144..].chunks(36).map(nested).collect();
    write(&dir, "x45.json", serde_json::to_string(&rest).unwrap());
    std::fs::create_dir_all(dir.join("lists")).unwrap();
    // Paths are relative to the list's folder.
    write(
        &dir,
        "lists/all.txt",
        "# the week's inputs\n../x0.json\n\n../x12.npy\n  ../x3.json\n../x45.json\n",
    );
    write(&dir, "two.txt", "x0.json\nx12.npy\n");
    write(&dir, "swapped.txt", "x12.npy\nx0.json\n");
    let prove = |input: &str, proof: &str, out: &str| {
        ok(zkcnn(
            &dir,
            &[
                "prove",
                "--transparent",
                "m.json",
                input,
                "--commitment",
                "c.bin",
                "-o",
                proof,
                "--output",
                out,
            ],
        ))
    };
    let verify = |input: &str, out: &str, proof: &str| {
        zkcnn(&dir, &["verify", "a.json", "c.bin", input, out, proof])
    };
    let stdout = prove("@lists/all.txt", "p6.bin", "y6.json");
    assert!(
        stdout.contains("batch of 6 inputs '@lists/all.txt'"),
        "{stdout}"
    );
    let ys: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("y6.json")).unwrap()).unwrap();
    let got: Vec<Vec<i64>> = ys
        .iter()
        .map(|y| serde_json::from_value(y["output"].clone()).unwrap())
        .collect();
    assert_eq!(got, tiny_outputs(&ints));
    assert!(ok(verify("@lists/all.txt", "y6.json", "p6.bin")).starts_with("valid"));
    // The same six inputs in one file are the same statement.
    write(&dir, "x6.npy", zkcnn::npy::write_i64(&[6, 1, 6, 6], &ints));
    assert!(ok(verify("x6.npy", "y6.json", "p6.bin")).starts_with("valid"));
    // Two files (JSON, then a .npy batch): proven, verified; the files in the other order (the
    // outputs reordered to match) are another statement.
    prove("@two.txt", "p3.bin", "y3.json");
    assert!(ok(verify("@two.txt", "y3.json", "p3.bin")).starts_with("valid"));
    let y3: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("y3.json")).unwrap()).unwrap();
    let reordered = [y3[1].clone(), y3[2].clone(), y3[0].clone()];
    write(
        &dir,
        "y3-swapped.json",
        serde_json::to_string(&reordered).unwrap(),
    );
    fails(
        verify("@swapped.txt", "y3-swapped.json", "p3.bin"),
        &["p3.bin", "another statement"],
    );
    fails(
        verify("@swapped.txt", "y3.json", "p3.bin"),
        &["p3.bin", "another statement"],
    );
    // A listed file's error names that file; a list naming nothing, or a missing list, too.
    write(&dir, "bad.json", "[[1, 2]]");
    write(&dir, "with-bad.txt", "x0.json\nbad.json\n");
    fails(
        zkcnn(
            &dir,
            &[
                "prove",
                "--transparent",
                "m.json",
                "@with-bad.txt",
                "-o",
                "q.bin",
            ],
        ),
        &["invalid input 'bad.json'", "shape [1, 2]"],
    );
    write(&dir, "empty.txt", "# nothing\n\n");
    assert_eq!(
        error_line(zkcnn(
            &dir,
            &[
                "prove",
                "--transparent",
                "m.json",
                "@empty.txt",
                "-o",
                "q.bin"
            ]
        )),
        "zkcnn: invalid input list 'empty.txt': it names no input file (one path per line; \
         blank lines and lines starting with # are skipped)"
    );
    fails(
        zkcnn(
            &dir,
            &[
                "prove",
                "--transparent",
                "m.json",
                "@nope.txt",
                "-o",
                "q.bin",
            ],
        ),
        &["cannot read input list 'nope.txt'"],
    );
    // A zero-knowledge proof of the batch a list makes needs the hiding commitment's files.
    usage_error(
        zkcnn(&dir, &["prove", "m.json", "@two.txt", "-o", "pz.bin"]),
        &["needs --commitment and --prover-data"],
    );
}

#[test]
fn labels_and_shards_count_in_the_concatenated_batch() {
    let dir = committed_tiny("input-list-labels");
    let (batch, ints) = json_batch(2, 3);
    write(&dir, "xa.json", &batch);
    let (_, more) = json_batch(2, 11);
    write(&dir, "xb.npy", zkcnn::npy::write_i64(&[2, 1, 6, 6], &more));
    write(&dir, "list.txt", "xa.json\nxb.npy\n");
    let all: Vec<i64> = ints.iter().chain(&more).copied().collect();
    let predicted: Vec<i64> = tiny_outputs(&all)
        .iter()
        .map(|y| zkcnn::network::accuracy::first_argmax(y) as i64)
        .collect();
    // Right on inputs 0, 1 and 3 (one in each file's batch), wrong on input 2.
    let labels = [
        predicted[0],
        predicted[1],
        (predicted[2] + 1) % 4,
        predicted[3],
    ];
    write(&dir, "ls.json", serde_json::to_string(&labels).unwrap());
    let stdout = ok(zkcnn(
        &dir,
        &[
            "prove",
            "--transparent",
            "m.json",
            "@list.txt",
            "--labels",
            "ls.json",
            "--commitment",
            "c.bin",
            "-o",
            "acc.bin",
        ],
    ));
    assert!(stdout.contains("classifies 3 of the 4 inputs"), "{stdout}");
    let stdout = ok(zkcnn(
        &dir,
        &[
            "verify",
            "a.json",
            "c.bin",
            "@list.txt",
            "ls.json",
            "acc.bin",
        ],
    ));
    assert!(stdout.contains("classifies 3 of the 4 inputs"), "{stdout}");
    // The labels in the other files' order do not verify.
    write(&dir, "swapped.txt", "xb.npy\nxa.json\n");
    fails(
        zkcnn(
            &dir,
            &[
                "verify",
                "a.json",
                "c.bin",
                "@swapped.txt",
                "ls.json",
                "acc.bin",
            ],
        ),
        &["acc.bin"],
    );
    // A shard that straddles the two files: inputs 1..3 of the concatenated batch.
    let json = ok(zkcnn(
        &dir,
        &[
            "--json",
            "prove",
            "--transparent",
            "m.json",
            "@list.txt",
            "--labels",
            "ls.json",
            "--shard",
            "1..3",
            "--commitment",
            "c.bin",
            "-o",
            "s.bin",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(v["dataset_count"], 4);
    assert_eq!(v["correct"], 1);
    // The shard is an accuracy proof on its slice: verified against inputs 1..3 as one file.
    write(
        &dir,
        "x12.npy",
        zkcnn::npy::write_i64(&[2, 1, 6, 6], &all[36..108]),
    );
    write(
        &dir,
        "l12.json",
        serde_json::to_string(&labels[1..3]).unwrap(),
    );
    assert!(ok(zkcnn(
        &dir,
        &["verify", "a.json", "c.bin", "x12.npy", "l12.json", "s.bin"],
    ))
    .contains("classifies 1 of the 2 inputs"));
}

/// A dense 1 → 1 model: the cheapest inputs for the batch limit's tests.
fn scalar_model() -> Model {
    Model {
        name: "scalar".into(),
        input_shape: vec![1],
        activation_bits: 8,
        weight_bits: 8,
        layers: vec![Layer::Dense(Dense {
            input: None,
            in_features: 1,
            out_features: 1,
            weights: vec![1],
            bias: vec![0],
            shift: 0,
        })],
        quantization: None,
        saturate: false,
        bias_bits: 32,
    }
}

#[test]
fn more_inputs_than_a_batch_takes_are_refused_before_reading_the_next_file() {
    let dir = workdir("input-list-limit");
    write(&dir, "m.json", scalar_model().to_json());
    let max = zkcnn::network::batch::MAX_BATCH;
    assert_eq!(max, 65536);
    // A full batch in one .npy file (512 KiB), and one input more.
    write(
        &dir,
        "full.npy",
        zkcnn::npy::write_i64(&[max, 1], &vec![1; max]),
    );
    write(&dir, "one.json", "[2]");
    write(&dir, "full-then-one.txt", "full.npy\none.json\n");
    write(&dir, "one-then-full.txt", "one.json\nfull.npy\n");
    let prove = |input: &str| {
        error_line(zkcnn(
            &dir,
            &["prove", "--transparent", "m.json", input, "-o", "p.bin"],
        ))
    };
    // Refused before the next file is read: a missing file is not even opened.
    write(&dir, "full-then-missing.txt", "full.npy\nmissing.json\n");
    for list in ["full-then-one.txt", "full-then-missing.txt"] {
        let next = if list == "full-then-one.txt" {
            "one.json"
        } else {
            "missing.json"
        };
        assert_eq!(
            prove(&format!("@{list}")),
            format!(
                "zkcnn: invalid input list '{list}': the files before '{next}' hold 65536 inputs \
                 already; at most 65536 are proven in one proof"
            )
        );
    }
    assert_eq!(
        prove("@one-then-full.txt"),
        "zkcnn: invalid input 'full.npy': 65536 inputs after the 1 of the files before it make \
         65537; at most 65536 are proven in one proof"
    );
    // A list naming more files than a batch takes: refused before any file is read.
    let names = "one.json\n".repeat(max + 1);
    write(&dir, "many.txt", &names);
    assert_eq!(
        prove("@many.txt"),
        "zkcnn: invalid input list 'many.txt': it names more than 65536 files; at most 65536 \
         inputs are proven in one proof"
    );
    // One file over the limit.
    write(
        &dir,
        "over.npy",
        zkcnn::npy::write_i64(&[max + 1, 1], &vec![1; max + 1]),
    );
    assert_eq!(
        prove("over.npy"),
        "zkcnn: invalid input 'over.npy': a batch of 65537 inputs; at most 65536 are proven in \
         one proof"
    );
}

/// `values` as a little-endian int32 `.npy` array (NumPy's default integer on some platforms).
fn npy_i32(shape: &[usize], values: &[i64]) -> Vec<u8> {
    let i64s = zkcnn::npy::write_i64(shape, values);
    let data_at = i64s.len() - 8 * values.len();
    let mut out = i64s[..data_at].to_vec();
    let at = out.windows(3).position(|w| w == b"<i8").unwrap();
    out[at + 2] = b'4';
    for &v in values {
        out.extend_from_slice(&(v as i32).to_le_bytes());
    }
    out
}

#[test]
fn npy_outputs_round_trip_for_one_input_and_a_batch() {
    let dir = committed_tiny("npy-outputs");
    let (one, x) = json_batch(1, 2);
    write(&dir, "x.json", &one);
    let (batch, xs) = json_batch(3, 9);
    write(&dir, "xs.json", &batch);
    let prove = |input: &str, proof: &str, out: &str| {
        ok(zkcnn(
            &dir,
            &[
                "prove",
                "--transparent",
                "m.json",
                input,
                "--commitment",
                "c.bin",
                "-o",
                proof,
                "--output",
                out,
            ],
        ))
    };
    let verify = |input: &str, out: &str, proof: &str| {
        zkcnn(&dir, &["verify", "a.json", "c.bin", input, out, proof])
    };
    // One input: the output's shape ([4]), int64, the proven integers.
    let stdout = prove("x.json", "p.bin", "y.npy");
    assert!(stdout.contains("output written to y.npy"), "{stdout}");
    let y = zkcnn::npy::read_integers(&std::fs::read(dir.join("y.npy")).unwrap()).unwrap();
    assert!(std::fs::read(dir.join("y.npy")).unwrap()[..64]
        .windows(3)
        .any(|w| w == b"<i8"));
    assert_eq!(y.shape, vec![4]);
    assert_eq!(vec![y.data.clone()], tiny_outputs(&x));
    assert!(ok(verify("x.json", "y.npy", "p.bin")).starts_with("valid"));
    // Any integer dtype is read; the JSON output file of the same proof verifies too.
    write(&dir, "y32.npy", npy_i32(&[4], &y.data));
    assert!(ok(verify("x.json", "y32.npy", "p.bin")).starts_with("valid"));
    write(&dir, "y.json", serde_json::to_string(&y.data).unwrap());
    assert!(ok(verify("x.json", "y.json", "p.bin")).starts_with("valid"));
    // A batch: [3, 4].
    prove("xs.json", "pb.bin", "ys.npy");
    let ys = zkcnn::npy::read_integers(&std::fs::read(dir.join("ys.npy")).unwrap()).unwrap();
    assert_eq!(ys.shape, vec![3, 4]);
    assert_eq!(
        ys.data.chunks(4).map(<[i64]>::to_vec).collect::<Vec<_>>(),
        tiny_outputs(&xs)
    );
    assert!(ok(verify("xs.json", "ys.npy", "pb.bin")).starts_with("valid"));
    // Edited outputs: another statement.
    let mut edited = ys.data.clone();
    edited[5] += 1;
    write(
        &dir,
        "ys-edited.npy",
        zkcnn::npy::write_i64(&[3, 4], &edited),
    );
    fails(
        verify("xs.json", "ys-edited.npy", "pb.bin"),
        &["pb.bin", "another statement"],
    );
    let mut edited = y.data.clone();
    edited[0] -= 1;
    write(&dir, "y-edited.npy", zkcnn::npy::write_i64(&[4], &edited));
    fails(
        verify("x.json", "y-edited.npy", "p.bin"),
        &["p.bin", "another statement"],
    );
    // The wrong shape, exactly: a batch's outputs for one input, flat ones for a batch.
    write(&dir, "y14.npy", zkcnn::npy::write_i64(&[1, 4], &y.data));
    assert_eq!(
        error_line(verify("x.json", "y14.npy", "p.bin")),
        "zkcnn: invalid output 'y14.npy': shape [1, 4] does not match the model's output shape \
         [4]"
    );
    write(&dir, "ys12.npy", zkcnn::npy::write_i64(&[12], &ys.data));
    assert_eq!(
        error_line(verify("xs.json", "ys12.npy", "pb.bin")),
        "zkcnn: invalid output 'ys12.npy': shape [12] does not match [3, 4], the batch's 3 \
         outputs of shape [4]"
    );
    // A float dtype, even of integer values.
    let floats: Vec<f32> = y.data.iter().map(|&v| v as f32).collect();
    write(&dir, "yf.npy", zkcnn::npy::write_f32(&[4], &floats));
    assert_eq!(
        error_line(verify("x.json", "yf.npy", "p.bin")),
        "zkcnn: invalid output 'yf.npy': dtype '<f4' is a float type; integers are needed \
         (int64, or any integer dtype)"
    );
    // Outside the activation range.
    write(
        &dir,
        "yr.npy",
        zkcnn::npy::write_i64(&[4], &[0, 0, 1000, 0]),
    );
    fails(
        verify("x.json", "yr.npy", "p.bin"),
        &[
            "invalid output 'yr.npy'",
            "element 2 (1000)",
            "activation range",
        ],
    );
}

/// `commit --codeword` writes the hiding commitment's codeword; `prove --codeword` reads it
/// instead of encoding the table again, and its proof verifies and spends the same budget; a
/// codeword of another commitment or a damaged one is refused by name; `--codeword` with
/// `--transparent` is a usage error.
#[test]
fn zk_prove_with_a_stored_codeword() {
    let dir = workdir("zk-codeword");
    write(&dir, "m.json", tiny(0).to_json());
    write(&dir, "x.json", input_json(0));
    let commit = [
        "commit",
        "m.json",
        "-o",
        "zc.bin",
        "--prover-data",
        "zk.prv",
        "--architecture",
        "a.json",
        "--codeword",
        "zk.cw",
    ];
    let stdout = ok(zkcnn(&dir, &commit));
    assert!(stdout.contains("wrote the codeword to zk.cw"), "{stdout}");
    let before = revealed(&dir, "zk.prv");
    let stdout = ok(run(&dir, &with(&PROVE_ZK, &[], &["--codeword", "zk.cw"])));
    assert!(stdout.contains("in zero knowledge"), "{stdout}");
    assert!(revealed(&dir, "zk.prv") > before);
    ok(zkcnn(&dir, &VERIFY_ZK));
    // A proof without the codeword spends as much.
    let spent = revealed(&dir, "zk.prv") - before;
    ok(zkcnn(&dir, &PROVE_ZK));
    assert_eq!(revealed(&dir, "zk.prv") - before, 2 * spent);
    // Another commitment's codeword (the same weights, fresh randomness).
    ok(run(
        &dir,
        &with(
            &commit,
            &[
                ("zc.bin", "zc2.bin"),
                ("zk.prv", "zk2.prv"),
                ("zk.cw", "zk2.cw"),
            ],
            &[],
        ),
    ));
    fails(
        run(&dir, &with(&PROVE_ZK, &[], &["--codeword", "zk2.cw"])),
        &["does not match"],
    );
    // Damaged: truncated, or not a codeword file.
    let cw = std::fs::read(dir.join("zk.cw")).unwrap();
    write(&dir, "cut.cw", &cw[..cw.len() / 2]);
    fails(
        run(&dir, &with(&PROVE_ZK, &[], &["--codeword", "cut.cw"])),
        &["invalid codeword file 'cut.cw'", "truncated"],
    );
    write(&dir, "junk.cw", [b'x'; 300]);
    fails(
        run(&dir, &with(&PROVE_ZK, &[], &["--codeword", "junk.cw"])),
        &[
            "invalid codeword file 'junk.cw'",
            "not a zkcnn codeword file",
        ],
    );
    let out = run(
        &dir,
        &with(&PROVE_ZK, &[], &["--transparent", "--codeword", "zk.cw"]),
    );
    assert_eq!(out.status.code(), Some(2));
}

/// The tiny model's first maximal logit on each input of `ints` (36 numbers per input).
fn tiny_predictions(ints: &[i64]) -> Vec<i64> {
    tiny_outputs(ints)
        .iter()
        .map(|y| zkcnn::network::accuracy::first_argmax(y) as i64)
        .collect()
}

/// Writes `m.json` (tiny), `xs.npy` (a batch of three, its integers returned) and `x.json`,
/// and commits the model with a hiding commitment (`zc.bin`, `zk.prv`, `a.json`).
fn committed_tiny_zk(name: &str) -> (PathBuf, Vec<i64>) {
    let dir = workdir(name);
    write(&dir, "m.json", tiny(0).to_json());
    let ints: Vec<i64> = (0..3 * 36).map(|i| (i * 13) % 41 - 20).collect();
    write(&dir, "xs.npy", zkcnn::npy::write_i64(&[3, 1, 6, 6], &ints));
    write(&dir, "x.json", input_json(0));
    ok(zkcnn(
        &dir,
        &[
            "commit",
            "m.json",
            "-o",
            "zc.bin",
            "--prover-data",
            "zk.prv",
            "--architecture",
            "a.json",
        ],
    ));
    (dir, ints)
}

const ZK_FILES: [&str; 4] = ["--commitment", "zc.bin", "--prover-data", "zk.prv"];

/// `path`'s bytes with byte `at` (from the end when negative) flipped, written to `to`.
fn flipped(dir: &Path, path: &str, at: isize, to: &str) {
    let mut bytes = std::fs::read(dir.join(path)).unwrap();
    let i = if at < 0 {
        (bytes.len() as isize + at) as usize
    } else {
        at as usize
    };
    bytes[i] ^= 1;
    write(dir, to, bytes);
}

/// `zkcnn::network::proof::kind_of` of a proof file.
fn kind_of(dir: &Path, path: &str) -> zkcnn::network::ProofKind {
    zkcnn::network::proof::kind_of(&std::fs::read(dir.join(path)).unwrap()).unwrap()
}

/// A zero-knowledge batch proof of public inputs: the outputs are plain inference's, the
/// model's budget is spent, `verify` accepts it (by its kind, or with --zk) and refuses one
/// output or one input changed, a flipped byte, and the transparent kind asked for.
#[test]
fn zk_batch_prove_verify_from_the_cli() {
    let (dir, ints) = committed_tiny_zk("zk-batch");
    let before = revealed(&dir, "zk.prv");
    let prove = with(
        &[
            "prove", "m.json", "xs.npy", "-o", "bp.bin", "--output", "ys.json",
        ],
        &[],
        &ZK_FILES,
    );
    let stdout = ok(run(&dir, &prove));
    assert!(stdout.contains("batch of 3 inputs"), "{stdout}");
    assert!(
        stdout.contains("one zero-knowledge batch proof"),
        "{stdout}"
    );
    assert!(revealed(&dir, "zk.prv") > before, "the budget is spent");
    assert_eq!(
        kind_of(&dir, "bp.bin"),
        zkcnn::network::ProofKind::ZeroKnowledgeBatch
    );
    let ys: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("ys.json")).unwrap()).unwrap();
    let want = tiny_outputs(&ints);
    assert_eq!(ys.len(), 3);
    for (i, y) in ys.iter().enumerate() {
        let got: Vec<i64> = serde_json::from_value(y["output"].clone()).unwrap();
        assert_eq!(got, want[i], "output {i}");
    }
    let verify = ["verify", "a.json", "zc.bin", "xs.npy", "ys.json", "bp.bin"];
    let stdout = ok(zkcnn(&dir, &verify));
    assert!(
        stdout.starts_with("valid zero-knowledge batch proof"),
        "{stdout}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&ok(run(&dir, &with(&verify, &[], &["--json", "--zk"])))).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["kind"], "zero-knowledge batch");
    assert_eq!(v["count"], 3);
    assert_eq!(v["input_hidden"], false);
    // The outputs as .npy [N, ...output shape] verify too.
    let flat: Vec<i64> = want.concat();
    write(
        &dir,
        "ys.npy",
        zkcnn::npy::write_i64(&[3, want[0].len()], &flat),
    );
    ok(run(&dir, &with(&verify, &[("ys.json", "ys.npy")], &[])));
    // One output changed, one input changed: another statement.
    let mut edited = want.clone();
    edited[2][1] += 1;
    write(&dir, "ys2.json", serde_json::to_string(&edited).unwrap());
    fails(
        run(&dir, &with(&verify, &[("ys.json", "ys2.json")], &[])),
        &["bp.bin", "another statement"],
    );
    let mut other = ints.clone();
    other[80] += 1;
    write(
        &dir,
        "xs2.npy",
        zkcnn::npy::write_i64(&[3, 1, 6, 6], &other),
    );
    fails(
        run(&dir, &with(&verify, &[("xs.npy", "xs2.npy")], &[])),
        &["bp.bin", "another statement"],
    );
    // A flipped byte in the body: refused (by the format or the verifier).
    flipped(&dir, "bp.bin", -40, "flip.bin");
    fails(
        run(&dir, &with(&verify, &[("bp.bin", "flip.bin")], &[])),
        &["invalid proof 'flip.bin'"],
    );
    // Asked for a transparent proof: refused by its kind.
    fails(
        run(&dir, &with(&verify, &[], &["--transparent"])),
        &[
            "invalid proof 'bp.bin'",
            "this is a zero-knowledge batch proof; expected a transparent proof",
        ],
    );
    // A batch proof against one input.
    fails(
        run(&dir, &with(&verify, &[("xs.npy", "x.json")], &[])),
        &["batch proof", "one input"],
    );
}

/// `commit-input` on a batch, a zero-knowledge batch proof on it (both budgets spent), its
/// verification against the batch's commitment file, and every mismatch between one input's
/// commitment and a batch's refused by name.
#[test]
fn zk_committed_batch_prove_verify_from_the_cli() {
    let (dir, ints) = committed_tiny_zk("zk-committed-batch");
    let v: serde_json::Value = serde_json::from_str(&ok(zkcnn(
        &dir,
        &[
            "--json",
            "commit-input",
            "a.json",
            "xs.npy",
            "-o",
            "xsc.bin",
            "--prover-data",
            "xs.prv",
        ],
    )))
    .unwrap();
    assert_eq!(v["count"], 3);
    let hidden = [
        "--input-commitment",
        "xsc.bin",
        "--input-prover-data",
        "xs.prv",
    ];
    let prove: Vec<&str> = [
        &[
            "prove", "m.json", "xs.npy", "-o", "hp.bin", "--output", "hy.json",
        ][..],
        &ZK_FILES[..],
        &hidden[..],
    ]
    .concat();
    let (model_before, input_before) = (revealed(&dir, "zk.prv"), revealed(&dir, "xs.prv"));
    let stdout = ok(zkcnn(&dir, &prove));
    assert!(stdout.contains("(hidden: committed)"), "{stdout}");
    assert!(revealed(&dir, "zk.prv") > model_before);
    assert!(revealed(&dir, "xs.prv") > input_before);
    assert_eq!(
        kind_of(&dir, "hp.bin"),
        zkcnn::network::ProofKind::ZeroKnowledgeBatch
    );
    let ys: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("hy.json")).unwrap()).unwrap();
    let want = tiny_outputs(&ints);
    for (i, y) in ys.iter().enumerate() {
        let got: Vec<i64> = serde_json::from_value(y["output"].clone()).unwrap();
        assert_eq!(got, want[i], "output {i}");
    }
    let verify = ["verify", "a.json", "zc.bin", "xsc.bin", "hy.json", "hp.bin"];
    let v: serde_json::Value =
        serde_json::from_str(&ok(run(&dir, &with(&verify, &[], &["--json"])))).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["input_hidden"], true);
    assert_eq!(v["count"], 3);
    // One output changed; the inputs themselves in the commitment's place.
    let mut edited = want.clone();
    edited[0][0] -= 1;
    write(&dir, "hy2.json", serde_json::to_string(&edited).unwrap());
    fails(
        run(&dir, &with(&verify, &[("hy.json", "hy2.json")], &[])),
        &["hp.bin", "another statement"],
    );
    fails(
        run(&dir, &with(&verify, &[("xsc.bin", "xs.npy")], &[])),
        &["hp.bin", "another statement"],
    );
    flipped(&dir, "hp.bin", -100, "flip.bin");
    fails(
        run(&dir, &with(&verify, &[("hp.bin", "flip.bin")], &[])),
        &["invalid proof 'flip.bin'"],
    );
    // Another batch with the batch's prover file: the commitment does not match.
    let mut other = ints.clone();
    other[5] += 1;
    write(
        &dir,
        "xs2.npy",
        zkcnn::npy::write_i64(&[3, 1, 6, 6], &other),
    );
    fails(
        run(
            &dir,
            &with(&prove, &[("xs.npy", "xs2.npy"), ("hp.bin", "q.bin")], &[]),
        ),
        &["does not match input 'xs2.npy'"],
    );
    // The batch's commitment with one input, or a batch of two: refused by the count.
    fails(
        run(
            &dir,
            &with(&prove, &[("xs.npy", "x.json"), ("hp.bin", "q.bin")], &[]),
        ),
        &[
            "'xsc.bin' commits a batch of 3 inputs",
            "'x.json' is one input",
        ],
    );
    write(
        &dir,
        "two.npy",
        zkcnn::npy::write_i64(&[2, 1, 6, 6], &ints[..72]),
    );
    fails(
        run(
            &dir,
            &with(&prove, &[("xs.npy", "two.npy"), ("hp.bin", "q.bin")], &[]),
        ),
        &[
            "commits a batch of 3 inputs",
            "'two.npy' is a batch of 2 inputs",
        ],
    );
    assert!(!dir.join("q.bin").exists());
    // One input's commitment with the batch, and with the batch's proof; the batch's
    // commitment with one input's proof.
    ok(zkcnn(
        &dir,
        &[
            "commit-input",
            "a.json",
            "x.json",
            "-o",
            "xc.bin",
            "--prover-data",
            "x.prv",
        ],
    ));
    fails(
        run(
            &dir,
            &with(
                &prove,
                &[
                    ("xsc.bin", "xc.bin"),
                    ("xs.prv", "x.prv"),
                    ("hp.bin", "q.bin"),
                ],
                &[],
            ),
        ),
        &[
            "'xc.bin' commits one input",
            "'xs.npy' is a batch of 3 inputs",
        ],
    );
    fails(
        run(&dir, &with(&verify, &[("xsc.bin", "xc.bin")], &[])),
        &["'xc.bin' commits one input", "zero-knowledge batch proof"],
    );
    ok(run(
        &dir,
        &with(
            &[
                "prove", "m.json", "x.json", "-o", "p1.bin", "--output", "y1.json",
            ],
            &[],
            &[
                &ZK_FILES[..],
                &[
                    "--input-commitment",
                    "xc.bin",
                    "--input-prover-data",
                    "x.prv",
                ],
            ]
            .concat(),
        ),
    ));
    fails(
        zkcnn(
            &dir,
            &["verify", "a.json", "zc.bin", "xsc.bin", "y1.json", "p1.bin"],
        ),
        &["'xsc.bin' commits a batch of 3 inputs", "one input"],
    );
}

/// A zero-knowledge accuracy proof from the CLI, on public inputs and on a committed batch:
/// its count is plain inference's, `verify` takes the labels in the output's place and refuses
/// one label changed, a flipped byte and the transparent kind; shards are refused.
#[test]
fn zk_accuracy_prove_verify_from_the_cli() {
    let (dir, ints) = committed_tiny_zk("zk-accuracy");
    let predicted = tiny_predictions(&ints);
    let classes = tiny_outputs(&ints[..36])[0].len() as i64;
    let labels = [predicted[0], (predicted[1] + 1) % classes, predicted[2]];
    write(&dir, "ls.json", serde_json::to_string(&labels).unwrap());
    write(&dir, "ls.npy", zkcnn::npy::write_i64(&[3], &labels));
    let before = revealed(&dir, "zk.prv");
    let prove: Vec<&str> = [
        &[
            "prove", "m.json", "xs.npy", "--labels", "ls.json", "-o", "ap.bin",
        ][..],
        &ZK_FILES[..],
    ]
    .concat();
    let stdout = ok(zkcnn(&dir, &prove));
    assert!(stdout.contains("classifies 2 of the 3 inputs"), "{stdout}");
    assert!(revealed(&dir, "zk.prv") > before, "the budget is spent");
    assert_eq!(
        kind_of(&dir, "ap.bin"),
        zkcnn::network::ProofKind::ZeroKnowledgeAccuracy
    );
    let verify = ["verify", "a.json", "zc.bin", "xs.npy", "ls.json", "ap.bin"];
    for labels in ["ls.json", "ls.npy"] {
        let stdout = ok(run(&dir, &with(&verify, &[("ls.json", labels)], &[])));
        assert!(
            stdout.starts_with("valid zero-knowledge accuracy proof"),
            "{stdout}"
        );
        assert!(stdout.contains("classifies 2 of the 3 inputs"), "{stdout}");
    }
    let v: serde_json::Value =
        serde_json::from_str(&ok(run(&dir, &with(&verify, &[], &["--json", "--zk"])))).unwrap();
    assert_eq!(v["kind"], "zero-knowledge accuracy");
    assert_eq!(
        (v["correct"].as_u64(), v["count"].as_u64()),
        (Some(2), Some(3))
    );
    // One label changed (to the prediction: a count of 3 would be true): refused.
    let mut other = labels;
    other[1] = predicted[1];
    write(&dir, "ls2.json", serde_json::to_string(&other).unwrap());
    fails(
        run(&dir, &with(&verify, &[("ls.json", "ls2.json")], &[])),
        &["ap.bin", "another statement"],
    );
    flipped(&dir, "ap.bin", -60, "flip.bin");
    fails(
        run(&dir, &with(&verify, &[("ap.bin", "flip.bin")], &[])),
        &["invalid proof 'flip.bin'"],
    );
    fails(
        run(&dir, &with(&verify, &[], &["--transparent"])),
        &["this is a zero-knowledge accuracy proof; expected a transparent proof"],
    );
    // Shards are transparent only.
    usage_error(
        run(
            &dir,
            &with(&prove, &[("ap.bin", "s.bin")], &["--shard", "0..2"]),
        ),
        &["--shard", "--transparent"],
    );

    // On the batch committed: the same count, against the batch's commitment file.
    ok(zkcnn(
        &dir,
        &[
            "commit-input",
            "a.json",
            "xs.npy",
            "-o",
            "xsc.bin",
            "--prover-data",
            "xs.prv",
        ],
    ));
    let hidden = [
        "--input-commitment",
        "xsc.bin",
        "--input-prover-data",
        "xs.prv",
    ];
    let stdout = ok(run(&dir, &with(&prove, &[("ap.bin", "hap.bin")], &hidden)));
    assert!(stdout.contains("classifies 2 of the 3 inputs"), "{stdout}");
    assert!(revealed(&dir, "xs.prv") > 0);
    let verify_hidden = [
        "verify", "a.json", "zc.bin", "xsc.bin", "ls.json", "hap.bin",
    ];
    let v: serde_json::Value =
        serde_json::from_str(&ok(run(&dir, &with(&verify_hidden, &[], &["--json"])))).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["input_hidden"], true);
    assert_eq!(
        (v["correct"].as_u64(), v["count"].as_u64()),
        (Some(2), Some(3))
    );
    fails(
        run(&dir, &with(&verify_hidden, &[("ls.json", "ls2.json")], &[])),
        &["hap.bin", "another statement"],
    );
    // The public inputs' proof against the commitment, and the other way round.
    fails(
        run(&dir, &with(&verify_hidden, &[("hap.bin", "ap.bin")], &[])),
        &["ap.bin", "another statement"],
    );
    fails(
        run(&dir, &with(&verify, &[("ap.bin", "hap.bin")], &[])),
        &["hap.bin", "another statement"],
    );
}

/// A zero-knowledge accuracy proof on a committed labelled dataset from the CLI: `commit-dataset`
/// writes the public dataset commitment and the secret prover file; `prove --labels
/// --input-commitment` proves the count (the dataset's prover file is spent) and `verify` takes
/// the dataset commitment in the inputs' and the labels' places. Refused: the labels given
/// instead, another dataset, the public statement, a flipped byte, other labels or inputs at
/// the prover, no labels, a truncated dataset commitment, the dataset used as a batch's.
#[test]
fn zk_dataset_prove_verify_from_the_cli() {
    let (dir, ints) = committed_tiny_zk("zk-dataset");
    let predicted = tiny_predictions(&ints);
    let classes = tiny_outputs(&ints[..36])[0].len() as i64;
    let labels = [predicted[0], (predicted[1] + 1) % classes, predicted[2]];
    write(&dir, "ls.json", serde_json::to_string(&labels).unwrap());
    let mut other = labels;
    other[1] = predicted[1];
    write(&dir, "ls2.json", serde_json::to_string(&other).unwrap());
    let commit = [
        "commit-dataset",
        "a.json",
        "xs.npy",
        "ls.json",
        "-o",
        "ds.bin",
        "--prover-data",
        "ds.prv",
    ];
    let stdout = ok(zkcnn(&dir, &commit));
    assert!(
        stdout.contains("committed the dataset of 3 inputs"),
        "{stdout}"
    );
    let secret = std::fs::read(dir.join("ds.prv")).unwrap();
    let prove: Vec<&str> = [
        &[
            "prove",
            "m.json",
            "xs.npy",
            "--labels",
            "ls.json",
            "-o",
            "dp.bin",
            "--input-commitment",
            "ds.bin",
            "--input-prover-data",
            "ds.prv",
        ][..],
        &ZK_FILES[..],
    ]
    .concat();
    let stdout = ok(zkcnn(&dir, &prove));
    assert!(
        stdout.contains("classifies 2 of the 3 inputs of the committed dataset"),
        "{stdout}"
    );
    assert_ne!(
        std::fs::read(dir.join("ds.prv")).unwrap(),
        secret,
        "the dataset's budget is spent"
    );
    assert_eq!(
        kind_of(&dir, "dp.bin"),
        zkcnn::network::ProofKind::ZeroKnowledgeAccuracy
    );
    let verify = ["verify", "a.json", "zc.bin", "ds.bin", "ds.bin", "dp.bin"];
    let stdout = ok(zkcnn(&dir, &verify));
    assert!(
        stdout.starts_with("valid zero-knowledge accuracy proof"),
        "{stdout}"
    );
    assert!(stdout.contains("classifies 2 of the 3 inputs"), "{stdout}");
    let v: serde_json::Value =
        serde_json::from_str(&ok(run(&dir, &with(&verify, &[], &["--json", "--zk"])))).unwrap();
    assert_eq!(v["kind"], "zero-knowledge accuracy");
    assert_eq!(v["labels_hidden"], true);
    assert_eq!(
        (v["correct"].as_u64(), v["count"].as_u64()),
        (Some(2), Some(3))
    );
    // The labels in the labels' place: they are committed in the dataset, and not given.
    fails(
        zkcnn(
            &dir,
            &["verify", "a.json", "zc.bin", "ds.bin", "ls.json", "dp.bin"],
        ),
        &["committed in it", "ls.json"],
    );
    // The same inputs with other labels committed: another statement.
    let commit2 = with(
        &commit,
        &[
            ("ls.json", "ls2.json"),
            ("ds.bin", "ds2.bin"),
            ("ds.prv", "ds2.prv"),
        ],
        &[],
    );
    ok(run(&dir, &commit2));
    fails(
        run(&dir, &with(&verify, &[("ds.bin", "ds2.bin")], &[])),
        &["dp.bin", "another statement"],
    );
    // The proof against the public inputs and labels.
    fails(
        zkcnn(
            &dir,
            &["verify", "a.json", "zc.bin", "xs.npy", "ls.json", "dp.bin"],
        ),
        &["dp.bin", "another statement"],
    );
    flipped(&dir, "dp.bin", -60, "flip.bin");
    fails(
        run(&dir, &with(&verify, &[("dp.bin", "flip.bin")], &[])),
        &["invalid proof 'flip.bin'"],
    );
    // The prover with other labels, or other inputs, than the committed ones.
    fails(
        run(
            &dir,
            &with(&prove, &[("ls.json", "ls2.json"), ("dp.bin", "x.bin")], &[]),
        ),
        &["does not match", "ds.bin"],
    );
    let moved: Vec<i64> = ints.iter().map(|v| if *v == 0 { 1 } else { *v }).collect();
    write(
        &dir,
        "xs2.npy",
        zkcnn::npy::write_i64(&[3, 1, 6, 6], &moved),
    );
    fails(
        run(
            &dir,
            &with(&prove, &[("xs.npy", "xs2.npy"), ("dp.bin", "x.bin")], &[]),
        ),
        &["does not match", "ds.bin"],
    );
    // Without labels (a batch proof): refused by name.
    let batch: Vec<String> = with(&prove, &[("dp.bin", "x.bin")], &[])
        .into_iter()
        .filter(|a| a != "--labels" && a != "ls.json")
        .collect();
    usage_error(run(&dir, &batch), &["commit-dataset", "--labels"]);
    assert!(!dir.join("x.bin").exists());
    // A truncated dataset commitment.
    let bytes = std::fs::read(dir.join("ds.bin")).unwrap();
    write(&dir, "short.bin", &bytes[..bytes.len() - 1]);
    fails(
        run(&dir, &with(&verify, &[("ds.bin", "short.bin")], &[])),
        &["short.bin"],
    );
}

/// Zero-knowledge provers running at once with one model commitment (shards on a cluster):
/// each proof's share of the budget is added to the prover file's count as it is when the
/// proof is written (under a lock on the file), so none is lost; with room for one proof left,
/// two provers at once write exactly one proof, and the other is refused (its proof not
/// written).
#[test]
fn zk_provers_at_once_share_the_model_budget() {
    let (dir, _) = committed_tiny_zk("zk-at-once");
    let prove = |proof: &str| -> Vec<String> {
        [
            &["prove", "m.json", "x.json", "-o", proof][..],
            &ZK_FILES[..],
        ]
        .concat()
        .into_iter()
        .map(String::from)
        .collect()
    };
    let start = revealed(&dir, "zk.prv");
    let v: serde_json::Value = serde_json::from_str(&ok(run(
        &dir,
        &[prove("p0.bin"), vec!["--json".into()]].concat(),
    )))
    .unwrap();
    let budget = v["budget"].as_u64().unwrap();
    let delta = revealed(&dir, "zk.prv") - start;
    assert!(delta > 0 && v["revealed"].as_u64() == Some(start + delta));
    let at_once = |proofs: [&str; 2]| -> Vec<Output> {
        let children: Vec<_> = proofs
            .iter()
            .map(|p| {
                Command::new(env!("CARGO_BIN_EXE_zkcnn"))
                    .args(prove(p))
                    .current_dir(&dir)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect()
    };
    // Both proofs count.
    for out in at_once(["p1.bin", "p2.bin"]) {
        ok(out);
    }
    assert_eq!(revealed(&dir, "zk.prv"), start + 3 * delta);
    // Room for one more proof: exactly one of two at once is written.
    let mut bytes = std::fs::read(dir.join("zk.prv")).unwrap();
    const AT: usize = 8 + 2 + 1 + 32 + 25 + 4 + 4;
    bytes[AT..AT + 8].copy_from_slice(&(budget - delta).to_le_bytes());
    write(&dir, "zk.prv", &bytes);
    let outs = at_once(["p3.bin", "p4.bin"]);
    let written: Vec<bool> = outs.iter().map(|o| o.status.success()).collect();
    assert_eq!(written.iter().filter(|&&w| w).count(), 1, "{outs:?}");
    for (out, p) in outs.iter().zip(["p3.bin", "p4.bin"]) {
        assert_eq!(out.status.success(), dir.join(p).exists(), "{p}");
        if !out.status.success() {
            assert!(
                text(&out.stderr).contains("budget"),
                "{}",
                text(&out.stderr)
            );
        }
    }
    assert_eq!(revealed(&dir, "zk.prv"), budget);
}

/// Sharded zero-knowledge accuracy proofs from the CLI: `commit-dataset --shard-size` writes the
/// sharded dataset commitment and one prover file per shard; each shard is proven with
/// `prove --shard` on its own prover file; `verify --shards` takes the sharded dataset file in
/// the inputs' and the labels' places and sums the counts (the oracle's over the dataset).
/// Refused: a range that is not a committed shard, no --shard, another shard's prover file, a
/// shard proven on the same data committed again (swapped into the manifest), a missing shard
/// (reported with --allow-gaps), the labels file in the labels' place.
#[test]
fn zk_sharded_dataset_from_the_cli() {
    let (dir, ints) = committed_tiny_zk("zk-shards");
    let predicted = tiny_predictions(&ints);
    let classes = tiny_outputs(&ints[..36])[0].len() as i64;
    let labels = [predicted[0], (predicted[1] + 1) % classes, predicted[2]];
    write(&dir, "ls.json", serde_json::to_string(&labels).unwrap());
    let commit = |out: &str, folder: &str| {
        let v: serde_json::Value = serde_json::from_str(&ok(zkcnn(
            &dir,
            &[
                "--json",
                "commit-dataset",
                "a.json",
                "xs.npy",
                "ls.json",
                "--shard-size",
                "2",
                "-o",
                out,
                "--prover-data",
                folder,
            ],
        )))
        .unwrap();
        v
    };
    let v = commit("sd.bin", "sd");
    assert_eq!(v["shards"].as_array().map(Vec::len), Some(2));
    assert!(dir.join("sd/shard-0-2.private").exists() && dir.join("sd/shard-2-3.private").exists());
    let prove = |range: &str, secret: &str, commitment: &str, proof: &str| -> Output {
        let args: Vec<&str> = [
            &[
                "--json",
                "prove",
                "m.json",
                "xs.npy",
                "--labels",
                "ls.json",
                "--shard",
                range,
                "--input-commitment",
                commitment,
                "--input-prover-data",
                secret,
                "-o",
                proof,
            ][..],
            &ZK_FILES[..],
        ]
        .concat();
        zkcnn(&dir, &args)
    };
    let mut entries = Vec::new();
    let mut head = serde_json::Value::Null;
    for (range, secret, proof) in [
        ("0..2", "sd/shard-0-2.private", "s0.proof"),
        ("2..3", "sd/shard-2-3.private", "s1.proof"),
    ] {
        let v: serde_json::Value =
            serde_json::from_str(&ok(prove(range, secret, "sd.bin", proof))).unwrap();
        assert_eq!(v["dataset_count"], 3);
        assert_eq!(v["labels_hidden"], true);
        entries.push(v["shard"].clone());
        head = v;
    }
    let manifest = |shards: &[&serde_json::Value]| {
        serde_json::json!({
            "format": "zkcnn-accuracy-shards",
            "version": 1,
            "model_commitment": head["model_commitment"],
            "dataset": head["dataset"],
            "count": 3,
            "shards": shards,
        })
        .to_string()
    };
    write(&dir, "set.json", manifest(&[&entries[1], &entries[0]]));
    let verify = |m: &str, extra: &[&str]| {
        let mut args = vec!["verify", "--shards"];
        args.extend_from_slice(extra);
        args.extend(["a.json", "zc.bin", "sd.bin", "sd.bin", m]);
        zkcnn(&dir, &args)
    };
    let stdout = ok(verify("set.json", &[]));
    assert!(stdout.contains("classifies 2 of the 3 inputs"), "{stdout}");
    let v: serde_json::Value = serde_json::from_str(&ok(verify("set.json", &["--json"]))).unwrap();
    assert_eq!(v["kind"], "zero-knowledge accuracy shards");
    assert_eq!(
        (v["correct"].as_u64(), v["covered"].as_u64()),
        (Some(2), Some(3))
    );
    // The prover: a range that is not a shard, no --shard, the other shard's prover file.
    fails(
        prove("0..1", "sd/shard-0-2.private", "sd.bin", "x.proof"),
        &["not one of the shards", "0..2, 2..3"],
    );
    let no_shard: Vec<&str> = [
        &[
            "prove",
            "m.json",
            "xs.npy",
            "--labels",
            "ls.json",
            "--input-commitment",
            "sd.bin",
            "--input-prover-data",
            "sd/shard-0-2.private",
            "-o",
            "x.proof",
        ][..],
        &ZK_FILES[..],
    ]
    .concat();
    usage_error(zkcnn(&dir, &no_shard), &["--shard", "0..2, 2..3"]);
    fails(
        prove("2..3", "sd/shard-0-2.private", "sd.bin", "x.proof"),
        &["sd/shard-0-2.private", "another commitment"],
    );
    assert!(!dir.join("x.proof").exists());
    // The same data committed in shards again: its shard 0..2 proof swapped into the manifest.
    commit("sd2.bin", "sd2");
    ok(prove(
        "0..2",
        "sd2/shard-0-2.private",
        "sd2.bin",
        "o0.proof",
    ));
    let mut swapped = entries[0].clone();
    swapped["proof"] = "o0.proof".into();
    write(&dir, "swap.json", manifest(&[&swapped, &entries[1]]));
    fails(
        verify("swap.json", &[]),
        &["swap.json", "shard 0", "another statement"],
    );
    // A missing shard: refused, or with --allow-gaps reported as not proven.
    write(&dir, "gap.json", manifest(&[&entries[0]]));
    fails(
        verify("gap.json", &[]),
        &["no shard covers the inputs 2..3"],
    );
    let stdout = ok(verify("gap.json", &["--allow-gaps"]));
    assert!(stdout.contains("not proven: inputs 2..3"), "{stdout}");
    // The labels file in the labels' place; the other sharded dataset's file for this set.
    fails(
        zkcnn(
            &dir,
            &[
                "verify", "--shards", "a.json", "zc.bin", "sd.bin", "ls.json", "set.json",
            ],
        ),
        &["committed in it", "ls.json"],
    );
    fails(
        zkcnn(
            &dir,
            &[
                "verify", "--shards", "a.json", "zc.bin", "sd2.bin", "sd2.bin", "set.json",
            ],
        ),
        &["set.json", "the manifest is for a dataset"],
    );
}
