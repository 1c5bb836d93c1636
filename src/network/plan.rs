//! The circuit plan: what a model's proof commits and checks, derived from the model alone, so
//! that prover and verifier agree on every segment, tensor layout and step.

use super::columns::TableColumns;
use super::{NetworkError, COLUMN_VARS, MAX_TABLE_VARS, MAX_VARS};
use crate::layers::conv::ConvShape;
use crate::layers::fft_conv::{self, ConvPath};
pub use crate::layers::requant::{Overflow, Requant};
use crate::layers::window::Window;
use crate::layers::Dims;
use crate::model::validate::weight_range;
use crate::model::{Layer, Model};
use crate::pcs::basefold::MAX_BATCH;
use crate::pcs::packing::Packing;

/// The most kernel positions (`k_h·k_w`) of a convolution: each is a model segment and a term of
/// the verifier's index map, so the plan refuses larger kernels before allocating anything for
/// them. Real CNNs stay far below (AlexNet's 11×11 is 121).
pub const MAX_KERNEL_AREA: usize = 1024;

/// The widest range-check table a plan takes: `2^16` entries, so one limb holds any remainder
/// of a shift up to 16.
pub const MAX_TABLE_BITS: u32 = 16;

/// The range check's table bits `T` of `model`'s plans: the activation bits `B`, or the largest
/// requantization shift when it is wider (at most [`MAX_TABLE_BITS`]), so that every remainder
/// below `2^16` is one limb. A wider table costs its `2^T` multiplicities and, per activation
/// by lookup, one more range column; a remainder of `s > B` bits costs one segment instead of
/// `⌈s/B⌉` (`spec/requant-relu.md`, "Range table").
pub fn table_bits(model: &Model) -> u32 {
    let widest = model
        .layers
        .iter()
        .filter_map(Layer::shift)
        .max()
        .unwrap_or(0)
        .min(MAX_TABLE_BITS);
    model.activation_bits.max(widest)
}

/// How a tensor's multilinear extension is obtained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The public input.
    Input,
    /// `Σ coeff·segment` over advice segments.
    Committed(Vec<(usize, i64)>),
    /// Proven by the producing step when the backward pass reaches it (flatten, concat): every
    /// claim on it, from any of its readers, is reduced to claims on the step's inputs.
    Derived,
}

/// A segment of the model table: `2^vars` entries, the low `col_vars` bits of an index the
/// column and the high bits the row. Entry `(row, col)` is in use when `row < rows` and
/// `col < cols`, and then lies in `[lo, hi]`; every other entry (padding) is zero. The model
/// commitment's check ([`super::commitment`]) proves exactly this for every segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelSeg {
    /// Variables.
    pub vars: usize,
    /// Variables of the column index (the low bits).
    pub col_vars: usize,
    /// Rows in use.
    pub rows: usize,
    /// Columns in use.
    pub cols: usize,
    /// Smallest value of an entry in use.
    pub lo: i64,
    /// Largest value of an entry in use.
    pub hi: i64,
}

/// A layer's bias in the model table: `b + 2^{β−1} = Σ_j 2^{at_j}·limb_j` on every output in
/// use, `β` the model's `bias_bits` (so `b ∈ [−2^{β−1}, 2^{β−1})`, the limbs in range by the
/// commitment's check), and every limb zero on padded outputs, where `b` is then 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bias {
    /// The limbs' model segments and bit offsets `at_j`, least significant first.
    pub limbs: Vec<(usize, u32)>,
    /// Outputs in use.
    pub outputs: usize,
    /// `β`: the limbs hold `b + 2^{β−1}` in `β` bits.
    pub bits: u32,
}

impl Bias {
    /// `2^{β−1}`, the offset the limbs add to a bias.
    pub fn offset(&self) -> i64 {
        -weight_range(self.bits).0
    }

    /// The limbs of `b + 2^{β−1}` for a bias `b` (a valid model's, so in `[−2^{β−1}, 2^{β−1})`).
    pub fn limbs_of(&self, b: i64) -> impl Iterator<Item = i64> + '_ {
        let u = b + self.offset();
        let ends = self
            .limbs
            .iter()
            .skip(1)
            .map(|&(_, at)| at)
            .chain([self.bits]);
        self.limbs
            .iter()
            .zip(ends)
            .map(move |(&(_, at), end)| (u >> at) & ((1 << (end - at)) - 1))
    }
}

