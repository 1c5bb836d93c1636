//! Whole-network proofs: "the model committed as `C`, on input `x`, outputs `y`".
//!
//! The prover runs exact integer inference, commits the advice of the run (for every
//! requantization `y = max(q, 0)`, `n = max(−q, 0)` and the limbs of the remainder; for every
//! 2×2 max-pool its two row maxima and the output; the range multiplicities) in one packed
//! Basefold commitment, and then proves, from the output back to the input:
//!
//! 1. the statement is absorbed first: the model's architecture, the model commitment's root,
//!    the input and the output;
//! 2. a random point on the output: the public output's value there must be the last tensor's;
//! 3. each layer, last to first ([`plan::Step`]): a claim on its output at a point (the first
//!    point at which a consumer claimed it, or a fresh one) becomes, through the requantization
//!    identity `acc + 2^{s−1} = 2^s·(y − n) + rem`, a claim on the accumulator, which the layer
//!    protocol ([`crate::layers`]) reduces to claims on the weights, the bias and the layer's
//!    input; `y·n = 0` and max-pool's `(z − a)(z − b) = 0` are zero-checks;
//! 4. one logUp range check ([`crate::range`]) over every range column of the plan;
//! 5. the claims on a packed table beyond `2^COLUMN_VARS` entries, which is committed as its
//!    columns, become claims on the columns ([`columns`]: the columns' values are sent for a
//!    claim that spans several);
//! 6. every claim on the model opened against the model commitment and every claim on the
//!    advice against the advice commitment, in one Basefold joint opening.
//!
//! See `spec/network.md`.

pub mod accuracy;
pub mod batch;
#[cfg(feature = "cheat")]
pub mod cheat;
pub mod columns;
pub mod commitment;
pub mod counts;
pub(crate) mod op;
pub mod plan;
pub mod proof;
pub(crate) mod prover;
pub mod shards;
pub(crate) mod verifier;
pub mod zk;
pub mod zk_accuracy;
pub mod zk_batch;
pub mod zk_check;

pub use accuracy::{prove_accuracy, verify_accuracy, AccuracyProof};
pub use batch::{prove_batch, verify_batch, BatchProof};
#[doc(hidden)]
pub use commitment::commit_model_with_columns;
pub use commitment::{
    commit_model, commit_model_timed, CheckError, CheckProof, CheckedCommitment, CommittedModel,
    ModelCommitment,
};
pub use plan::ConvPolicy;
pub use proof::{
    batch_statement_digest, statement_digest, zk_accuracy_statement_digest,
    zk_batch_statement_digest, zk_dataset_statement_digest, zk_statement_digest, FormatError,
    ProofKind, ZkBatchInputs, FORMAT_VERSION,
};
pub use prover::{prove, prove_timed, prove_with_policy, Phases};
pub use shards::{
    commit_dataset_zk_sharded, verify_accuracy_shards, verify_accuracy_zk_shards, Manifest,
    ShardError, ShardProof, ShardTotal, ZkDatasetShard, ZkShardedDataset,
};
pub use verifier::{revealed_model_leaves, verify, verify_with_policy, RevealedModelLeaves};
pub use zk::{
    commit_input_zk, commit_model_zk, prove_zk, prove_zk_committed_input, revealed_model_leaves_zk,
    revealed_values_zk, verify_zk, verify_zk_committed_input, zk_advice_known, zk_entries_in_use,
    HiddenTable, ZkCommittedInput, ZkCommittedModel, ZkInput, ZkNetworkProof,
};
pub use zk_accuracy::{
    commit_dataset_zk, prove_accuracy_zk, prove_accuracy_zk_committed, prove_accuracy_zk_dataset,
    verify_accuracy_zk, verify_accuracy_zk_committed, verify_accuracy_zk_dataset, ZkAccuracyProof,
    ZkCommittedDataset, ZkDatasetCommitment,
};
pub use zk_batch::{
    commit_batch_zk, prove_batch_zk, prove_batch_zk_committed, verify_batch_zk,
    verify_batch_zk_committed, ZkBatchProof,
};
pub use zk_check::{
    prove_model_check_zk, verify_model_check_zk, CheckedZkCommitment, ZkModelCheck,
};

