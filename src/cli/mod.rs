//! The `zkcnn` command line: argument parsing (clap), the subcommands, and how results and
//! errors are shown.
//!
//! Every command prints text for people on stdout, or with `--json` one JSON object for
//! scripts. Every failure is one line on stderr, `zkcnn: <what>: <why>`, and exit status 1
//! (2 for a malformed command line); a verified proof is exit status 0 and nothing else is.

/// `println!` that ends the program quietly when stdout is closed (e.g. piped into `head`)
/// instead of panicking, and with status 1 on any other write error.
macro_rules! say {
    () => {
        $crate::cli::write_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::cli::write_line(format_args!($($arg)*))
    };
}

mod bench;
mod commands;
mod commitment;
mod demo;
mod error;
mod estimate;
mod files;
mod import;
mod ui;
mod zk;

use clap::{Args, Parser, Subcommand};
use error::CliError;
use std::path::PathBuf;
use std::process::ExitCode;

/// Writes one line on stdout; see [`say!`].
pub fn write_line(args: std::fmt::Arguments) {
    use std::io::Write;
    let captured = CAPTURED.with(|c| match c.borrow_mut().as_mut() {
        Some(lines) => {
            lines.push(args.to_string());
            true
        }
        None => false,
    });
    if captured {
        return;
    }
    if let Err(e) = writeln!(std::io::stdout().lock(), "{args}") {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("zkcnn: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

thread_local! {
    /// Lines that [`say!`] keeps instead of printing (for `bench --json`).
    static CAPTURED: std::cell::RefCell<Option<Vec<String>>> = const { std::cell::RefCell::new(None) };
}

const AFTER_HELP: &str = "\
Files:
  model       our JSON IR (see README): one file, or a split model (the architecture's JSON
              naming a binary weights file next to it, as `import` writes beyond 2^20
              weights); `commit --architecture` writes one without weights
  input       a nested JSON array of numbers, or a .npy array, of the model's input shape
              (an extra leading dimension of 1 is accepted). Integers are used as they are
              for models without `quantization`; for models with `quantization` (ONNX
              imports), JSON numbers and float .npy arrays are real values, quantized with
              the model's input scale, while integer .npy arrays are used as they are.
              An array [N, ...input shape] with N >= 2, .npy or JSON, is a batch of N
              inputs: `prove` makes one batch proof of them (zero-knowledge, or with
              --transparent transparent), and `verify` checks a batch proof against it;
              `commit-input` commits them together (one input commitment file of N).
  @LIST       in place of an input: a text file naming input files, one path per line
              (relative to the list's folder; blank lines and lines starting with # are
              skipped), each one input or a batch, .npy or JSON, mixed; they are one batch,
              concatenated in the list's order (at most 65536 inputs in all). `verify` must be
              given the same files in the same order (the same list): the proof is for the
              inputs in that order. A file whose name starts with @ is given as ./@NAME.
  commitment  a small binary file: magic, version, field, digest of the architecture, and
              the hiding commitment to the weights (with --transparent: the Basefold
              commitment)
  prover file `commit --prover-data`: the hiding commitment's secret mask and how much of it
              proofs have revealed; keep it secret, `prove` updates it
  proof       the proof bytes (versioned header with the kind: transparent, zero-knowledge,
              transparent batch, transparent accuracy, zero-knowledge batch or zero-knowledge
              accuracy, then the proof)
  labels      `prove --labels` (a batch, or one input): a .npy array or JSON array of N
              integer labels; the proof (zero-knowledge, or with --transparent transparent)
              then proves how many inputs the model classifies as their labels (first maximal
              logit) and `verify` takes the labels as its output
  output      JSON written by `prove --output`: the proven integer output, and the argmax
              class (and dequantized values) computed outside the proof; for a batch, a JSON
              array of the N outputs, in the batch's order. To a .npy name (`--output
              OUT.npy`), the proven integers alone as an int64 .npy array: the output's shape,
              or [N, ...output shape] for a batch; `verify` reads it back (any integer dtype;
              a float dtype is refused)

Exit status: 0 on success (for `verify`: only for a valid proof), 1 on any bad input or
invalid proof (one line on stderr), 2 on a malformed or unusable command line.";

/// Prove CNN inference with GKR and sum-check (zkCNN style), and verify the proofs.
#[derive(Parser, Debug)]
#[command(name = "zkcnn", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// Print one JSON object on stdout instead of text; no progress display.
    #[arg(long, global = true)]
    json: bool,
    /// Worker threads for proving (default: RAYON_NUM_THREADS, or one per core; at most 4 per
    /// core).
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Import an ONNX model: quantize it and write our JSON model IR and a report.
    Import(ImportArgs),
    /// Show a model's layers, parameters, circuit sizes and an estimate of the proof's cost.
    Inspect(InspectArgs),
    /// Commit to a model's weights: write the commitment file that verifiers keep and the
    /// private prover file (a hiding commitment; with --transparent, a transparent one).
    Commit(CommitArgs),
    /// Run the model on an input and prove it: write the proof, and the output file. A
    /// zero-knowledge proof against the hiding commitment of `commit` (--commitment,
    /// --prover-data) unless --transparent.
    Prove(ProveArgs),
    /// Commit to an input, or a batch of inputs together, with a hiding commitment, for
    /// zero-knowledge proofs that keep the inputs hidden (`prove --input-commitment`): write the
    /// public input commitment file (which `verify` takes in place of the inputs; it says one
    /// input or a batch of N) and the secret prover file.
    CommitInput(CommitInputArgs),
    /// Commit to a labelled dataset (a test set: inputs and their labels) with hiding
    /// commitments, for zero-knowledge accuracy proofs that keep both hidden (`prove --labels
    /// --input-commitment`): write the public dataset commitment file (which `verify` takes in
    /// place of the inputs and of the labels; it says how many inputs) and the secret prover
    /// file.
    CommitDataset(CommitDatasetArgs),
    /// Check a proof: exit status 0 and "valid" only if it verifies.
    Verify(VerifyArgs),
    /// Print the figures tables (sum-check, GKR, Basefold, whole networks; split commitments at
    /// 2^26 and 2^28 only with --only pcs-large, a network beyond 2^24 committed entries only
    /// with --only network-large, ResNet-18 and MobileNetV2 at 224×224 only with --only
    /// network-224) as Markdown; with --json, as {"tables": [{"notes",
    /// "columns", "rows"}], "notes"}.
    Bench(BenchArgs),
    /// Prove and verify LeNet-5 on a handwritten digit, and print the prediction and figures.
    Demo,
}

#[derive(Args, Debug)]
struct ImportArgs {
    /// The ONNX model.
    model: PathBuf,
    /// Where to write the model (our JSON IR).
    #[arg(short, long, value_name = "MODEL.json")]
    output: PathBuf,
    /// Where the weights go: `inline` in the JSON, `file` in a binary weights file next to it
    /// (MODEL.weights, named by the JSON, which then holds the architecture), `auto` inline up
    /// to 2^20 weights and biases and in a file beyond.
    #[arg(long, value_enum, default_value_t = WeightsArg::Auto, value_name = "FORM")]
    weights: WeightsArg,
    /// Calibration inputs (a float .npy array [N, ...input shape]) that choose the scales.
    #[arg(long, value_name = "X.npy")]
    calibration: Option<PathBuf>,
    /// A labelled test set (float inputs, integer labels) on which to compare the float and
    /// the quantized models.
    #[arg(long, num_args = 2, value_names = ["X.npy", "LABELS.npy"])]
    eval: Option<Vec<PathBuf>>,
    /// Divide the evaluation inputs by this (255 for raw 8-bit pixels).
    #[arg(long, default_value_t = 1.0, value_name = "D")]
    eval_divisor: f32,
    /// Where to write the full import report (JSON: every node, the scales, the agreement);
    /// a summary is printed (the whole report with --json).
    #[arg(long, value_name = "REPORT.json")]
    report: Option<PathBuf>,
    /// Activation bit width.
    #[arg(long, default_value_t = 8, value_name = "BITS")]
    activation_bits: u32,
    /// Weight bit width.
    #[arg(long, default_value_t = 8, value_name = "BITS")]
    weight_bits: u32,
    /// The model's name (default: the ONNX graph's).
    #[arg(long)]
    name: Option<String>,
    /// Saturating requantization (int8 semantics): clip every requantized value to the
    /// activation range instead of refusing inputs that leave it (transparent and
    /// zero-knowledge proofs alike).
    #[arg(long)]
    saturate: bool,
}

/// `import --weights`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum WeightsArg {
    Auto,
    Inline,
    File,
}

impl From<WeightsArg> for zkcnn::model::file::WeightsForm {
    fn from(a: WeightsArg) -> Self {
        match a {
            WeightsArg::Auto => Self::Auto,
            WeightsArg::Inline => Self::Inline,
            WeightsArg::File => Self::File,
        }
    }
}

#[derive(Args, Debug)]
struct InspectArgs {
    /// The model (JSON IR, one file or split), with or without weights (a split model's
    /// weights file is read only with --measure).
    model: PathBuf,
    /// Also commit, prove and verify once on a seeded random input, and report the measured
    /// figures next to the estimates (needs the weights).
    #[arg(long)]
    measure: bool,
}

#[derive(Args, Debug)]
struct CommitArgs {
    /// The model (JSON IR) with its weights: one file, or split (a weights file next to it).
    model: PathBuf,
    /// Where to write the commitment file.
    #[arg(short, long, value_name = "COMMITMENT")]
    output: PathBuf,
    /// Also write the model's architecture (the model without weights): with the commitment
    /// file, what a verifier needs.
    #[arg(long, value_name = "ARCH.json")]
    architecture: Option<PathBuf>,
    /// The prover's file of the commitment. For a hiding commitment (the default; then
    /// required): the private prover file (the commitment's secret mask and how much of it
    /// proofs have revealed), which the model's owner keeps secret and `prove --prover-data`
    /// reads and updates. With --transparent (optional): the commitment's codeword and Merkle
    /// tree (about 40 bytes per parameter), so that `prove --transparent --prover-data` skips
    /// recomputing them.
    #[arg(long, value_name = "FILE")]
    prover_data: Option<PathBuf>,
    /// With a hiding commitment: also write its codeword and Merkle tree to FILE (about 64
    /// bytes per committed entry; as secret as the prover file), so that `prove --codeword FILE`
    /// reads them instead of encoding and hashing the table again before every proof.
    #[arg(long, value_name = "FILE", conflicts_with = "transparent")]
    codeword: Option<PathBuf>,
    /// Make a transparent commitment instead of a hiding one: it serves transparent proofs
    /// only (`prove --transparent`), which reveal information about the weights.
    #[arg(long, conflicts_with = "zk")]
    transparent: bool,
    /// Make a hiding commitment (the default), for zero-knowledge proofs: the commitment file
    /// (-o) is public, the prover file (--prover-data) secret. It serves a limited number of
    /// proofs (at least 64); commit again when `prove` says its budget is spent.
    #[arg(long)]
    zk: bool,
}

#[derive(Args, Debug)]
struct CommitInputArgs {
    /// The model (JSON IR) or its architecture: the input's shape, quantization and the
    /// commitment's size follow from it (its weights are not read).
    model: PathBuf,
    /// The input: a JSON nested array or a .npy array of the model's input shape; or a batch
    /// (a .npy or JSON array [N, ...input shape], N >= 2, or @LIST), committed together with
    /// one commitment (the file says a batch of N) for zero-knowledge batch and accuracy proofs.
    #[arg(value_name = "INPUT|@LIST")]
    input: PathBuf,
    /// Divide every input number by D before quantizing it with the model's input scale (a
    /// model from `import`): raw pixels 0..=255 with D = 255, as `import --eval-divisor` reads
    /// them. `verify` (and `commit-input`) must be given the same divisor.
    #[arg(long, value_name = "D")]
    input_divisor: Option<f32>,
    /// Where to write the public input commitment file.
    #[arg(short, long, value_name = "INPUT.commit")]
    output: PathBuf,
    /// Where to write the secret prover file (the commitment's mask and how much of it proofs
    /// have revealed), which `prove --input-prover-data` reads and updates.
    #[arg(long, value_name = "FILE")]
    prover_data: PathBuf,
}

#[derive(Args, Debug)]
struct CommitDatasetArgs {
    /// The model (JSON IR) or its architecture: the inputs' shape, quantization and classes and
    /// the commitments' sizes follow from it (its weights are not read).
    model: PathBuf,
    /// The inputs: a .npy or JSON array [N, ...input shape], or @LIST (input files, one per
    /// line, concatenated in the list's order).
    #[arg(value_name = "INPUTS|@LIST")]
    inputs: PathBuf,
    /// Their labels: a .npy array or a JSON array of N integers (classes of the model's
    /// output).
    labels: PathBuf,
    /// Divide every input number by D before quantizing it with the model's input scale (a
    /// model from `import`): raw pixels 0..=255 with D = 255. `prove` must be given the same
    /// divisor.
    #[arg(long, value_name = "D")]
    input_divisor: Option<f32>,
    /// Where to write the public dataset commitment file.
    #[arg(short, long, value_name = "DATASET.commit")]
    output: PathBuf,
    /// Where to write the secret prover file (the commitments' masks and how much of them
    /// proofs have revealed), which `prove --input-prover-data` reads and updates; with
    /// --shard-size, a folder that receives one per shard (`shard-START-END.private`).
    #[arg(long, value_name = "FILE|FOLDER")]
    prover_data: PathBuf,
    /// Commit the dataset in shards of S inputs (the last one shorter), each a labelled
    /// dataset of its own, for sharded zero-knowledge accuracy proofs (`prove --shard` on each,
    /// `verify --shards`): -o then writes the sharded dataset commitment.
    #[arg(long, value_name = "S")]
    shard_size: Option<usize>,
}

#[derive(Args, Debug)]
struct ProveArgs {
    /// The model (JSON IR) with its weights, one file or split. Its commitment is recomputed
    /// from the weights.
    model: PathBuf,
    /// The input: a JSON nested array or a .npy array of the model's input shape; or a batch,
    /// proven in one batch proof (zero-knowledge, or with --transparent transparent): a .npy or
    /// JSON array [N, ...input shape] (N >= 2), or @LIST, a text file naming input files one
    /// per line (each one input or a batch, .npy or JSON; concatenated in the list's order).
    #[arg(value_name = "INPUT|@LIST")]
    input: PathBuf,
    /// Divide every input number by D before quantizing it with the model's input scale (a
    /// model from `import`): raw pixels 0..=255 with D = 255, as `import --eval-divisor` reads
    /// them. `verify` (and `commit-input`) must be given the same divisor.
    #[arg(long, value_name = "D")]
    input_divisor: Option<f32>,
    /// Where to write the proof.
    #[arg(short = 'o', long = "proof", value_name = "PROOF")]
    proof: PathBuf,
    /// Where to write the output file that `verify` reads: JSON (for a batch, a JSON array of
    /// the N outputs, each as for one input, in the batch's order), or, to a .npy name, the
    /// proven integers as an int64 .npy array (the output's shape; [N, ...output shape] for a
    /// batch).
    #[arg(long = "output", value_name = "OUT.json|OUT.npy")]
    output: Option<PathBuf>,
    /// The inputs' labels (a .npy array or a JSON array of N integers, one for one input), and
    /// the proof is an accuracy proof — how many inputs the model classifies as their labels
    /// (first maximal logit), without the logits: a zero-knowledge accuracy proof (the default;
    /// the inputs public, or hidden with --input-commitment of `commit-input` on the batch, or
    /// the inputs and these labels hidden with --input-commitment of `commit-dataset`), or with
    /// --transparent a transparent one.
    #[arg(long, value_name = "LABELS", conflicts_with = "output")]
    labels: Option<PathBuf>,
    /// With --labels: prove only the inputs START..END of the batch (and their labels), one
    /// shard of a sharded accuracy proof: transparent (--transparent), or zero-knowledge on a
    /// dataset committed in shards (--input-commitment of `commit-dataset --shard-size`, with
    /// --input-prover-data that shard's prover file); the report (--json) gives the manifest's
    /// entry, the model commitment and the dataset digest (`verify --shards`).
    #[arg(long, value_name = "START..END", requires = "labels", value_parser = parse_shard)]
    shard: Option<(u64, u64)>,
    /// A commitment file (from `commit`) that the recomputed commitment must equal.
    #[arg(long, value_name = "COMMITMENT")]
    commitment: Option<PathBuf>,
    /// The prover file that `commit --prover-data` wrote for this commitment. For a
    /// zero-knowledge proof (the default; then required): the private prover file, whose count
    /// of revealed mask values this proof updates. With --transparent (optional; needs
    /// --commitment): the commitment's codeword and tree, read instead of recomputed.
    #[arg(long, value_name = "FILE")]
    prover_data: Option<PathBuf>,
    /// For a zero-knowledge proof: the codeword file `commit --codeword` wrote for this
    /// commitment, read (and spot-checked against the weights and the prover file) instead of
    /// recomputing the commitment.
    #[arg(long, value_name = "FILE", conflicts_with = "transparent")]
    codeword: Option<PathBuf>,
    /// Make a transparent proof instead of a zero-knowledge one: faster and without a budget,
    /// but it reveals information about the weights (enough proofs give them away) and its
    /// commitment (`commit --transparent`) is recomputed from the weights when not given.
    #[arg(long, conflicts_with = "zk")]
    transparent: bool,
    /// Make a zero-knowledge proof (the default) against the hiding commitment of `commit`
    /// (needs --commitment and --prover-data): it hides the weights and every intermediate
    /// value; the architecture, the input (unless committed: --input-commitment) and the output
    /// are public.
    #[arg(long)]
    zk: bool,
    /// Keep the input hidden: prove against its commitment file from `commit-input` (with
    /// --input-prover-data; zero-knowledge proofs only); the verifier receives that file
    /// instead of the input. A batch's commitment (`commit-input` on a batch) serves batch and
    /// accuracy proofs on that batch, in its order; a labelled dataset's (`commit-dataset`)
    /// serves accuracy proofs (--labels) on its inputs and labels, which it keeps both hidden.
    #[arg(
        long,
        value_name = "INPUT.commit",
        requires = "input_prover_data",
        conflicts_with = "transparent"
    )]
    input_commitment: Option<PathBuf>,
    /// The committed input's secret prover file from `commit-input` (its count of revealed
    /// mask values is updated).
    #[arg(long, value_name = "FILE", requires = "input_commitment")]
    input_prover_data: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct VerifyArgs {
    /// The model (JSON IR, one file or split; its weights are not read), or its architecture.
    model: PathBuf,
    /// The commitment file (from `commit`; from `commit --transparent` for a transparent
    /// proof).
    commitment: PathBuf,
    /// The input, as given to `prove` (a batch proof's: the batch, or the same @LIST: the
    /// same files in the same order); for a proof on a hidden input or batch, the input
    /// commitment file from `commit-input` in its place; for an accuracy proof on a committed
    /// dataset, the dataset commitment file from `commit-dataset`.
    #[arg(value_name = "INPUT|@LIST")]
    input: PathBuf,
    /// Divide every input number by D before quantizing it with the model's input scale (a
    /// model from `import`): raw pixels 0..=255 with D = 255, as `import --eval-divisor` reads
    /// them. `verify` (and `commit-input`) must be given the same divisor.
    #[arg(long, value_name = "D")]
    input_divisor: Option<f32>,
    /// The output file (from `prove --output`: JSON, or an integer .npy array), or a JSON
    /// array of integers; for a batch proof, a JSON array of the N outputs or a .npy array
    /// [N, ...output shape]; for an accuracy proof, the labels (.npy or JSON), or for one on
    /// a committed dataset the dataset commitment file again (it commits the labels).
    output: PathBuf,
    /// The proof (transparent or zero-knowledge; of one input, a batch or an accuracy: its
    /// header says which); with --shards, the shard manifest (JSON).
    proof: PathBuf,
    /// Accept only a zero-knowledge proof (one input's, a batch's or an accuracy proof; the
    /// commitment then is a hiding one, from `commit`).
    #[arg(long, conflicts_with = "transparent")]
    zk: bool,
    /// Accept only a transparent proof (one input's, a batch's or an accuracy proof).
    #[arg(long)]
    transparent: bool,
    /// The proof argument is a shard manifest (JSON, from the shards' `prove --shard`
    /// reports): verify every shard's accuracy proof on its slice of the inputs and labels,
    /// check that the slices cover the inputs exactly once, and print the summed count. With a
    /// dataset committed in shards (`commit-dataset --shard-size`; its file in the inputs' and
    /// the labels' places) the shards are zero-knowledge proofs, each checked against its own
    /// shard's commitment.
    #[arg(long, conflicts_with = "zk")]
    shards: bool,
    /// With --shards: accept slices that leave inputs uncovered, and report them (counted as
    /// not proven) instead of refusing the set.
    #[arg(long, requires = "shards")]
    allow_gaps: bool,
}