/// One proof step per model layer; the tensors it reads are [`Plan::inputs`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Convolution then requantization ([`crate::layers::conv::Conv`]).
    Conv(crate::layers::conv::Conv),
    /// Dense then requantization ([`crate::layers::dense::Dense`]).
    Dense(crate::layers::dense::Dense),
    /// Window sum `S` then requantization of `acc = multiplier·S + offset`: an exact
    /// division when the pool's divisor is not a power of two
    /// ([`crate::layers::avgpool::AvgPool`]).
    AvgPool(crate::layers::avgpool::AvgPool),
    /// Residual sum then requantization ([`crate::layers::add::Add`]).
    Add(crate::layers::add::Add),
    /// Element-wise product then requantization (`spec/mul.md`, [`crate::layers::mul::Mul`]).
    Mul(crate::layers::mul::Mul),
    /// ReLU of a tensor that is not a fresh requantization ([`crate::layers::add::Relu`]).
    Relu(crate::layers::add::Relu),
    /// ReLU of a requantization's output ([`crate::layers::add::FusedRelu`]).
    FusedRelu(crate::layers::add::FusedRelu),
    /// 2×2 max-pooling by three two-way maxima ([`crate::layers::maxpool::MaxPool2x2`]).
    MaxPool(crate::layers::maxpool::MaxPool2x2),
    /// Max-pooling of any window ([`crate::layers::maxpool::MaxPoolWindow`]).
    MaxPoolWindow(crate::layers::maxpool::MaxPoolWindow),
    /// An element-wise activation `y = T_tag(x)` by lookup (`spec/activation.md`): `y` is
    /// committed, range-checked as `y + 2^{B−1} ∈ [0, 2^B)`, and the pair `(x, y)` looked up
    /// in the plan's [`Lookup`] table as function `tag`
    /// ([`crate::layers::activation::Activation`]).
    Activation(crate::layers::activation::Activation),
    /// Flatten ([`crate::layers::flatten::Flatten`]).
    Flatten(crate::layers::flatten::Flatten),
    /// Channel concatenation ([`crate::layers::concat::Concat`]): each claim on the output
    /// becomes one claim per input; the output is committed (`copy`) when a max-pool reads it.
    Concat(crate::layers::concat::Concat),
}

/// The two-way maxima `(z, u, v)`, `z = max(u, v)`, of a [`Step::MaxPoolWindow`] of layer `layer`
/// over `offsets` offsets with segments `segs` ([`window_segments`] of them).
pub fn window_chain(
    layer: usize,
    segs: &[usize],
    offsets: usize,
) -> Vec<(Operand, Operand, Operand)> {
    let view = |offset| Operand::Window { layer, offset };
    let mut out = Vec::with_capacity(segs.len());
    for (i, &s) in segs.iter().enumerate() {
        let (u, v) = match i {
            0 => (view(0), view(1.min(offsets.saturating_sub(1)))),
            _ => (Operand::Seg(segs[i - 1]), view(i + 1)),
        };
        out.push((Operand::Seg(s), u, v));
    }
    out
}

/// The segments of a [`Step::MaxPoolWindow`] over `offsets` offsets: `offsets − 1`, at least one.
pub fn window_segments(offsets: usize) -> usize {
    offsets.saturating_sub(1).max(1)
}

/// How the plan picks each convolution's proof. Both sides must use the same policy; it is not
/// part of the statement, since both paths prove the same statement.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ConvPolicy {
    /// The cost model [`fft_conv::choose`], from the layer's shape alone (the default).
    #[default]
    CostModel,
    /// Every convolution takes this path (for tests and measurements).
    Always(ConvPath),
}

impl ConvPolicy {
    /// The path for a convolution of this shape.
    pub fn path(self, shape: &ConvShape) -> ConvPath {
        match self {
            ConvPolicy::CostModel => fft_conv::choose(shape),
            ConvPolicy::Always(path) => path,
        }
    }
}

/// Everything both sides derive from the model.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Tensor `0` is the input, tensor `ℓ + 1` the output of layer `ℓ`.
    pub dims: Vec<Dims>,
    /// How each tensor is obtained.
    pub sources: Vec<Source>,
    /// One step per layer.
    pub steps: Vec<Step>,
    /// The tensors each step reads, in operand order ([`Layer::inputs`]): the first is a
    /// one-input step's input (and Add's first operand), Add's second is its `from`, a
    /// concatenation reads them all. Every one is earlier than the step's output.
    pub inputs: Vec<Vec<usize>>,
    /// The model table's segments.
    pub model_segs: Vec<ModelSeg>,
    /// Variables of each advice segment (the last is the range multiplicities).
    pub advice_vars: Vec<usize>,
    /// The layer whose step made each advice segment (`None` for the activations' lookup
    /// multiplicities, the range multiplicities and the fresh masks): what errors name.
    pub advice_layers: Vec<Option<usize>>,
    /// The model packing.
    pub model_packing: Packing,
    /// The advice packing.
    pub advice_packing: Packing,
    /// The activation bits `B`: activations lie in `[−2^{B−1}, 2^{B−1})`.
    pub range_bits: u32,
    /// The range check's table bits `T` ([`table_bits`]): every range column's entries lie in
    /// `[0, 2^T)`, and the requantization remainders' and overflows' limbs are `T` bits wide.
    /// `T ≥ B`; `T = B` unless some shift exceeds `B`.
    pub table_bits: u32,
    /// The model commitment's range-check table bits (the weight bits).
    pub weight_bits: u32,
    /// The biases' bits `β` ([`Model::bias_bits`]): biases lie in `[−2^{β−1}, 2^{β−1})`.
    pub bias_bits: u32,
    /// Range columns: `Σ coeff·view`, every view of the same size.
    pub columns: Vec<Column>,
    /// The most variables of a committed table's column: tables beyond `2^column_vars` entries
    /// are committed as columns ([`super::columns`]). [`COLUMN_VARS`] unless a test lowers it
    /// ([`Plan::with_columns`]).
    pub column_vars: usize,
    /// Variables of the batch index (`spec/batch.md`): every tensor, advice segment and range
    /// column holds `2^batch_vars` inputs' tables, the batch index over the top variables
    /// (`dims` have a leading batch dimension; the steps' shapes stay a single input's). 0 for
    /// a proof of one input.
    pub batch_vars: usize,
    /// The activations' lookup argument, when the model has activations.
    pub lookup: Option<Lookup>,
}