use crate::field::{BaseField, ExtField};
use crate::layers::conv::ConvProof;
use crate::layers::{LayerError, ProductProof};
use crate::model::{Model, ModelError};
use crate::pcs::basefold::{self, Commitment};
use crate::pcs::PcsError;
use crate::transcript::TranscriptExt;
use ark_ff::{Field, PrimeField};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;

/// The PCS security level of network proofs, in bits.
pub const SECURITY_BITS: usize = 100;
/// The largest polynomial the PCS parameters are set up for (a tensor, and a column of a
/// committed table): `2^24` entries, where one Basefold polynomial over Goldilocks² still
/// reaches [`SECURITY_BITS`] proven bits (`spec/pcs.md`).
pub const MAX_VARS: usize = 24;
/// The largest packed table (model or advice): `2^28` entries, committed as columns of at
/// most `2^COLUMN_VARS` ([`columns`]). Beyond it the range checks' `α` terms (the number of
/// range-checked entries over `|E|`) would pass `2^{−100}` over Goldilocks²
/// (`spec/network.md`, Soundness).
pub const MAX_TABLE_VARS: usize = 28;
/// The columns' size of committed tables: `2^24` entries ([`MAX_VARS`]). Tables of at most
/// `2^COLUMN_VARS` entries are one column, committed and opened as before columns existed.
pub const COLUMN_VARS: usize = MAX_VARS;

/// A proof of one inference.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Proof<F: Field, E: Field> {
    /// The advice commitment.
    pub advice: Commitment,
    /// Values sent by the layer steps, in order.
    pub values: Vec<E>,
    /// Product sum-checks of the layer steps, in order.
    pub products: Vec<ProductProof<E>>,
    /// Convolution proofs, in order.
    pub convs: Vec<ConvProof<E>>,
    /// The range check.
    pub range: crate::range::Proof<E>,
    /// One opening of the model commitment (unless the model has no weights) and the advice
    /// commitment together, the one with more variables first (a Basefold joint opening,
    /// [`basefold::open_parts`]).
    pub opening: basefold::Proof<F, E>,
    /// The activations' lookup (`spec/activation.md`), when the model has activations: last,
    /// and absent from the bytes when `None`, so proofs of models without activations keep
    /// format 7's bytes.
    pub lookup: crate::codec::Trailing<crate::range::Proof<E>>,
}