/// `START..END` → `(START, END)`.
fn parse_shard(s: &str) -> Result<(u64, u64), String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| format!("'{s}' is not a range START..END"))?;
    let num = |t: &str| {
        t.trim()
            .parse::<u64>()
            .map_err(|e| format!("'{t}' in '{s}': {e}"))
    };
    let (start, end) = (num(a)?, num(b)?);
    if start >= end {
        return Err(format!("'{s}' is empty: START must be below END"));
    }
    Ok((start, end))
}

#[derive(Args, Debug)]
struct BenchArgs {
    /// Fewer sizes and repetitions (for CI).
    #[arg(long)]
    quick: bool,
    /// Only this table.
    #[arg(long, value_enum)]
    only: Option<bench::Only>,
}

/// Parses the command line, runs the command, and prints its result or its error.
pub fn run() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("zkcnn: internal error (a bug, please report it): {msg}{at}");
    }));
    let cli = Cli::parse();
    // RAYON_NUM_THREADS is the default's source, so it gets the same cap.
    let from_env = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > max_threads());
    let threads = match (cli.threads, from_env) {
        (Some(n), _) => Some(("--threads", n)),
        (None, Some(n)) => Some(("RAYON_NUM_THREADS", n)),
        (None, None) => None,
    };
    if let Some((what, n)) = threads {
        let max = max_threads();
        let set = if n == 0 {
            Err(CliError::Usage(format!("{what} must be at least 1")))
        } else if n > max {
            Err(CliError::Usage(format!(
                "{what} is {n}; at most {max} (4 per core) are allowed"
            )))
        } else {
            set_threads(n)
        };
        if let Err(e) = set {
            return fail(cli.json, &e);
        }
    }
    let json = cli.json;
    let progress = ui::Progress::new(json);
    let result = match cli.command {
        Command::Import(a) => import::run(&a, &progress),
        Command::Inspect(a) => commands::inspect(&a.model, a.measure, &progress),
        Command::Commit(a) if !a.transparent => zk::commit(
            &a.model,
            &a.output,
            a.architecture.as_deref(),
            a.prover_data.as_deref(),
            a.codeword.as_deref(),
            &progress,
        ),
        Command::Commit(a) => commands::commit(
            &a.model,
            &a.output,
            a.architecture.as_deref(),
            a.prover_data.as_deref(),
            &progress,
        ),
        Command::Prove(a) if !a.transparent => zk::prove(&a, &progress),
        Command::Prove(a) => commands::prove(&a, &progress),
        Command::CommitInput(a) => zk::commit_input(&a, &progress),
        Command::CommitDataset(a) => zk::commit_dataset(&a, &progress),
        Command::Verify(a) => commands::verify(&a, &progress),
        Command::Bench(a) => {
            if !json {
                return bench::run(a.quick, a.only);
            }
            CAPTURED.with(|c| *c.borrow_mut() = Some(Vec::new()));
            let code = bench::run(a.quick, a.only);
            let lines = CAPTURED.with(|c| c.borrow_mut().take()).unwrap_or_default();
            say!("{}", bench::tables_json(&lines));
            return code;
        }
        Command::Demo => demo::run(&progress),
    };
    match result {
        Ok(report) => {
            if json {
                say!("{}", report.json);
            } else {
                say!("{}", report.text.trim_end());
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(json, &e),
    }
}

/// Prints the error as one line on stderr (and as `{"error": …}` on stdout with `--json`).
fn fail(json: bool, e: &CliError) -> ExitCode {
    let line = e.to_string().replace(['\n', '\r'], " ");
    if json {
        say!("{}", serde_json::json!({ "error": line }));
    }
    eprintln!("zkcnn: {line}");
    match e {
        CliError::Usage(_) => ExitCode::from(2),
        _ => ExitCode::FAILURE,
    }
}

/// The most worker threads `--threads` may ask for: 4 per core (starting threads costs time
/// and memory, and more than a few per core gains nothing).
fn max_threads() -> usize {
    4 * std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(feature = "parallel")]
fn set_threads(n: usize) -> Result<(), CliError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global()
        .map_err(|e| CliError::Usage(format!("--threads: {e}")))
}

#[cfg(not(feature = "parallel"))]
fn set_threads(n: usize) -> Result<(), CliError> {
    if n == 1 {
        Ok(())
    } else {
        Err(CliError::Usage(
            "--threads: this build has no parallelism (built without the `parallel` feature)"
                .into(),
        ))
    }
}

/// What a successful command shows: text for people, or one JSON object.
pub struct Report {
    text: String,
    json: serde_json::Value,
}