/// The activations' lookup argument: one table for every [`Step::Activation`] of the model,
/// entry `tag·2^B + u` (`u ≥ 1`, `t = u − 2^{B−1}`) the pair
/// `u + 2^B·(T_tag(t) + 2^{B−1}) + 2^{2B}·tag`, every other entry 0 (`spec/activation.md`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    /// The distinct functions, in order of first use.
    pub functions: Vec<crate::model::activation::Function>,
    /// One lookup column per activation layer: `x + 2^B·y + c_tag·Valid`, with
    /// `c_tag = 2^{B−1}·(1 + 2^B) + 2^{2B}·tag`.
    pub columns: Vec<Column>,
    /// The advice segment of the lookup's multiplicities.
    pub multiplicities: usize,
    /// The table's variables: `B + ⌈log2 |functions|⌉`.
    pub bits: usize,
}

impl Lookup {
    /// The table's entries as integers ([`Lookup`]), for activation bits `bits`.
    pub fn table_ints(&self, bits: u32) -> Vec<i64> {
        let off = 1i64 << (bits - 1);
        let mut out = vec![0i64; 1 << self.bits];
        for (tag, f) in self.functions.iter().enumerate() {
            let t = crate::model::activation::table(f, bits);
            for (i, &y) in t.iter().enumerate() {
                let u = i as i64 + 1;
                out[(tag << bits) + i + 1] = u + ((y + off) << bits) + ((tag as i64) << (2 * bits));
            }
        }
        out
    }

    /// The table as field elements.
    pub fn table<F: crate::field::BaseField>(&self, bits: u32) -> Vec<F> {
        self.table_ints(bits)
            .into_iter()
            .map(crate::field::from_i64)
            .collect()
    }
}

/// A view of a tensor: all of it, or one of the four 2×2 offsets `(dy, dx)` of a max-pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct View {
    /// The tensor.
    pub tensor: usize,
    /// `Some((dy, dx))`: the sub-grid `t[c][2y + dy][2x + dx]`.
    pub offset: Option<(usize, usize)>,
}

/// What a range column's term reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operand {
    /// An advice segment.
    Seg(usize),
    /// A tensor view.
    View(View),
    /// The extended view `V'_offset = V_offset − L·P_offset` of the input of the
    /// [`Step::MaxPoolWindow`] of layer `layer` (`L = 2^{B−1} − 1`): its values are claims on
    /// the plain view `V_offset`, reduced to one claim on the input after the range check.
    Window {
        /// The max-pool's layer.
        layer: usize,
        /// The offset `dy·k + dx`.
        offset: usize,
    },
    /// The public indicator of tensor `t`'s logical entries over its padded layout (1 there, 0
    /// on the padding): a public shift, in a zero-knowledge plan's hidden-input columns
    /// `c·V ± x` (which bound the input and force its padding to zero).
    Valid(usize),
}

/// A range-checked column `Σ coeff·operand`, every entry (padding included) in
/// `[0, 2^table_bits)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// Terms.
    pub terms: Vec<(Operand, i64)>,
    /// Variables.
    pub vars: usize,
}

impl Plan {
    /// The tensor step `l` reads first (its one input; Add's first operand; a
    /// concatenation's first input).
    pub fn input(&self, l: usize) -> usize {
        self.inputs
            .get(l)
            .and_then(|i| i.first())
            .copied()
            .unwrap_or(l)
    }

    /// The advice segment holding the range multiplicities.
    pub fn multiplicities_segment(&self) -> usize {
        self.advice_vars.len() - 1
    }

    /// How the model's packed table is committed.
    pub fn model_columns(&self) -> TableColumns {
        TableColumns::new(self.model_packing.num_vars(), self.column_vars)
    }

    /// How the advice's packed table is committed: the columns its segments reach (a table
    /// of `2^26` entries holding 49 M is three columns of `2^24`, not four).
    pub fn advice_columns(&self) -> TableColumns {
        TableColumns::trimmed(
            self.advice_packing.num_vars(),
            self.column_vars,
            self.advice_packing.used_entries(),
        )
    }