/// Why a model cannot be proven, or proving failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetworkError {
    /// The model is invalid.
    #[error("invalid model: {0}")]
    Model(ModelError),
    /// The model uses something the prover does not support yet.
    #[error("layer {layer}: {what} is not supported by the prover")]
    Unsupported {
        /// The layer.
        layer: usize,
        /// What.
        what: String,
    },
    /// The model is beyond a limit of the proof system (checked from the architecture alone,
    /// before anything proportional to its size is allocated).
    #[error("{}{what} has {size} entries; the limit is {limit}", layer_prefix(*.layer))]
    TooLarge {
        /// The layer (`None` for the input or the whole model).
        layer: Option<usize>,
        /// What is too large.
        what: &'static str,
        /// Its size.
        size: u128,
        /// The limit.
        limit: u128,
    },
    /// Inference failed (bad input, overflow).
    #[error("inference failed: {0}")]
    Inference(String),
    /// A value in a padded position leaves the range that the range check proves.
    #[error("layer {layer}: a padded position's requantized value {value} is out of range")]
    PaddingOverflow {
        /// The layer.
        layer: usize,
        /// The value.
        value: i64,
    },
    /// The commitment scheme failed (sizes beyond its setup).
    #[error("commitment: {0}")]
    Pcs(PcsError),
    /// A range check precondition failed (a bug: every column is in range by construction).
    #[error("range check: {0}")]
    Range(crate::range::RangeError),
    /// The committed model is not this model's commitment.
    #[error("the committed model does not match the model")]
    CommitmentMismatch,
    /// The committed input was made for another architecture (or its size).
    #[error("the committed input was not committed for this model's architecture")]
    InputCommitmentMismatch,
    /// A committed input's segment would be read more often than its mask can hide: the
    /// commitment has served the proofs it can (`spec/zk.md`, "Small segments").
    #[error(
        "the committed input has {entries} entries and has served {proofs} proofs that read it {reads} times each: another would reveal combinations of it; commit the input again"
    )]
    InputSpent {
        /// The input segment's entries (padded).
        entries: u64,
        /// Proofs made with it so far (at most).
        proofs: u64,
        /// Masked values per proof on it.
        reads: usize,
    },
    /// A zero-knowledge proof would read an intermediate tensor of its advice more often than
    /// the tensor's mask can hide: the masked values would determine combinations of it
    /// (`spec/zk.md`, "The advice"). Refused before anything is sent.
    #[error(
        "{} a hidden tensor of {entries} entries that the proof reads {reads} times, {degree} functionals of its mask each, and its mask hides {entries}: a zero-knowledge proof would reveal combinations of it; it needs at least {} entries (a wider layer), or a transparent proof",
        match layer { Some(l) => format!("layer {l} commits"), None => "the proof commits".into() },
        (reads.saturating_mul(*degree)).next_power_of_two()
    )]
    AdviceReads {
        /// The layer that commits the tensor, if one does.
        layer: Option<usize>,
        /// The tensor's entries (padded to a power of two).
        entries: u64,
        /// The proof's masked values on it, a value reading a quarter of it counting four.
        reads: u64,
        /// `[E : F]`.
        degree: u64,
    },
    /// Stored prover data was refused.
    #[error("stored prover data: {0}")]
    ProverData(String),
    /// A column size outside `2^1 ..= 2^MAX_VARS` entries was asked for.
    #[error(
        "columns of 2^{0} entries: committed tables take columns of 2^1 to 2^{MAX_VARS} entries"
    )]
    ColumnVars(usize),
    /// A hiding commitment could not be made.
    #[error("hiding commitment: {0}")]
    ZkCommit(crate::pcs::zk::ZkError),
    /// The claims of a zero-knowledge proof could not be opened.
    #[error("zero-knowledge opening: {0}")]
    Deferred(crate::zk::DischargeError),
    /// A batch proof was asked for no inputs, or more than [`batch::MAX_BATCH`].
    #[error("a batch proof takes 1 to {max} inputs; {0} given", max = batch::MAX_BATCH)]
    BatchSize(usize),
    /// An accuracy proof's labels do not fit its inputs or the model's classes.
    #[error("{0}")]
    Labels(accuracy::LabelError),
    /// A layer's step refused its witness (a prover's bug: shapes the plan fixes).
    #[error("layer {layer}: {source}")]
    Layer {
        /// The layer.
        layer: usize,
        /// The refusal.
        source: LayerError,
    },
}

impl NetworkError {
    /// An inference failure of one input of a batch, named by its position (`input i: …`).
    pub(crate) fn at_input(self, i: usize) -> Self {
        match self {
            NetworkError::Inference(why) => NetworkError::Inference(format!("input {i}: {why}")),
            e => e,
        }
    }
}

fn layer_prefix(layer: Option<usize>) -> String {
    layer.map_or(String::new(), |l| format!("layer {l}: "))
}