    /// Variables of each model segment.
    pub fn model_vars(&self) -> Vec<usize> {
        self.model_segs.iter().map(|s| s.vars).collect()
    }

    /// A weight matrix segment: `rows × cols` in use (padded to `2^row_vars × 2^col_vars`),
    /// entries in `[−2^{W−1}, 2^{W−1})`.
    pub(crate) fn weight_seg(
        &mut self,
        rows: usize,
        row_vars: usize,
        cols: usize,
        col_vars: usize,
    ) -> usize {
        let (lo, hi) = weight_range(self.weight_bits);
        self.model_segs.push(ModelSeg {
            vars: row_vars + col_vars,
            col_vars,
            rows,
            cols,
            lo,
            hi,
        });
        self.model_segs.len() - 1
    }

    /// A bias of `outputs` values (padded to `2^vars`): `β = bias_bits` bits in limbs of `W`
    /// bits (the top one narrower when `W` does not divide `β`).
    pub(crate) fn bias(&mut self, outputs: usize, vars: usize) -> Bias {
        let (w, bits) = (self.weight_bits, self.bias_bits);
        let mut limbs = Vec::new();
        let mut at = 0;
        while at < bits {
            let width = w.min(bits - at);
            self.model_segs.push(ModelSeg {
                vars,
                col_vars: 0,
                rows: outputs,
                cols: 1,
                lo: 0,
                hi: (1 << width) - 1,
            });
            limbs.push((self.model_segs.len() - 1, at));
            at += width;
        }
        Bias {
            limbs,
            outputs,
            bits,
        }
    }

    /// An advice segment of one input's `vars` variables (and the batch's).
    pub(crate) fn advice_seg(&mut self, vars: usize) -> usize {
        self.advice_vars.push(vars + self.batch_vars);
        self.advice_vars.len() - 1
    }

    /// A range column of one input's `vars` variables (and the batch's).
    pub(crate) fn column(&mut self, terms: Vec<(Operand, i64)>, vars: usize) {
        let vars = vars + self.batch_vars;
        self.columns.push(Column { terms, vars });
    }

    /// Segments and range columns of a requantization by `shift` over `vars` variables, with
    /// table bits `T` and activation bits `B ≤ T`: `y, n ∈ [0, 2^T)`, `2^{T−B+1}(y + n) ∈
    /// [0, 2^T)` (so `|q| = y + n < 2^{B−1}`), and each limb of `rem` (`T` bits wide, the top
    /// one narrower) in range (a limb of width `w < T` also as `2^{T−w}·limb`).
    ///
    /// With `overflow_bits = K > 0` (a saturating layer), also the limbs of `o_hi` and of
    /// `o_lo`, each limb in range as the remainder's are.
    pub(crate) fn requant(&mut self, shift: u32, vars: usize, overflow_bits: u32) -> Requant {
        let t = self.table_bits;
        let (y, n) = (self.advice_seg(vars), self.advice_seg(vars));
        self.column(vec![(Operand::Seg(y), 1)], vars);
        self.column(vec![(Operand::Seg(n), 1)], vars);
        let c = 1i64 << (t - self.range_bits + 1);
        self.column(vec![(Operand::Seg(y), c), (Operand::Seg(n), c)], vars);
        let limbs = self.limbs(shift, vars);
        let overflow = (overflow_bits > 0).then(|| {
            let hi = self.limbs(overflow_bits, vars);
            let lo = self.limbs(overflow_bits, vars);
            Overflow {
                limit: (1i64 << (self.range_bits - 1)) - 1,
                bits: overflow_bits,
                limb_bits: t,
                hi: hi.into_iter().map(|(s, _)| s).collect(),
                lo: lo.into_iter().map(|(s, _)| s).collect(),
            }
        });
        Requant {
            shift,
            y,
            n,
            limbs,
            overflow,
        }
    }

    /// Advice segments for the limbs of a value in `[0, 2^bits)`, `table_bits` each (the top
    /// one narrower), each in range (a limb of width `w < t` also as `2^{t−w}·limb`).
    fn limbs(&mut self, bits: u32, vars: usize) -> Vec<(usize, u32)> {
        let t = self.table_bits;
        let mut limbs = Vec::new();
        let mut left = bits;
        while left > 0 {
            let w = left.min(t);
            let seg = self.advice_seg(vars);
            self.column(vec![(Operand::Seg(seg), 1)], vars);
            if w < t {
                self.column(vec![(Operand::Seg(seg), 1i64 << (t - w))], vars);
            }
            limbs.push((seg, w));
            left -= w;
        }
        limbs
    }

    /// The requantization of step `l`, if it has one.
    pub fn requant_of(&self, l: usize) -> Option<&Requant> {
        match self.steps.get(l)? {
            Step::Conv(crate::layers::conv::Conv { requant, .. })
            | Step::Dense(crate::layers::dense::Dense { requant, .. })
            | Step::AvgPool(crate::layers::avgpool::AvgPool { requant, .. })
            | Step::Add(crate::layers::add::Add { requant, .. })
            | Step::Mul(crate::layers::mul::Mul { requant, .. })
            | Step::Relu(crate::layers::add::Relu { requant }) => Some(requant),
            _ => None,
        }
    }

    /// Refuses a tensor of more than `2^MAX_VARS` padded entries (`layer` is `None` for the
    /// input).
    fn check_tensor(
        layer: Option<usize>,
        dims: &Dims,
        batch_vars: usize,
    ) -> Result<(), NetworkError> {
        let vars = dims.num_vars() + batch_vars;
        if vars > MAX_VARS {
            return Err(NetworkError::TooLarge {
                layer,
                what: "its output tensor (padded to powers of two)",
                size: 1u128 << vars.min(127),
                limit: 1 << MAX_VARS,
            });
        }
        Ok(())
    }

    /// Refuses a packed table (model or advice) beyond `2^MAX_TABLE_VARS` entries, so far: the
    /// sum of `2^v` over `vars[from..]` is added to `total` (so the plan's checks stay linear).
    fn check_total(
        layer: Option<usize>,
        vars: &[usize],
        from: usize,
        total: &mut u128,
        what: &'static str,
    ) -> Result<(), NetworkError> {
        let added: u128 = vars.iter().skip(from).map(|&v| 1u128 << v.min(100)).sum();
        *total = total.saturating_add(added);
        let size = *total;
        if size > 1 << MAX_TABLE_VARS {
            return Err(NetworkError::TooLarge {
                layer,
                what,
                size,
                limit: 1 << MAX_TABLE_VARS,
            });
        }
        Ok(())
    }

    /// Builds the plan from the model's architecture (weights may be absent: see
    /// [`Model::architecture`]), with the cost model choosing each convolution's path.
    pub fn new(model: &Model) -> Result<Self, NetworkError> {
        Self::with_policy(model, ConvPolicy::CostModel)
    }

    /// [`Plan::new`] with the convolution paths chosen by `policy`.
    pub fn with_policy(model: &Model, policy: ConvPolicy) -> Result<Self, NetworkError> {
        Self::with_columns(model, policy, COLUMN_VARS)
    }

    /// [`Plan::with_policy`] with committed tables split into columns of at most
    /// `2^column_vars` entries instead of [`COLUMN_VARS`]: for tests, which split small models
    /// into several columns. `column_vars` must be in `1..=MAX_VARS`, and no table may need
    /// more than `MAX_BATCH` columns (`NetworkError::ColumnVars`, `TooLarge`).
    #[doc(hidden)]
    pub fn with_columns(
        model: &Model,
        policy: ConvPolicy,
        column_vars: usize,
    ) -> Result<Self, NetworkError> {
        Self::with_options(model, policy, column_vars, false)
    }

    /// [`Plan::with_columns`], and with `zk` (the zero-knowledge plan) every max-pool of the
    /// network's input takes the window protocol, the 2×2 stride-2 one included (its sub-grid
    /// views would be placed on the input's commitment together with the maxima), every tensor
    /// has at least one variable (a tensor of one entry is padded to two, its first
    /// dimension's: every claim on a committed segment has a random coordinate and no two
    /// claims read its commitment's mask at one point, which `pcs::zk` refuses: `SharedMask`),
    /// and a dense layer's or an ordinary convolution's output has at least [`ZK_TENSOR_VARS`]
    /// (its mask, and its remainder limbs', have entries for the few reads a proof makes of
    /// them: `spec/zk.md`, "The advice").
    pub(crate) fn with_options(
        model: &Model,
        policy: ConvPolicy,
        column_vars: usize,
        zk: bool,
    ) -> Result<Self, NetworkError> {
        Self::build(model, policy, column_vars, zk, 0)
    }

    /// The zero-knowledge plan ([`Plan::with_options`] with `zk`) of a batch of
    /// `2^batch_vars` inputs, every convolution on the direct path.
    pub(crate) fn zk_batched(
        model: &Model,
        column_vars: usize,
        batch_vars: usize,
    ) -> Result<Self, NetworkError> {
        let policy = ConvPolicy::Always(ConvPath::Direct);
        Self::build(model, policy, column_vars, true, batch_vars)
    }

    /// The plan of a batch proof of `2^batch_vars` inputs ([`Plan::batch_vars`]), committed
    /// tables in columns of `2^column_vars` entries. Every convolution takes the direct path;
    /// every layer kind is taken (`spec/batch.md`, "Steps").
    pub fn batched(
        model: &Model,
        column_vars: usize,
        batch_vars: usize,
    ) -> Result<Self, NetworkError> {
        let policy = ConvPolicy::Always(ConvPath::Direct);
        Self::build(model, policy, column_vars, false, batch_vars)
    }