/// Where verification failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The model cannot be planned (invalid or unsupported).
    #[error("{0}")]
    Model(NetworkError),
    /// Input or output has the wrong shape.
    #[error("{what} has {got} values; the model expects {expected}")]
    Shape {
        /// "input" or "output".
        what: &'static str,
        /// Expected count.
        expected: usize,
        /// Count given.
        got: usize,
    },
    /// A value is outside the activation range.
    #[error("{what} value {value} at {index} is outside the activation range")]
    OutOfRange {
        /// "input" or "output".
        what: &'static str,
        /// Flat index.
        index: usize,
        /// The value.
        value: i64,
    },
    /// A batch's inputs, outputs and proof do not count the same inputs (or a batch of none,
    /// or of more than [`batch::MAX_BATCH`]).
    #[error("the batch has {inputs} inputs, {outputs} outputs, and the proof is for {proof}")]
    BatchCount {
        /// Inputs given.
        inputs: usize,
        /// Outputs given.
        outputs: usize,
        /// The proof's count.
        proof: u64,
    },
    /// An accuracy proof's count of inputs is not the statement's, or its count of correct
    /// ones exceeds it (or no inputs, or more than [`batch::MAX_BATCH`]).
    #[error("the accuracy statement has {inputs} inputs, and the proof is for {count} with {correct} correct")]
    AccuracyCount {
        /// Inputs given.
        inputs: usize,
        /// The proof's count of inputs.
        count: u64,
        /// The proof's count of correct ones.
        correct: u64,
    },
    /// An accuracy statement's labels do not fit its inputs or the model's classes.
    #[error("{0}")]
    Labels(accuracy::LabelError),
    /// An accuracy proof's value is not the verifier's own (`spec/accuracy.md`).
    #[error("accuracy proof: {what} does not match")]
    Accuracy {
        /// Which value.
        what: &'static str,
    },
    /// An accuracy proof's sum-check failed (`spec/accuracy.md`).
    #[error("accuracy proof, the {what} sum-check: {source}")]
    AccuracySumcheck {
        /// "count" (sum-check A), "maximum" (sum-check B), or "relations (zero knowledge)"
        /// (the zero-knowledge proof's one masked sum-check).
        what: &'static str,
        /// The failure.
        source: LayerError,
    },
    /// The advice commitment has the wrong shape.
    #[error("the advice commitment has the wrong shape")]
    AdviceShape,
    /// The model commitment was checked against another architecture.
    #[error("the model commitment was checked against another architecture")]
    Architecture,
    /// The input commitment's shape is not the one the architecture gives a committed input.
    #[error("the input commitment does not have the shape of this architecture's input")]
    InputCommitmentShape,
    /// The labels' commitment is missing, or does not have the shape of the dataset's labels.
    #[error("the labels' commitment does not have the shape of this dataset's labels")]
    LabelsCommitmentShape,
    /// The public output does not match the proven last tensor.
    #[error("the output does not match the proof")]
    Output,
    /// A layer's check failed.
    #[error("layer {layer}: {source}")]
    Layer {
        /// The layer.
        layer: usize,
        /// The failure.
        source: LayerError,
    },
    /// The proof ran out of values, products or convolution proofs.
    #[error("the proof has too few {what}")]
    Exhausted {
        /// What ran out.
        what: &'static str,
    },
    /// The proof has values, products or convolution proofs left over.
    #[error("the proof has {what} left over")]
    Leftover {
        /// What is left.
        what: &'static str,
    },
    /// The proof has an activation lookup and the model no activation, or the other way round.
    #[error("the proof's activation lookup is {}", if *.model_has { "missing" } else { "unexpected: the model has no activation" })]
    LookupPresence {
        /// Whether the model has activations.
        model_has: bool,
    },
    /// The activations' lookup failed.
    #[error("activation lookup: {0}")]
    Lookup(crate::range::RangeError),
    /// An activation lookup column's claimed value does not match its terms.
    #[error("activation lookup column {column}: the claimed value does not match its terms")]
    LookupColumn {
        /// The column (one per activation layer, in layer order).
        column: usize,
    },
    /// The range check failed.
    #[error("range check: {0}")]
    Range(crate::range::RangeError),
    /// The values sent for a claim spanning several columns of a table committed as columns do
    /// not combine to the claim's value ([`columns`]).
    #[error("the {table} table's claim {claim}: its columns' values do not combine to its value")]
    ColumnValues {
        /// "model" or "advice".
        table: &'static str,
        /// The claim (in the order the verifier makes them).
        claim: usize,
    },
    /// A range column's claimed value does not match its terms.
    #[error("range column {column}: the claimed value does not match its terms")]
    RangeColumn {
        /// The column.
        column: usize,
    },
    /// The opening of the model and advice commitments failed: the weights are not the
    /// committed ones, or the advice is not.
    #[error("opening of the model and advice commitments: {0}")]
    Opening(PcsError),
    /// The zero-knowledge opening of the claims failed: a committed table, the advice or a
    /// fresh mask is not what the proof's values say.
    #[error("zero-knowledge opening: {0}")]
    Deferred(crate::zk::DischargeError),
}

/// The commitments one network opening covers, in the opening's order: the one with more
/// variables first, the model on a tie; no model part when the model has no weights.
pub(crate) fn opening_parts<T>(model: Option<T>, advice: T, vars: impl Fn(&T) -> u32) -> Vec<T> {
    match model {
        Some(m) if vars(&m) >= vars(&advice) => vec![m, advice],
        Some(m) => vec![advice, m],
        None => vec![advice],
    }
}

/// The Basefold parameters of network proofs (commitments; openings use [`opening_params`]).
pub fn pcs<F: BaseField + ark_ff::FftField, E: ExtField<F>>() -> Result<basefold::Basefold, PcsError>
{
    basefold::Basefold::setup::<F, E>(MAX_VARS, SECURITY_BITS)
}

/// The most grinding bits of an opening.
pub const MAX_POW_BITS: usize = 20;