    fn build(
        model: &Model,
        policy: ConvPolicy,
        column_vars: usize,
        zk: bool,
        batch_vars: usize,
    ) -> Result<Self, NetworkError> {
        // A dense layer's and an ordinary convolution's output (a classifier's few logits, a
        // squeeze-and-excitation block's squeeze on a 1×1 map) take more padding in zero
        // knowledge, where its readers take any layout: [`ZK_TENSOR_VARS`].
        let paddable = paddable_outputs(model);
        if !(1..=MAX_VARS).contains(&column_vars) {
            return Err(NetworkError::ColumnVars(column_vars));
        }
        let shapes = model.validate_architecture().map_err(NetworkError::Model)?;
        let bits = model.activation_bits;
        let input_dims = pad_small(Dims::new(&model.input_shape), usize::from(zk));
        Self::check_tensor(None, &input_dims, batch_vars)?;
        let mut p = Plan {
            dims: vec![input_dims],
            sources: vec![Source::Input],
            steps: Vec::new(),
            inputs: Vec::new(),
            model_segs: Vec::new(),
            advice_vars: Vec::new(),
            advice_layers: Vec::new(),
            model_packing: Packing::new(&[]),
            advice_packing: Packing::new(&[]),
            range_bits: bits,
            table_bits: table_bits(model),
            weight_bits: model.weight_bits,
            bias_bits: model.bias_bits,
            columns: Vec::new(),
            column_vars,
            batch_vars,
            lookup: None,
        };
        let mut functions: Vec<crate::model::activation::Function> = Vec::new();
        let mut lookup_columns = Vec::new();
        // Tensors a max-pool reads: its views' points have fixed coordinates, so they must be
        // committed (a concatenation's output then gets a committed copy).
        let mut pooled = vec![false; model.layers.len() + 1];
        for (l, layer) in model.layers.iter().enumerate() {
            if let (Layer::MaxPool2d(_), Some(t)) = (layer, layer.input(l)) {
                if let Some(p) = pooled.get_mut(t) {
                    *p = true;
                }
            }
        }
        // Running totals of the packed tables, and how many segments they count.
        let (mut model_total, mut advice_total) = (0u128, 0u128);
        let (mut model_seen, mut advice_seen) = (0usize, 0usize);
        for (l, layer) in model.layers.iter().enumerate() {
            // Validated: every tensor read is earlier (`≤ l`); Concat has at least one.
            let reads = layer.inputs(l);
            let tin = reads.first().copied().unwrap_or(l);
            let input = p.dims[tin].clone();
            let out_shape = &shapes[l];
            Self::check_tensor(Some(l), &Dims::new(out_shape), batch_vars)?;
            let mut cx = PlanStep {
                p: &mut p,
                model,
                l,
                reads: &reads,
                tin,
                input,
                out_shape,
                bits,
                batch_vars,
                policy,
                zk,
                paddable: &paddable,
                pooled: &pooled,
                functions: &mut functions,
                lookup_columns: &mut lookup_columns,
            };
            // The registry of the model's layer kinds: each operator's module plans its step.
            let (step, dims, source) = match layer {
                Layer::Conv2d(c) => crate::layers::conv::plan(c, &mut cx)?,
                Layer::Dense(d) => crate::layers::dense::plan(d, &mut cx)?,
                Layer::AvgPool2d(a) => crate::layers::avgpool::plan(a, &mut cx)?,
                Layer::Add(a) => crate::layers::add::plan_add(a, &mut cx)?,
                Layer::Mul(m) => crate::layers::mul::plan(m, &mut cx)?,
                Layer::Relu { .. } => crate::layers::add::plan_relu(&mut cx)?,
                Layer::MaxPool2d(m) => crate::layers::maxpool::plan(m, &mut cx)?,
                Layer::Activation(a) => crate::layers::activation::plan(a, &mut cx)?,
                Layer::Flatten { .. } => crate::layers::flatten::plan(&mut cx)?,
                Layer::Concat(_) => crate::layers::concat::plan(&mut cx)?,
            };
            Self::check_tensor(Some(l), &dims, batch_vars)?;
            let model_vars: Vec<usize> =
                p.model_segs[model_seen..].iter().map(|s| s.vars).collect();
            Self::check_total(
                Some(l),
                &model_vars,
                0,
                &mut model_total,
                "the model's packed table, up to it,",
            )?;
            Self::check_total(
                Some(l),
                &p.advice_vars,
                advice_seen,
                &mut advice_total,
                "the advice's packed table, up to it,",
            )?;
            (model_seen, advice_seen) = (p.model_segs.len(), p.advice_vars.len());
            p.advice_layers.resize(advice_seen, Some(l));
            p.steps.push(step);
            p.inputs.push(reads);
            p.dims.push(dims);
            p.sources.push(source);
        }
        if !functions.is_empty() {
            let tag_bits = functions.len().next_power_of_two().trailing_zeros() as usize;
            let lbits = bits as usize + tag_bits;
            // One table for the batch: the multiplicities are the batch's counts, `2^lbits`
            // entries whatever the batch.
            p.advice_vars.push(lbits);
            let multiplicities = p.advice_vars.len() - 1;
            p.lookup = Some(Lookup {
                functions,
                columns: lookup_columns,
                multiplicities,
                bits: lbits,
            });
        }
        p.advice_vars.push(p.table_bits as usize);
        p.advice_layers.resize(p.advice_vars.len(), None);
        p.dims = p.dims.iter().map(|d| d.batched(batch_vars)).collect();
        p.model_packing = Packing::new(&p.model_vars());
        p.advice_packing = Packing::new(&p.advice_vars);
        for (packing, what, columns) in [
            (
                &p.model_packing,
                "the model's packed table",
                "the columns of the model's packed table",
            ),
            (
                &p.advice_packing,
                "the advice's packed table",
                "the columns of the advice's packed table",
            ),
        ] {
            if packing.num_vars() > MAX_TABLE_VARS {
                return Err(NetworkError::TooLarge {
                    layer: None,
                    what,
                    size: 1 << packing.num_vars(),
                    limit: 1 << MAX_TABLE_VARS,
                });
            }
            // Only a lowered column size reaches this (2^4 columns at most otherwise).
            let count = TableColumns::new(packing.num_vars(), column_vars).count();
            if count > MAX_BATCH {
                return Err(NetworkError::TooLarge {
                    layer: None,
                    what: columns,
                    size: count as u128,
                    limit: MAX_BATCH as u128,
                });
            }
        }
        Ok(p)
    }
}

/// A layer's step, planned: the step, its output's padded layout, and where the output lies.
pub(crate) type Planned = (Step, Dims, Source);

/// `y − n`: a requantizing layer's output.
pub(crate) fn yn(r: &Requant) -> Source {
    Source::Committed(vec![(r.y, 1), (r.n, -1)])
}

/// What an operator's module plans its layer's step with ([`Plan::build`]): the plan so far
/// (its segments, range columns and tensors), the layer, the tensors it reads, and the plan's
/// options.
pub(crate) struct PlanStep<'s> {
    /// The plan so far.
    pub(crate) p: &'s mut Plan,
    /// The model.
    pub(crate) model: &'s Model,
    /// The layer.
    pub(crate) l: usize,
    /// The tensors it reads, in operand order.
    pub(crate) reads: &'s [usize],
    /// Its first operand.
    pub(crate) tin: usize,
    /// That operand's padded layout.
    pub(crate) input: Dims,
    /// Its output's shape.
    pub(crate) out_shape: &'s [usize],
    /// The activation bits `B`.
    pub(crate) bits: u32,
    /// The batch's variables (0 for one input).
    pub(crate) batch_vars: usize,
    /// How convolutions choose their path.
    pub(crate) policy: ConvPolicy,
    /// Whether the plan is a zero-knowledge proof's ([`Plan::with_options`]).
    pub(crate) zk: bool,
    /// Per layer, whether its output may take [`ZK_TENSOR_VARS`]' padding.
    pub(crate) paddable: &'s [bool],
    /// Per tensor, whether a max-pool reads it.
    pub(crate) pooled: &'s [bool],
    /// The activation functions of the lookup table so far.
    pub(crate) functions: &'s mut Vec<crate::model::activation::Function>,
    /// The lookup columns so far.
    pub(crate) lookup_columns: &'s mut Vec<Column>,
}

impl PlanStep<'_> {
    /// The refusal of a layer the proof does not take.
    pub(crate) fn unsupported(&self, what: String) -> NetworkError {
        NetworkError::Unsupported {
            layer: self.l,
            what,
        }
    }

    /// The index map of a window along the input's dimension `d`.
    pub(crate) fn window(&self, k: usize, stride: usize, pad: usize, d: usize) -> Window {
        Window {
            k,
            stride,
            pad,
            input: self.input.shape[d],
            output: self.out_shape[d],
        }
    }

    /// `K`, the layer's saturating overflow bits at `shift` ([`overflow_bits`]).
    pub(crate) fn overflow(&self, shift: u32) -> Result<u32, NetworkError> {
        overflow_bits(self.model, self.l, shift)
    }

    /// `d` with a zero-knowledge plan's one-variable minimum ([`Plan::with_options`]).
    pub(crate) fn padded(&self, d: Dims) -> Dims {
        pad_small(d, usize::from(self.zk))
    }

    /// `d` with a zero-knowledge plan's [`ZK_TENSOR_VARS`] minimum where the layer's readers
    /// take any layout ([`paddable_outputs`]).
    pub(crate) fn weighted_padded(&self, d: Dims) -> Dims {
        let pad = self.zk && self.paddable.get(self.l).copied().unwrap_or(false);
        pad_small(d, if pad { ZK_TENSOR_VARS } else { 0 })
    }
}