/// Grinding bits for opening a commitment of `num_vars` variables: `min(20, n − 4)`. The prover's
/// expected `2^pow` hashes stay below a sixteenth of the committed entries, so grinding never
/// dominates the opening, while the largest openings (2^24 entries) save 29 of 149 queries.
pub fn pow_bits(num_vars: u32) -> usize {
    MAX_POW_BITS.min((num_vars as usize).saturating_sub(4))
}

/// The Basefold parameters for opening a commitment of `num_vars` variables: [`SECURITY_BITS`]
/// proven bits for up to [`MAX_VARS`] variables, with [`pow_bits`] of them from grinding. A
/// table beyond `2^MAX_VARS` entries is committed as columns of at most `2^MAX_VARS`
/// ([`columns`]), so every network opening is within these parameters.
pub fn opening_params<F: BaseField + ark_ff::FftField, E: ExtField<F>>(
    num_vars: u32,
) -> Result<basefold::Params, PcsError> {
    if num_vars as usize > MAX_VARS {
        return Err(PcsError::BeyondSetup {
            num_vars: num_vars as usize,
            max_vars: MAX_VARS,
        });
    }
    let base = pcs::<F, E>()?.params;
    basefold::Params::for_security_with_pow::<E>(
        MAX_VARS,
        SECURITY_BITS,
        base.rate_bits,
        base.fold_bits,
        pow_bits(num_vars),
    )
}

/// Absorbs the statement: the architecture, the model commitment, the input and the output.
pub(crate) fn absorb_statement<F: PrimeField>(
    t: &mut Transcript,
    model: &Model,
    commitment: &Commitment,
    input: &[i64],
    output: &[i64],
) {
    absorb_statement_as::<F>(
        t,
        b"zkcnn-network",
        &[1, input.len() as u64, output.len() as u64],
        model,
        commitment,
        input,
        output,
    );
}

/// [`absorb_statement`] under a domain separator `label` with `params` (a batch proof's:
/// [`batch`]).
pub(crate) fn absorb_statement_as<F: PrimeField>(
    t: &mut Transcript,
    label: &'static [u8],
    params: &[u64],
    model: &Model,
    commitment: &Commitment,
    input: &[i64],
    output: &[i64],
) {
    t.domain_separator(label, params);
    let arch = blake3::hash(model.architecture_json().as_bytes());
    t.append_message(b"model-architecture", arch.as_bytes());
    t.append_message(b"model-commitment", &commitment.root);
    t.append_u64(b"model-vars", u64::from(commitment.num_vars));
    let to_f = |xs: &[i64]| -> Vec<F> { xs.iter().map(|&x| crate::field::from_i64(x)).collect() };
    t.append_fields(b"input", &to_f(input));
    t.append_fields(b"output", &to_f(output));
}

/// Whole-network round trips inside the library's own tests, so that the serial build's unit
/// tests (`cargo test --no-default-features --lib`, in CI) run every prover and verifier path
/// without the parallel shim's threads; the integration suite runs on the parallel build.
#[cfg(test)]
mod tests {
    use crate::field::{Bn254Fr, Goldilocks, GoldilocksExt2};
    use crate::model::zoo;
    use crate::network::{self, VerifyError};

    fn round_trip<F: crate::field::BaseField + ark_ff::FftField, E: crate::field::ExtField<F>>(
        model: &crate::model::Model,
    ) {
        let committed = network::commit_model::<F, E>(model).unwrap();
        let checked = committed.public.check(&model.architecture()).unwrap();
        let input = zoo::random_input(&model.input_shape, model.activation_bits, 9);
        let (output, proof) = network::prove::<F, E>(model, &committed, &input).unwrap();
        let x: Vec<i64> = input.iter().copied().collect();
        let mut y: Vec<i64> = output.iter().copied().collect();
        network::verify(model, &checked, &x, &y, &proof).unwrap();
        y[0] += 1;
        assert_eq!(
            network::verify(model, &checked, &x, &y, &proof),
            Err(VerifyError::Output)
        );
    }

    #[test]
    fn lenet5_and_small_vgg_round_trip() {
        round_trip::<Goldilocks, GoldilocksExt2>(&zoo::lenet5(2));
        round_trip::<Goldilocks, GoldilocksExt2>(&zoo::small_vgg(2));
        round_trip::<Bn254Fr, Bn254Fr>(&zoo::lenet5(3));
    }