/// The fewest variables of a dense layer's or an ordinary (one group) convolution's output in
/// a zero-knowledge plan ([`Plan::with_options`]): 16 entries, so that its fresh mask, and its
/// remainder limbs', hide the `[E : F]·reads ≤ 2·8` functionals one proof reads of them (a
/// classifier's few logits, a squeeze-and-excitation block's squeeze of 8 channels on a 1×1
/// map; `prove` refuses a proof that reads a hidden tensor more: `NetworkError::AdviceReads`).
/// The first dimension takes the padding (a convolution's output channels, zero rows of its
/// kernel matrices), and only where every reader takes any layout ([`paddable_outputs`]):
/// a small tensor read by an add, a product, a concatenation, a pool or a flatten keeps its
/// tight padding, and the prover refuses a proof that reads it more than its mask hides.
pub(crate) const ZK_TENSOR_VARS: usize = 4;

/// Per layer, whether its output may take [`ZK_TENSOR_VARS`]' padding: every reader is a
/// one-group convolution or a dense layer (they read any padded layout: the extra input rows
/// of their weights are zero), or a ReLU or an activation (whose output keeps its input's
/// layout) whose own output may; an output no layer reads (the model's) may. An add, a
/// product or a concatenation needs its operands' layouts equal, and a pool, a flatten or a
/// grouped convolution its input's tight padding.
fn paddable_outputs(model: &Model) -> Vec<bool> {
    let n = model.layers.len();
    let mut ok = vec![false; n];
    for l in (0..n).rev() {
        ok[l] = (l + 1..n)
            .filter(|&r| model.layers[r].inputs(r).contains(&(l + 1)))
            .all(|r| match &model.layers[r] {
                Layer::Conv2d(c) => c.groups == 1,
                Layer::Dense(_) => true,
                Layer::Relu { .. } | Layer::Activation(_) => ok[r],
                _ => false,
            });
    }
    ok
}

/// `d`, its first dimension padded further if it has fewer than `min_vars` variables: see
/// [`Plan::with_options`]. The padding is zero as any padding is (the layers' relations and
/// the range checks hold on it).
fn pad_small(mut d: Dims, min_vars: usize) -> Dims {
    let missing = min_vars.saturating_sub(d.num_vars());
    if let Some(v) = d.vars.first_mut() {
        *v += missing;
    }
    d
}

/// `K`, the bits of a saturating requantization's overflow at layer `l` (0 when the model does
/// not saturate or `q` cannot leave `[−L, L]`): the accumulator bound `A` from the architecture
/// (`fan_in·2^{W−1}·(2^{B−1} − 1) + 2^{β−1}` for a convolution or dense layer,
/// `size²·(2^{B−1} − 1)` for an average pool, `2·(2^{B−1} − 1)` for an add, `(2^{B−1} − 1)²`
/// for a product) gives `|q| ≤ ⌊(A + 2^{s−1})/2^s⌋`, and
/// `K` is the bit length of that bound minus `L`. Refuses (`TooLarge`) a layer where
/// `A + 2^{s−1} + 2^s·(2^{B−1} + 2^K)` reaches `2^63`: below it, the relation cannot wrap
/// around modulo either field's `p > 2^63`.
fn overflow_bits(model: &Model, l: usize, shift: u32) -> Result<u32, NetworkError> {
    if !model.saturate {
        return Ok(0);
    }
    let amax = crate::model::validate::max_abs(model.activation_bits) as u128;
    let wmax = (-crate::model::validate::weight_range(model.weight_bits).0) as u128;
    let bias = model.bias_range().0.unsigned_abs() as u128;
    let a: u128 = match model.layers.get(l) {
        Some(Layer::Conv2d(c)) => {
            let fan_in = (c.group_in() as u128)
                .saturating_mul(c.kernel[0] as u128)
                .saturating_mul(c.kernel[1] as u128);
            fan_in.saturating_mul(wmax * amax).saturating_add(bias)
        }
        Some(Layer::Dense(d)) => (d.in_features as u128)
            .saturating_mul(wmax * amax)
            .saturating_add(bias),
        Some(Layer::AvgPool2d(p)) => {
            let d = p.division(amax as i64);
            let (m, c) = d.map_or((1, 0), |d| (d.multiplier, d.offset));
            (p.window_bound(amax as i64) as u128)
                .saturating_mul(m.unsigned_abs() as u128)
                .saturating_add(c.unsigned_abs() as u128)
        }
        Some(Layer::Add(_)) => 2 * amax,
        Some(Layer::Mul(_)) => amax * amax,
        _ => amax,
    };
    let half = if shift > 0 { 1u128 << (shift - 1) } else { 0 };
    let qmax = a.saturating_add(half) >> shift;
    let excess = qmax.saturating_sub(amax);
    let bits = 128 - excess.leading_zeros();
    let wrap = a.saturating_add(half).saturating_add(
        (1u128 << shift).saturating_mul((amax + 1).saturating_add(1u128 << bits.min(100))),
    );
    if wrap >= 1u128 << 63 {
        return Err(NetworkError::TooLarge {
            layer: Some(l),
            what: "its saturating requantization (accumulator bound plus overflow)",
            size: wrap,
            limit: 1u128 << 63,
        });
    }
    Ok(bits)
}