    /// A model whose model and advice tables are both committed as several columns (columns
    /// of `2^column_vars` entries), with claims that span columns on both (the dense matrix
    /// and the activations are larger than a column): it proves and verifies, and its checked
    /// commitment carries the column size to the verifier.
    fn split_round_trip<
        F: crate::field::BaseField + ark_ff::FftField,
        E: crate::field::ExtField<F>,
    >(
        model: &crate::model::Model,
        column_vars: usize,
    ) {
        let committed = network::commit_model_with_columns::<F, E>(model, column_vars).unwrap();
        assert!(
            committed.commitment().num_polys > 1,
            "the model table is split"
        );
        assert_eq!(committed.commitment().num_vars as usize, column_vars);
        let checked = committed
            .public
            .check_with_columns(&model.architecture(), column_vars)
            .unwrap();
        assert_eq!(checked.column_vars(), column_vars);
        let input = zoo::random_input(&model.input_shape, model.activation_bits, 4);
        let (output, proof) = network::prove::<F, E>(model, &committed, &input).unwrap();
        assert!(proof.advice.num_polys > 1, "the advice table is split");
        // Only the columns the advice's segments reach are committed.
        let plan =
            super::plan::Plan::with_columns(model, super::plan::ConvPolicy::CostModel, column_vars)
                .unwrap();
        let layout = plan.advice_columns();
        let used = plan.advice_packing.used_entries();
        assert_eq!(proof.advice.num_polys as usize, layout.committed());
        assert_eq!(layout.committed(), used.div_ceil(1 << column_vars));
        assert!(
            layout.committed() < layout.count(),
            "these models leave columns empty"
        );

        let x: Vec<i64> = input.iter().copied().collect();
        let mut y: Vec<i64> = output.iter().copied().collect();
        network::verify(model, &checked, &x, &y, &proof).unwrap();
        // An advice commitment of every column (the empty ones too) is not this plan's.
        let mut all = proof.clone();
        all.advice.num_polys = layout.count() as u32;
        assert_eq!(
            network::verify(model, &checked, &x, &y, &all),
            Err(VerifyError::AdviceShape)
        );
        // The same output as an unsplit proof.
        let whole = network::commit_model::<F, E>(model).unwrap();
        let (again, unsplit) = network::prove::<F, E>(model, &whole, &input).unwrap();
        assert_eq!(again, output);
        assert!(
            proof.values.len() > unsplit.values.len(),
            "column values sent"
        );
        // An advice commitment of every column (the empty ones too) is not this plan's.
        let mut all = proof.clone();
        all.advice.num_polys = layout.count() as u32;
        assert_eq!(
            network::verify(model, &checked, &x, &y, &all),
            Err(VerifyError::AdviceShape)
        );
        y[0] += 1;
        assert_eq!(
            network::verify(model, &checked, &x, &y, &proof),
            Err(VerifyError::Output)
        );
    }

    #[test]
    fn split_tables_round_trip_on_both_fields() {
        split_round_trip::<Goldilocks, GoldilocksExt2>(&zoo::small_vgg(2), 10);
        split_round_trip::<Bn254Fr, Bn254Fr>(&zoo::small_vgg(3), 9);
    }

    /// The network's opening parameters keep [`super::SECURITY_BITS`] proven bits for the
    /// largest table the plan takes: every table is opened as columns of at most
    /// `2^MAX_VARS` entries, and the parameters are set for those.
    #[test]
    fn the_largest_table_keeps_100_proven_bits() {
        use super::columns::TableColumns;
        use crate::pcs::basefold::field_bits;
        let bits = field_bits::<GoldilocksExt2>();
        for n in 1..=super::MAX_TABLE_VARS {
            let layout = TableColumns::new(n, super::COLUMN_VARS);
            assert!(layout.column_vars <= super::MAX_VARS);
            let m = layout.column_vars as u32;
            let params = super::opening_params::<Goldilocks, GoldilocksExt2>(m).unwrap();
            assert!(
                params.security_bits(layout.column_vars, bits) >= super::SECURITY_BITS as f64,
                "2^{n} entries"
            );
        }
        let largest = TableColumns::new(super::MAX_TABLE_VARS, super::COLUMN_VARS);
        assert_eq!((largest.column_vars, largest.count()), (24, 16));
    }
}
