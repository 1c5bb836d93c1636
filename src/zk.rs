//! What zero-knowledge sub-protocols share (`spec/zk.md`, "Architecture"): the claims they
//! leave for the proof's opening, and the prover's access to the committed tables' masks.
//!
//! A zero-knowledge sub-protocol (a layer, the range check) never sends a value of a private
//! table in the clear. It ends in two kinds of claims, which the caller collects and one
//! zero-knowledge opening ([`crate::pcs::zk`]) proves:
//!
//! * [`Deferred::Masked`]: `t̂(z, β) = v` on a private *committed* table `t`, where
//!   `t̂(x, b) = t̃(x) + b·m_t(x)` is the table's hiding extension (its commitment's mask `m_t`,
//!   [`crate::pcs::zk`]) and `β ≠ 0`. The value `v` is sent: it is `t̃(z)` masked by `β·m_t(z)`.
//!   A masked sum-check ([`crate::sumcheck::zk::prove_masked`]) makes such claims with the
//!   scalar `c = m_t(z)`, which the prover reads through [`TableMasks`];
//! * [`Deferred::Masks`]: `Σ_i a_i·s_i = v` on the sub-protocol's own fresh mask entries `s`
//!   (Libra masks, scalars of virtual values), drawn by the caller before anything is
//!   committed and committed with the advice. Its value `v` is public: it follows from what the
//!   proof already sent.
//!
//! A sub-protocol's fresh masks are a slice the caller allocates (its length follows from the
//! sub-protocol's shape alone, so the advice layout stays a function of the architecture);
//! [`Deferred::Masks`] indexes that slice.

use crate::field::{BaseField, ExtField};
use crate::pcs::basefold::Params;
use crate::pcs::packing::Packing;
use crate::pcs::zk::{Groups, ZkCommitment, ZkError, ZkPart, ZkProof, ZkProverData, ZkStatement};
use crate::pcs::{Claim, PcsError};
use crate::transcript::{StatementHasher, TranscriptExt};
use ark_ff::{FftField, Field};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;
use rand::{CryptoRng, RngCore};
use std::collections::BTreeMap;
use thiserror::Error;

/// A claim a zero-knowledge sub-protocol leaves for the proof's opening.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Deferred<E> {
    /// `t̂_table(point, beta) = value`: the hiding extension of the sub-protocol's private
    /// committed table number `table` at `(point, beta)`, `beta ≠ 0`.
    Masked {
        /// The sub-protocol's index of the table.
        table: usize,
        /// The point over the table's variables.
        point: Vec<E>,
        /// The mask variable's coordinate (never zero).
        beta: E,
        /// The masked value, sent in the proof.
        value: E,
    },
    /// `Σ coeff·masks[index] = value` on the sub-protocol's own fresh mask entries.
    Masks {
        /// `(index, coeff)` pairs; an index may repeat (the coefficients add).
        terms: Vec<(usize, E)>,
        /// The public value.
        value: E,
    },
}

impl<E: Field> Deferred<E> {
    /// `claims` with every masked value shifted: `value + shift(table, point)` (a table that is
    /// a committed placement plus a public part the verifier computes: the claim on the
    /// placement). Claims on fresh masks are unchanged.
    pub fn shift_masked(claims: Vec<Self>, shift: impl Fn(usize, &[E]) -> E) -> Vec<Self> {
        claims
            .into_iter()
            .map(|claim| match claim {
                Deferred::Masked {
                    table,
                    point,
                    beta,
                    value,
                } => Deferred::Masked {
                    value: value + shift(table, &point),
                    table,
                    point,
                    beta,
                },
                other => other,
            })
            .collect()
    }

    /// Whether the claim holds for the given tables' hiding extensions (`table(t, z, β)` is
    /// `t̂_t(z, β)`) and fresh masks: the check an opening makes, computed in the clear (tests).
    pub fn holds(&self, table: impl Fn(usize, &[E], E) -> E, masks: &[E]) -> bool {
        match self {
            Deferred::Masked {
                table: t,
                point,
                beta,
                value,
            } => !beta.is_zero() && table(*t, point, *beta) == *value,
            Deferred::Masks { terms, value } => {
                let mut sum = E::ZERO;
                for &(i, a) in terms {
                    match masks.get(i) {
                        Some(&s) => sum += a * s,
                        None => return false,
                    }
                }
                sum == *value
            }
        }
    }
}

/// The prover's access to its committed tables' masks: `m_t(point)`, the scalar that masks
/// `t̃(point)` in a masked value of table `t` (the sub-protocol's numbering).
pub trait TableMasks<E> {
    /// `m_t(point)`.
    fn mask_at(&self, table: usize, point: &[E]) -> E;
}

/// Explicit mask tables (tests, and sub-protocols' unit tests): `masks[t]` is `m_t`'s table over
/// as many low variables of `t`'s point as it has (a mask over fewer variables than the table,
/// as [`crate::pcs::zk`] commits them).
#[derive(Clone, Debug)]
pub struct ExplicitMasks<E>(pub Vec<Vec<E>>);

impl<E: Field> TableMasks<E> for ExplicitMasks<E> {
    fn mask_at(&self, table: usize, point: &[E]) -> E {
        let mut m = self.0[table].clone();
        let vars = m.len().trailing_zeros() as usize;
        for &r in &point[..vars.min(point.len())] {
            m = m.chunks(2).map(|c| c[0] + r * (c[1] - c[0])).collect();
        }
        m[0]
    }
}

/// Where a sub-protocol's private table lives: `Σ weight·segment` of one committed part (most
/// tables are one segment; a range column is a combination of advice segments, and its mask is
/// the same combination of theirs). A term may read its segment at the table's point with
/// constant coordinates inserted ([`Placed::views`]): a max-pool's sub-grid `t[c][2y + dy][2x +
/// dx]` is the tensor `t` with the bits `dx`, `dy` fixed, so its value at `z` is `t̃` at `z` with
/// those bits inserted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed<E> {
    /// The commitment (index into [`Layout::packings`], in opening order).
    pub part: usize,
    /// `(segment, weight)` pairs of that commitment's packing.
    pub segments: Vec<(usize, E)>,
    /// `(segment, weight, inserted)` terms read at the point with `inserted` coordinates
    /// `(position in the segment's point, bit)` put in, in increasing position.
    pub views: Vec<(usize, E, Inserted)>,
}

/// Coordinates put into a point: `(position in the result, bit)`, in increasing position.
pub type Inserted = Vec<(usize, bool)>;

impl<E: Field> Placed<E> {
    /// One whole segment.
    pub fn segment(part: usize, segment: usize) -> Self {
        Self::combination(part, vec![(segment, E::ONE)])
    }

    /// `Σ weight·segment`.
    pub fn combination(part: usize, segments: Vec<(usize, E)>) -> Self {
        Self {
            part,
            segments,
            views: Vec::new(),
        }
    }

    /// Every term as `(segment, weight, the segment's point)` for the table's `point`.
    pub fn terms(&self, point: &[E]) -> Vec<(usize, E, Vec<E>)> {
        let mut out: Vec<(usize, E, Vec<E>)> = self
            .segments
            .iter()
            .map(|&(s, w)| (s, w, point.to_vec()))
            .collect();
        out.extend(
            self.views
                .iter()
                .map(|(s, w, inserted)| (*s, *w, insert_bits(point, inserted))),
        );
        out
    }

    /// Hashes the placement (part, terms, inserted coordinates), each list length-prefixed.
    fn hash(&self, h: &mut StatementHasher) {
        h.u64(self.part as u64);
        h.u64(self.segments.len() as u64);
        for &(segment, w) in &self.segments {
            h.u64(segment as u64);
            h.field(&w);
        }
        h.u64(self.views.len() as u64);
        for (segment, w, inserted) in &self.views {
            h.u64(*segment as u64);
            h.field(w);
            h.u64(inserted.len() as u64);
            for &(at, bit) in inserted {
                h.u64(((at as u64) << 1) | u64::from(bit));
            }
        }
    }
}

/// A term `(segment, weight, point on the segment)` of a placed table as a claim on the packed
/// table: `(packed point, weight)`. A segment in a larger zero-padded block
/// ([`Packing::with_blocks`]) is claimed at `(z, s)` over its whole block, with the padding
/// coordinates `s = spread(z)` derived from the point ([`spread`]) and the weight divided by
/// `eq(0, s)`: the block's extension there is `eq(0, s)·t̃(z)`, so the claim is the segment's,
/// and it reads the commitment's mask on the whole block (`spec/zk.md`, "small segments").
/// `None` when the point does not fit the segment.
pub fn packed_term<E: Field>(
    packing: &Packing,
    segment: usize,
    point: &[E],
    weight: E,
) -> Option<(Vec<E>, E)> {
    if segment >= packing.len() || packing.vars(segment) != point.len() {
        return None;
    }
    let pad = packing.block_vars(segment) - point.len();
    if pad == 0 {
        return Some((packing.point(segment, point), weight));
    }
    let s = spread(point, pad);
    let eq0: E = s.iter().map(|&c| E::ONE - c).product();
    let z = packing.block_point(segment, &[point, &s].concat());
    Some((z, weight * eq0.inverse()?))
}

/// The `pad` padding coordinates at which a claim at `point` reads a zero-padded block: hashed
/// from the point (a random oracle: fresh points give independent coordinates, so the claims of
/// many proofs read the mask at points in general position over the block), none equal to 1.
pub fn spread<E: Field>(point: &[E], pad: usize) -> Vec<E> {
    let mut t = Transcript::new(b"zkcnn-spread");
    t.append_u64(b"spread-pad", pad as u64);
    t.append_fields(b"spread-point", point);
    (0..pad)
        .map(|_| loop {
            let c: E = t.challenge_field(b"spread-coordinate");
            if !c.is_one() {
                break c;
            }
        })
        .collect()
}

/// `point` with the coordinates `(position, bit)` put in (positions in the result, increasing;
/// one out of order or beyond the result is skipped, and the result's length then tells).
pub fn insert_bits<E: Field>(point: &[E], inserted: &[(usize, bool)]) -> Vec<E> {
    let mut out = Vec::with_capacity(point.len() + inserted.len());
    let mut ins = inserted.iter().peekable();
    let mut rest = point.iter();
    loop {
        if let Some(&&(at, bit)) = ins.peek() {
            if at == out.len() {
                out.push(if bit { E::ONE } else { E::ZERO });
                ins.next();
                continue;
            }
            if at < out.len() {
                ins.next();
                continue;
            }
        }
        match rest.next() {
            Some(&v) => out.push(v),
            None => break,
        }
    }
    out
}

/// The committed data a zero-knowledge proof opens: per commitment, in opening order (the one
/// with the most variables first, as [`crate::pcs::zk::open_parts`] wants), its packing (one
/// committed polynomial each); and the segment that holds the proof's fresh masks, each `E` entry
/// as its `[E : F]` base-field coordinates.
#[derive(Clone, Debug)]
pub struct Layout {
    /// Per commitment, how its segments are packed.
    pub packings: Vec<Packing>,
    /// `(commitment, segment)` of the fresh masks, if the proof has any.
    pub masks: Option<(usize, usize)>,
}

/// Why deferred claims could not be opened or checked.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum DischargeError {
    /// A claim names a table its sub-protocol was not given.
    #[error("a deferred claim names table {table}, but its sub-protocol has {tables}")]
    Table {
        /// The table.
        table: usize,
        /// How many it has.
        tables: usize,
    },
    /// A table or the masks name a commitment or segment the layout does not have.
    #[error(
        "a table is placed on commitment {part}, segment {segment}, which the layout does not have"
    )]
    Placement {
        /// The commitment.
        part: usize,
        /// The segment.
        segment: usize,
    },
    /// A claim on the fresh masks names an entry outside the masks' segment (or there is none).
    #[error("a claim reads fresh mask {index}, beyond the {available} the layout holds")]
    Mask {
        /// The entry.
        index: usize,
        /// How many entries the masks' segment holds.
        available: usize,
    },
    /// The proof's `μ` is missing or present against the claims.
    #[error("the masks' value mu is {}", if *expected { "missing" } else { "unexpected" })]
    Mu {
        /// Whether the claims need one.
        expected: bool,
    },
    /// The prover's tables do not satisfy the claims it collected (a caller's bug, caught before
    /// the proof is returned; the opening has counted against the budgets).
    #[error(
        "the prover's committed tables do not satisfy deferred claim {group} of commitment {part}"
    )]
    Unsatisfied {
        /// The commitment.
        part: usize,
        /// The claim (group) within it.
        group: usize,
    },
    /// A segment is read by more masked values in one opening than its block's mask allows
    /// for ([`Ledger::check_segment_reads`]): a prover's bug, refused before anything is sent.
    #[error("segment {segment} of commitment {part} is read by {reads} masked values in one proof; at most {most}")]
    SegmentReads {
        /// The commitment.
        part: usize,
        /// The segment.
        segment: usize,
        /// Masked values reading it.
        reads: usize,
        /// The most allowed.
        most: usize,
    },
    /// The zero-knowledge opening failed or was rejected.
    #[error("the opening: {0}")]
    Opening(#[from] ZkError),
}

/// A segment read more often in one proof than its mask hides ([`Ledger::unhidden_segment`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnhiddenSegment {
    /// The segment.
    pub segment: usize,
    /// Its entries (and its mask's), `2^v`.
    pub entries: u64,
    /// Masked values reading it, weighted by the share they read.
    pub reads: u64,
    /// `[E : F]`: functionals of the mask per masked value.
    pub degree: u64,
}

/// The deferred claims a proof collected, placed on its commitments.
#[derive(Clone, Debug, Default)]
pub struct Ledger<E> {
    /// `(table, point, β, value)` per masked value.
    masked: Vec<(Placed<E>, Vec<E>, E, E)>,
    /// `(terms over the proof's fresh masks, value)` per linear form.
    forms: Vec<(Vec<(usize, E)>, E)>,
    /// `(table, point, value)` per public value of a committed table.
    public: Vec<(Placed<E>, Vec<E>, E)>,
}

/// A masked value a proof reveals about one commitment's hiding extension
/// `t̂(x, β) = t̃(x) + β·m̃(x)`: `Σ_k w_k·t̂(z_k, β) = value` over the packed table's points `z_k`
/// ([`Ledger::revealed`]; tests: the attack on small segments).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevealedValue<E> {
    /// `(point on the packed table, weight)` per term.
    pub terms: Vec<(Vec<E>, E)>,
    /// `β`.
    pub beta: E,
    /// The value sent.
    pub value: E,
}

/// What the opening of the deferred claims sends: `μ` (the commitment's mask read by the fresh
/// masks' combined form) and the zero-knowledge opening.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct DeferredOpening<F: Field, E: Field> {
    /// `μ`, when the proof has claims on its fresh masks.
    pub mu: Option<E>,
    /// The joint zero-knowledge opening.
    pub opening: ZkProof<F, E>,
}

impl<E: Field> Ledger<E> {
    /// An empty ledger.
    pub fn new() -> Self {
        Self {
            masked: Vec::new(),
            forms: Vec::new(),
            public: Vec::new(),
        }
    }

    /// Per segment of commitment `part`, how many masked values read it.
    pub fn segment_reads(&self, part: usize) -> BTreeMap<usize, usize> {
        let mut reads: BTreeMap<usize, usize> = BTreeMap::new();
        for read in self.value_reads(part) {
            for segment in read.into_keys() {
                *reads.entry(segment).or_insert(0) += 1;
            }
        }
        reads
    }

    /// Per masked value on commitment `part`: the segments it reads, each with the fewest
    /// coordinates inserted into the point it is read at (0 for a whole segment, `k` for views
    /// with `k` inserted coordinates only).
    fn value_reads(&self, part: usize) -> impl Iterator<Item = BTreeMap<usize, usize>> + '_ {
        self.masked
            .iter()
            .filter(move |m| m.0.part == part)
            .map(|(placed, ..)| {
                let mut inserted: BTreeMap<usize, usize> = BTreeMap::new();
                let whole = placed.segments.iter().map(|s| (s.0, 0));
                let views = placed.views.iter().map(|v| (v.0, v.2.len()));
                for (segment, k) in whole.chain(views) {
                    let least = inserted.entry(segment).or_insert(k);
                    *least = (*least).min(k);
                }
                inserted
            })
    }

    /// Refuses claims that read one segment of commitment `part` in more than `most` masked
    /// values (a model segment's block is sized for a number of reads per proof:
    /// `spec/zk.md`, "small segments").
    pub fn check_segment_reads(&self, part: usize, most: usize) -> Result<(), DischargeError> {
        match self
            .segment_reads(part)
            .into_iter()
            .find(|&(_, r)| r > most)
        {
            Some((segment, reads)) => Err(DischargeError::SegmentReads {
                part,
                segment,
                reads,
                most,
            }),
            None => Ok(()),
        }
    }

    /// Per segment of commitment `part`, the masked values that read it, each weighted by the
    /// share of the segment it reads: `1` for the whole segment, `2^k` for views with `k`
    /// inserted coordinates only (a sub-cube of `2^{v−k}` entries; the largest when a value
    /// reads several of one segment).
    pub fn weighted_segment_reads(&self, part: usize) -> BTreeMap<usize, u64> {
        let mut reads: BTreeMap<usize, u64> = BTreeMap::new();
        for read in self.value_reads(part) {
            for (segment, k) in read {
                let weight = 1u64.checked_shl(k as u32).unwrap_or(u64::MAX);
                let r = reads.entry(segment).or_insert(0);
                *r = r.saturating_add(weight);
            }
        }
        reads
    }

    /// The first segment of commitment `part` (laid out by `packing`) whose mask cannot hide
    /// what this proof reads of it: a segment of `2^v` entries under a fresh mask of as many
    /// entries, read by masked values of weighted count `r`
    /// ([`Ledger::weighted_segment_reads`]), each `degree = [E : F]` functionals of its mask,
    /// is hidden when `degree·r ≤ 2^v` (`spec/zk.md`, "The advice"). Segments in `public` (the
    /// verifier knows them) are not counted.
    pub fn unhidden_segment(
        &self,
        part: usize,
        packing: &Packing,
        degree: u64,
        public: &[usize],
    ) -> Option<UnhiddenSegment> {
        self.weighted_segment_reads(part)
            .into_iter()
            .filter(|(segment, _)| !public.contains(segment) && *segment < packing.len())
            .map(|(segment, reads)| UnhiddenSegment {
                segment,
                entries: 1u64 << packing.vars(segment),
                reads,
                degree,
            })
            .find(|u| u.reads.saturating_mul(degree) > u.entries)
    }

    /// The masked values on commitment `part`, each term at its point on the packed table
    /// (what a verifier learns of that commitment across proofs: `tests/suite/leakage.rs`).
    pub fn revealed(
        &self,
        layout: &Layout,
        part: usize,
    ) -> Result<Vec<RevealedValue<E>>, DischargeError> {
        let packing = layout
            .packings
            .get(part)
            .ok_or(DischargeError::Placement { part, segment: 0 })?;
        let mut out = Vec::new();
        for (placed, point, beta, value) in self.masked.iter().filter(|m| m.0.part == part) {
            let mut terms = Vec::new();
            for (segment, w, p) in placed.terms(point) {
                terms.push(
                    packed_term(packing, segment, &p, w)
                        .ok_or(DischargeError::Placement { part, segment })?,
                );
            }
            out.push(RevealedValue {
                terms,
                beta: *beta,
                value: *value,
            });
        }
        Ok(out)
    }

    /// Adds a sub-protocol's claims: its table `t` is `tables[t]`, its fresh mask `i` the
    /// proof's mask `mask_offset + i`.
    pub fn defer(
        &mut self,
        claims: Vec<Deferred<E>>,
        tables: &[Placed<E>],
        mask_offset: usize,
    ) -> Result<(), DischargeError> {
        for claim in claims {
            match claim {
                Deferred::Masked {
                    table,
                    point,
                    beta,
                    value,
                } => {
                    let placed = tables.get(table).ok_or(DischargeError::Table {
                        table,
                        tables: tables.len(),
                    })?;
                    self.masked.push((placed.clone(), point, beta, value));
                }
                Deferred::Masks { terms, value } => {
                    let terms = terms
                        .into_iter()
                        .map(|(i, a)| (i.saturating_add(mask_offset), a))
                        .collect();
                    self.forms.push((terms, value));
                }
            }
        }
        Ok(())
    }

    /// Adds a claim `t̃(point) = value` whose value the statement makes public (the last tensor
    /// at the output point against the public output, for instance): proven with the fresh
    /// masks' form, by `μ` at `β'`, so it must lie on the masks' commitment.
    pub fn defer_public(&mut self, table: Placed<E>, point: Vec<E>, value: E) {
        self.public.push((table, point, value));
    }

    /// Number of masked values and of linear forms on fresh masks collected.
    pub fn len(&self) -> (usize, usize) {
        (self.masked.len(), self.forms.len() + self.public.len())
    }

    /// Whether nothing was collected.
    pub fn is_empty(&self) -> bool {
        self.masked.is_empty() && self.forms.is_empty() && self.public.is_empty()
    }

    /// Absorbs the collected claims and combines the linear forms on fresh masks into one:
    /// `(Σ_c λ_c·form_c as F-entry weights of the masks' segment, Σ_c λ_c·value_c)`.
    fn combine<F: BaseField>(
        &self,
        layout: &Layout,
        transcript: &mut Transcript,
    ) -> Result<Option<MasksForm<E>>, DischargeError>
    where
        E: ExtField<F>,
    {
        transcript.domain_separator(
            b"zk-deferred",
            &[
                self.masked.len() as u64,
                self.forms.len() as u64,
                self.public.len() as u64,
            ],
        );
        // Every claim, hashed into one digest (thousands of them in a network's proof).
        let mut h = StatementHasher::new(b"zk-deferred");
        h.u64(self.masked.len() as u64);
        for (placed, point, beta, value) in &self.masked {
            placed.hash(&mut h);
            h.fields(point);
            h.field(beta);
            h.field(value);
        }
        h.u64(self.forms.len() as u64);
        for (terms, value) in &self.forms {
            h.u64(terms.len() as u64);
            for &(i, a) in terms {
                h.u64(i as u64);
                h.field(&a);
            }
            h.field(value);
        }
        h.u64(self.public.len() as u64);
        for (placed, point, value) in &self.public {
            placed.hash(&mut h);
            h.fields(point);
            h.field(value);
        }
        h.absorb_into(transcript, b"zk-deferred-digest");
        if self.forms.is_empty() && self.public.is_empty() {
            return Ok(None);
        }
        let (part, segment) = layout.masks.ok_or(DischargeError::Mask {
            index: self
                .forms
                .first()
                .and_then(|f| f.0.first())
                .map_or(0, |t| t.0),
            available: 0,
        })?;
        let packing = layout
            .packings
            .get(part)
            .filter(|p| segment < p.len())
            .ok_or(DischargeError::Placement { part, segment })?;
        let degree = E::extension_degree() as usize;
        let available = (1usize << packing.vars(segment)) / degree;
        // Per entry of the masks' segment its weight, in increasing entry order (a stable sort
        // of the terms, then each entry's terms summed in the order they came).
        let basis = basis::<F, E>();
        let mut terms_by_entry: Vec<(usize, E)> = Vec::new();
        let mut value = E::ZERO;
        for (terms, v) in &self.forms {
            let lambda: E = transcript.challenge_field(b"zk-deferred-combine");
            value += lambda * v;
            for &(i, a) in terms {
                if i >= available {
                    return Err(DischargeError::Mask {
                        index: i,
                        available,
                    });
                }
                // An E entry is its coordinates in the basis of E over F, entries i·D .. i·D + D.
                let la = lambda * a;
                for (k, b) in basis.iter().enumerate() {
                    terms_by_entry.push((i * degree + k, la * b));
                }
            }
        }
        terms_by_entry.sort_by_key(|&(e, _)| e);
        let mut weights: Vec<(usize, E)> = Vec::with_capacity(terms_by_entry.len());
        for (e, w) in terms_by_entry {
            match weights.last_mut() {
                Some((last, sum)) if *last == e => *sum += w,
                _ => weights.push((e, w)),
            }
        }
        // The segment's block is aligned and holds the segment from its start: entry `e` of it
        // is entry `offset + e` of the packed table, whose point is that index's bits.
        let (offset, num_vars) = (packing.offset(segment), packing.num_vars());
        let mut claims: Vec<(Vec<E>, E)> = weights
            .into_iter()
            .filter(|(_, w)| !w.is_zero())
            .map(|(e, w)| {
                let index = offset + e;
                let mut point = Vec::with_capacity(num_vars + 1);
                point.extend((0..num_vars).map(|b| E::from(((index >> b) & 1) as u64)));
                (point, w)
            })
            .collect();
        // Public values join the same form (one group, one μ): they lie on the masks' commitment.
        for (placed, point, v) in &self.public {
            let lambda: E = transcript.challenge_field(b"zk-deferred-combine");
            value += lambda * v;
            for (seg, w, p) in placed.terms(point) {
                let term =
                    packed_term(packing, seg, &p, lambda * w).filter(|_| placed.part == part);
                claims.push(term.ok_or(DischargeError::Placement {
                    part: placed.part,
                    segment: seg,
                })?);
            }
        }
        Ok(Some(MasksForm {
            part,
            claims,
            value,
        }))
    }

    /// Per commitment: its claims (points over `n + 1` variables), their groups' weights and
    /// ends, and the groups' values; the masks' form at `β'` with value `V + β'·μ`.
    /// `table_vars[j]`: the variables of commitment `j`'s tables (a packed table of more is
    /// committed as columns of `2^{table_vars}` entries: a claim's high coordinates, boolean,
    /// name its column).
    fn statements(
        &self,
        layout: &Layout,
        table_vars: &[usize],
        form: Option<(&MasksForm<E>, E, E)>,
    ) -> Result<Vec<PartClaims<E>>, DischargeError> {
        let mut out: Vec<PartClaims<E>> = layout
            .packings
            .iter()
            .map(|_| PartClaims::default())
            .collect();
        for (placed, point, beta, value) in &self.masked {
            let packing = layout.packings.get(placed.part);
            let pc = out.get_mut(placed.part);
            let (Some(packing), Some(pc)) = (packing, pc) else {
                return Err(DischargeError::Placement {
                    part: placed.part,
                    segment: placed.segments.first().map_or(0, |s| s.0),
                });
            };
            for (segment, w, p) in placed.terms(point) {
                let (z, w) =
                    packed_term(packing, segment, &p, w).ok_or(DischargeError::Placement {
                        part: placed.part,
                        segment,
                    })?;
                let tv = table_vars.get(placed.part).copied().unwrap_or(z.len());
                let (columns, mut z) = column_terms(&z, tv).ok_or(DischargeError::Placement {
                    part: placed.part,
                    segment,
                })?;
                z.push(*beta);
                for (column, e) in columns {
                    pc.claims.push(Claim::new(column, z.clone()));
                    pc.weights.push(w * e);
                }
            }
            pc.ends.push(pc.claims.len());
            pc.values.push(*value);
        }
        if let Some((form, beta, mu)) = form {
            let pc = out.get_mut(form.part).ok_or(DischargeError::Placement {
                part: form.part,
                segment: 0,
            })?;
            let tv = table_vars.get(form.part).copied().unwrap_or(0);
            for (z, w) in &form.claims {
                let (columns, mut z) = column_terms(z, tv).ok_or(DischargeError::Placement {
                    part: form.part,
                    segment: 0,
                })?;
                z.push(beta);
                for (column, e) in columns {
                    pc.claims.push(Claim::new(column, z.clone()));
                    pc.weights.push(*w * e);
                }
            }
            pc.ends.push(pc.claims.len());
            pc.values.push(form.value + beta * mu);
        }
        Ok(out)
    }

    /// Proves every collected claim with one zero-knowledge opening of `parts` (the layout's
    /// commitments, in its order; a commitment without claims is left out of the opening).
    /// Refuses claims the committed tables do not satisfy (`Unsatisfied`: a caller's bug; the
    /// opening has then counted against the budgets, but nothing is returned).
    pub fn open<F, R>(
        &self,
        params: &Params,
        layout: &Layout,
        parts: &mut [(&ZkCommitment, &mut ZkProverData<F>)],
        rng: &mut R,
        transcript: &mut Transcript,
    ) -> Result<DeferredOpening<F, E>, DischargeError>
    where
        F: BaseField + FftField,
        E: ExtField<F>,
        R: RngCore + CryptoRng,
    {
        self.open_checked(params, layout, parts, rng, transcript, true)
    }

    /// [`Ledger::open`], optionally without the check that the claims hold (tests: a cheating
    /// prover sends the opening of what its tables really hold).
    pub(crate) fn open_checked<F, R>(
        &self,
        params: &Params,
        layout: &Layout,
        parts: &mut [(&ZkCommitment, &mut ZkProverData<F>)],
        rng: &mut R,
        transcript: &mut Transcript,
        check: bool,
    ) -> Result<DeferredOpening<F, E>, DischargeError>
    where
        F: BaseField + FftField,
        E: ExtField<F>,
        R: RngCore + CryptoRng,
    {
        let form = self.combine::<F>(layout, transcript)?;
        let (mu, beta) = match &form {
            Some(f) => {
                let data = parts.get(f.part).ok_or(DischargeError::Placement {
                    part: f.part,
                    segment: 0,
                })?;
                let mut mu = E::ZERO;
                for (z, w) in &f.claims {
                    if let Some((columns, z)) = column_terms(z, data.0.table_vars()) {
                        for (column, e) in columns {
                            mu += *w * e * data.1.mask_at(column, &z).unwrap_or(E::ZERO);
                        }
                    }
                }
                transcript.append_field(b"zk-deferred-mu", &mu);
                (Some(mu), nonzero(transcript))
            }
            None => (None, E::ZERO),
        };
        let table_vars: Vec<usize> = parts.iter().map(|(c, _)| c.table_vars()).collect();
        let statements = self.statements(
            layout,
            &table_vars,
            form.as_ref().map(|f| (f, beta, mu.unwrap_or(E::ZERO))),
        )?;
        let mut zk_parts = Vec::new();
        let mut used = Vec::new();
        for (j, ((c, data), pc)) in parts.iter_mut().zip(&statements).enumerate() {
            if pc.claims.is_empty() {
                continue;
            }
            used.push(j);
            zk_parts.push(ZkPart {
                commitment: c,
                data: &mut **data,
                claims: &pc.claims,
                groups: Some(Groups {
                    weights: &pc.weights,
                    ends: &pc.ends,
                }),
            });
        }
        if zk_parts.is_empty() {
            return Err(DischargeError::Opening(ZkError::Pcs(PcsError::NoClaims)));
        }
        // The claims must hold before anything is revealed: the values the opening computes are
        // the groups' true values.
        let (values, opening) = crate::pcs::zk::open_parts(params, &mut zk_parts, rng, transcript)?;
        for (&j, got) in used.iter().zip(&values).filter(|_| check) {
            if let Some(group) = got
                .iter()
                .zip(&statements[j].values)
                .position(|(a, b)| a != b)
            {
                return Err(DischargeError::Unsatisfied { part: j, group });
            }
        }
        Ok(DeferredOpening { mu, opening })
    }

    /// Checks every collected claim against the commitments (the layout's, in its order);
    /// returns, per commitment, the leaves of its tree the opening revealed (none for one without
    /// claims, which the opening leaves out).
    pub fn verify<F>(
        &self,
        params: &Params,
        layout: &Layout,
        commitments: &[&ZkCommitment],
        proof: &DeferredOpening<F, E>,
        transcript: &mut Transcript,
    ) -> Result<Vec<Vec<usize>>, DischargeError>
    where
        F: BaseField + FftField,
        E: ExtField<F>,
    {
        let form = self.combine::<F>(layout, transcript)?;
        let beta = match (&form, proof.mu) {
            (Some(_), Some(mu)) => {
                transcript.append_field(b"zk-deferred-mu", &mu);
                nonzero(transcript)
            }
            (None, None) => E::ZERO,
            (f, _) => {
                return Err(DischargeError::Mu {
                    expected: f.is_some(),
                })
            }
        };
        let table_vars: Vec<usize> = commitments.iter().map(|c| c.table_vars()).collect();
        let statements = self.statements(
            layout,
            &table_vars,
            form.as_ref()
                .map(|f| (f, beta, proof.mu.unwrap_or(E::ZERO))),
        )?;
        let parts: Vec<ZkStatement<'_, E>> = commitments
            .iter()
            .zip(&statements)
            .filter(|(_, pc)| !pc.claims.is_empty())
            .map(|(c, pc)| ZkStatement {
                commitment: c,
                claims: &pc.claims,
                groups: Some(Groups {
                    weights: &pc.weights,
                    ends: &pc.ends,
                }),
                values: &pc.values,
            })
            .collect();
        if commitments.len() != layout.packings.len() {
            return Err(DischargeError::Placement {
                part: commitments.len(),
                segment: 0,
            });
        }
        let opened = crate::pcs::zk::verify_parts(params, &parts, &proof.opening, transcript)?;
        let mut opened = opened.into_iter();
        Ok(statements
            .iter()
            .map(|pc| {
                if pc.claims.is_empty() {
                    Vec::new()
                } else {
                    opened.next().unwrap_or_default()
                }
            })
            .collect())
    }
}

/// The fresh masks' combined form: F-entry points of the masks' segment with their weights.
#[derive(Clone, Debug)]
struct MasksForm<E> {
    part: usize,
    claims: Vec<(Vec<E>, E)>,
    value: E,
}

/// One commitment's share of the opening.
#[derive(Clone, Debug, Default)]
struct PartClaims<E> {
    claims: Vec<Claim<E>>,
    weights: Vec<E>,
    ends: Vec<usize>,
    values: Vec<E>,
}

/// The basis of `E` over `F`: `e_k` with coordinates the `k`-th unit vector.
fn basis<F: BaseField, E: ExtField<F>>() -> Vec<E> {
    let d = E::extension_degree() as usize;
    (0..d)
        .map(|k| {
            let unit: Vec<F> = (0..d)
                .map(|j| if j == k { F::ONE } else { F::ZERO })
                .collect();
            E::from_base_prime_field_elems(unit).unwrap_or(E::ZERO)
        })
        .collect()
}

/// A nonzero challenge (`β'`), redrawn on 0.
fn nonzero<E: Field>(transcript: &mut Transcript) -> E {
    loop {
        let x: E = transcript.challenge_field(b"zk-deferred-beta");
        if !x.is_zero() {
            return x;
        }
    }
}

/// The columns a claim reads, increasing, each with its weight `eq(z_hi, j)`.
pub type ColumnWeights<E> = Vec<(usize, E)>;

/// A point `z` on a packed table, on a commitment whose tables have `table_vars` variables, as
/// claims on its columns: the columns `j` with `eq(z_hi, j) ≠ 0`, increasing, each with its
/// weight `eq(z_hi, j)` (one column of weight 1 when the high coordinates are 0 or 1, as for
/// every claim on a segment within a column; several for a segment spanning columns, whose
/// claim is the identity `t̃(z) = Σ_j eq(z_hi, j)·t̃_j(z_lo)`), and the point `z_lo` on them. A
/// shorter `z` (a commitment padded beyond the packing) is extended with zeros. `None` when the
/// high coordinates cannot index a column.
pub fn column_terms<E: Field>(z: &[E], table_vars: usize) -> Option<(ColumnWeights<E>, Vec<E>)> {
    // Room for the mask coordinate the ledger appends.
    let mut p = Vec::with_capacity(table_vars.max(z.len()) + 1);
    if z.len() <= table_vars {
        p.extend_from_slice(z);
        p.resize(table_vars, E::ZERO);
        return Some((vec![(0, E::ONE)], p));
    }
    let (low, high) = z.split_at(table_vars);
    if high.len() >= usize::BITS as usize {
        return None;
    }
    p.extend_from_slice(low);
    Some((crate::pcs::split::live_columns(high), p))
}

/// The base-field coordinates of fresh masks, as the masks' segment holds them.
pub fn mask_entries<F: BaseField, E: ExtField<F>>(masks: &[E]) -> Vec<F> {
    masks
        .iter()
        .flat_map(|m| m.to_base_prime_field_elements())
        .collect()
}

#[cfg(test)]
pub(crate) mod explain {
    //! The simulator's argument as code, for a sub-protocol made of masked sum-checks
    //! ([`crate::sumcheck::zk::prove_masked_with`]), as `sumcheck::zk`'s and `range::zk`'s tests
    //! run it by hand: given the proof of one witness and a *second* witness of the same
    //! statement, [`explain`] finds the prover's randomness — its fresh masks (Libra masks,
    //! fresh scalars) and its committed tables' masks — under which the second witness's honest
    //! prover outputs the identical proof. The verifier's challenges are then the same because
    //! the transcript is (the masks' commitment is the simulator's; the tests leave it out of the
    //! transcript, as `range::zk`'s do).
    //!
    //! It treats the step's prover as a black box (it runs it, one round at a time) and uses only
    //! the shape of a masked sum-check's messages: with the challenges before round `k` fixed,
    //! round `k`'s values are the witness's part plus `ρ·2^{N−k−1}·(a_0 + Σ_{i<k} g_i(r_i) +
    //! g_k(t)) + ρ·2^{N−k−2}·Σ_{i>k} g_i(1)`, so `g_k(1), …, g_k(d)` (with `a_0` moved to keep
    //! `G = Σ g` fixed) set them to any values and leave the earlier rounds alone; once every
    //! round matches, `β` does, and each masked value `t̃(ρ) + β·c` is moved to the target by
    //! its scalar `c` (a committed table's mask shifted by a constant, or a fresh scalar); the
    //! round over `b`, which reads `c`, is then solved again.
    use crate::sumcheck::zk::MaskedProof;
    use ark_ff::Field;
    use rand::RngCore;

    /// The prover's randomness a simulator programs: the step's fresh masks and its committed
    /// tables' masks (each table's mask as an [`super::ExplicitMasks`] table, or as the step's
    /// test reads it).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub(crate) struct Randomness<E> {
        /// The step's fresh masks, in its order.
        pub(crate) fresh: Vec<E>,
        /// The committed tables' masks.
        pub(crate) tables: Vec<Vec<E>>,
    }

    impl<E: Field> Randomness<E> {
        /// Uniform randomness: `fresh` fresh masks, tables' masks of the given entry counts.
        pub(crate) fn random(rng: &mut impl RngCore, fresh: usize, tables: &[usize]) -> Self {
            Self {
                fresh: (0..fresh).map(|_| E::rand(rng)).collect(),
                tables: tables
                    .iter()
                    .map(|&len| (0..len).map(|_| E::rand(rng)).collect())
                    .collect(),
            }
        }

        /// The same shape, every mask zero: the prover then sends its witness's values.
        pub(crate) fn zero(&self) -> Self {
            Self {
                fresh: vec![E::ZERO; self.fresh.len()],
                tables: self.tables.iter().map(|t| vec![E::ZERO; t.len()]).collect(),
            }
        }

        /// The tables' masks as [`super::ExplicitMasks`].
        pub(crate) fn masks(&self) -> super::ExplicitMasks<E> {
            super::ExplicitMasks(self.tables.clone())
        }

        /// Adds `delta` to every entry of table `t`'s mask: its value at any point moves by
        /// `delta`.
        pub(crate) fn shift_table(&mut self, t: usize, delta: E) {
            self.tables[t].iter_mut().for_each(|x| *x += delta);
        }
    }

    /// Moves one masked value's scalar by the given amount.
    pub(crate) type Knob<E> = Box<dyn Fn(&mut Randomness<E>, E)>;

    /// A knob on a committed table's mask (its scalar at any point moves by the amount).
    pub(crate) fn table<E: Field>(t: usize) -> Knob<E> {
        Box::new(move |r: &mut Randomness<E>, d: E| r.shift_table(t, d))
    }

    /// A knob on a fresh scalar.
    pub(crate) fn fresh<E: Field>(i: usize) -> Knob<E> {
        Box::new(move |r: &mut Randomness<E>, d: E| r.fresh[i] += d)
    }

    /// One masked sum-check of a step, in proof order.
    pub(crate) struct Stage<E> {
        /// Where its Libra mask's entries start among the fresh masks.
        pub(crate) offset: usize,
        /// `ρ` of the target proof (the verifier's: the first coefficient of its mask's form).
        pub(crate) weight: E,
        /// `β` of the target proof (any masked value's claim carries it).
        pub(crate) beta: E,
        /// One knob per masked value, in the proof's order.
        pub(crate) knobs: Vec<Knob<E>>,
    }

    /// The randomness under which `prove` (the second witness's honest prover, returning its
    /// masked sum-checks in proof order) outputs `target`, found from `start`. Panics if a step
    /// fails to match (an earlier round or stage moved): the messages are not of the shape above.
    pub(crate) fn explain<E: Field>(
        target: &[MaskedProof<E>],
        stages: &[Stage<E>],
        start: Randomness<E>,
        prove: &dyn Fn(&Randomness<E>) -> Vec<MaskedProof<E>>,
    ) -> Randomness<E> {
        let pow2 = |k: usize| E::from(2u64).pow([k as u64]);
        let half = E::from(2u64).inverse().expect("odd characteristic");
        let mut rnd = start;
        for (s, stage) in stages.iter().enumerate() {
            let want = &target[s];
            let vars = want.zk.sumcheck.rounds.len();
            let d = want.zk.sumcheck.rounds.first().map_or(1, |m| m.evals.len());
            // G = Σ g fixes a_0 given the rest.
            let got = prove(&rnd);
            assert_eq!(
                &got[..s],
                &target[..s],
                "stage {s}: the earlier stages match"
            );
            rnd.fresh[stage.offset] +=
                (want.zk.mask_sum - got[s].zk.mask_sum) * pow2(vars).inverse().expect("2^N");
            let fix = |rnd: &mut Randomness<E>, k: usize| {
                let got = prove(rnd);
                let (have, rounds) = (&got[s].zk, &want.zk.sumcheck.rounds);
                assert_eq!(have.mask_sum, want.zk.mask_sum, "stage {s}: G");
                assert_eq!(
                    have.sumcheck.rounds[..k],
                    rounds[..k],
                    "stage {s}, round {k}"
                );
                let diff: Vec<E> = rounds[k]
                    .evals
                    .iter()
                    .zip(&have.sumcheck.rounds[k].evals)
                    .map(|(&a, &b)| a - b)
                    .collect();
                let scale_inv = (stage.weight * pow2(vars - k - 1))
                    .inverse()
                    .expect("ρ ≠ 0");
                // g_k(1) += δ with a_0 −= δ/2 keeps G and the earlier rounds, and moves the
                // value at 0 by −ρ·2^{N−k−1}·δ/2; g_k(t) moves the value at t ≥ 2.
                let delta = -(diff[0] * scale_inv).double();
                let at = stage.offset + 1 + k * d;
                rnd.fresh[stage.offset] -= delta * half;
                rnd.fresh[at] += delta;
                for t in 2..=d {
                    rnd.fresh[at + t - 1] += diff[t - 1] * scale_inv + delta * half;
                }
            };
            for k in 0..vars {
                fix(&mut rnd, k);
            }
            // Every round matches, so β does: each masked value's scalar moves it.
            let got = prove(&rnd);
            assert_eq!(got[s].zk, want.zk, "stage {s}: the rounds match");
            assert_eq!(got[s].values.len(), stage.knobs.len(), "stage {s}: knobs");
            let beta_inv = stage.beta.inverse().expect("β ≠ 0");
            for ((knob, &w), &h) in stage.knobs.iter().zip(&want.values).zip(&got[s].values) {
                knob(&mut rnd, (w - h) * beta_inv);
            }
            // The round over b reads the scalars: solve it again.
            if vars > 0 {
                fix(&mut rnd, vars - 1);
            }
        }
        rnd
    }

    /// Every element a proof of masked sum-checks sends, in order.
    pub(crate) fn elements<E: Field>(proofs: &[MaskedProof<E>]) -> Vec<E> {
        let mut out = Vec::new();
        for p in proofs {
            out.push(p.zk.mask_sum);
            for m in &p.zk.sumcheck.rounds {
                out.extend_from_slice(&m.evals);
            }
            out.extend_from_slice(&p.values);
        }
        out
    }

    /// Whether every position of the proofs takes pairwise distinct values across them.
    pub(crate) fn all_distinct<E: Field>(runs: &[Vec<E>]) -> bool {
        let positions = runs.first().map_or(0, Vec::len);
        runs.iter().all(|r| r.len() == positions)
            && (0..positions).all(|i| {
                runs.iter()
                    .enumerate()
                    .all(|(a, ra)| runs[..a].iter().all(|rb| rb[i] != ra[i]))
            })
    }

    /// A proof of a step: its masked sum-checks in proof order, its claims, and what the
    /// test needs to evaluate its tables at the claims' points (the convolution's kernel
    /// weights; empty otherwise).
    pub(crate) struct Proven<E: Field> {
        /// The masked sum-checks.
        pub(crate) proofs: Vec<MaskedProof<E>>,
        /// The claims for the opening.
        pub(crate) claims: Vec<super::Deferred<E>>,
        /// Context for `value` and `mask`.
        pub(crate) context: Vec<E>,
    }

    /// An honest prover under given randomness.
    pub(crate) type Prover<'a, E> = &'a dyn Fn(&Randomness<E>) -> Proven<E>;

    /// A table's value at a claim's point, `(context, table, point) ↦ t̃(point)`.
    pub(crate) type Value<'a, E> = &'a dyn Fn(&[E], usize, &[E]) -> E;

    /// Table `t`'s committed mask at a claim's point under given randomness, `(randomness,
    /// context, table, point) ↦ m_t(point)`.
    pub(crate) type MaskReader<'a, E> = &'a dyn Fn(&Randomness<E>, &[E], usize, &[E]) -> E;

    /// The verifier on a proof: its claims and context.
    pub(crate) type Verifier<'a, E> =
        &'a dyn Fn(&[MaskedProof<E>]) -> (Vec<super::Deferred<E>>, Vec<E>);

    /// The stages of a proof with given claims and context, with their knobs.
    pub(crate) type Stages<'a, E> = &'a dyn Fn(&[super::Deferred<E>], &[E]) -> Vec<Stage<E>>;

    /// A step with two witnesses of one statement, as the simulator's test runs it.
    pub(crate) struct Witnesses<'a, E: Field> {
        /// Each witness's honest prover (on the same statement and the same transcript).
        pub(crate) prove: [Prover<'a, E>; 2],
        /// Each witness's tables at claims' points.
        pub(crate) value: [Value<'a, E>; 2],
        /// Table `t`'s committed mask at a claim's point under given randomness.
        pub(crate) mask: MaskReader<'a, E>,
        /// The verifier on a proof: its claims and context.
        pub(crate) verify: Verifier<'a, E>,
        /// The stages of a proof with these claims and context, with their knobs.
        pub(crate) stages: Stages<'a, E>,
    }

    impl<E: Field> Witnesses<'_, E> {
        /// Whether witness `i`'s claims hold on its tables' hiding extensions under `rnd`.
        fn holds(&self, i: usize, rnd: &Randomness<E>, p: &Proven<E>) -> bool {
            p.claims.iter().all(|c| {
                c.holds(
                    |t, z, b| {
                        self.value[i](&p.context, t, z) + b * (self.mask)(rnd, &p.context, t, z)
                    },
                    &rnd.fresh,
                )
            })
        }

        /// The masked values' claims whose value is the table's true value (sent in the clear).
        fn in_the_clear(&self, i: usize, p: &Proven<E>) -> usize {
            p.claims
                .iter()
                .filter(|c| match c {
                    super::Deferred::Masked {
                        table,
                        point,
                        value,
                        ..
                    } => *value == self.value[i](&p.context, *table, point),
                    _ => false,
                })
                .count()
        }
    }

    /// The simulator's test of one step: witness A's proof under `rnd_a` verifies (the
    /// verifier's claims are the prover's, and hold); it sends no table value in the clear;
    /// [`explain`] finds randomness under which witness B's honest prover sends the identical
    /// proof with the identical claims, which hold on B's tables; solving back from B's
    /// randomness gives exactly `rnd_a` (the map between the two witnesses' randomness is a
    /// bijection, so the proof's distribution is the same for both). Negative controls: B under
    /// A's randomness sends another proof; with every mask zero the two witnesses' proofs differ
    /// and every masked value is the table's true value.
    pub(crate) fn check_explained<E: Field>(w: &Witnesses<'_, E>, rnd_a: Randomness<E>) {
        let a = (w.prove[0])(&rnd_a);
        let (claims, context) = (w.verify)(&a.proofs);
        assert_eq!(
            (&claims, &context),
            (&a.claims, &a.context),
            "the verifier's claims"
        );
        assert!(w.holds(0, &rnd_a, &a), "witness A's claims hold");
        assert_eq!(w.in_the_clear(0, &a), 0, "no table value in the clear");
        let stages = (w.stages)(&a.claims, &a.context);
        let rnd_b = explain(&a.proofs, &stages, rnd_a.clone(), &|r| {
            (w.prove[1])(r).proofs
        });
        assert_ne!(rnd_b, rnd_a);
        let b = (w.prove[1])(&rnd_b);
        assert_eq!(b.proofs, a.proofs, "the identical proof from witness B");
        assert_eq!(
            (&b.claims, &b.context),
            (&a.claims, &a.context),
            "and claims"
        );
        assert!(
            w.holds(1, &rnd_b, &b),
            "witness B's claims hold on its tables"
        );
        let back = explain(&a.proofs, &stages, rnd_b.clone(), &|r| {
            (w.prove[0])(r).proofs
        });
        assert_eq!(back, rnd_a, "solving back gives A's randomness");
        // Negative controls.
        assert_ne!((w.prove[1])(&rnd_a).proofs, a.proofs, "B under A's masks");
        let zero = rnd_a.zero();
        let (za, zb) = ((w.prove[0])(&zero), (w.prove[1])(&zero));
        assert_ne!(
            za.proofs, zb.proofs,
            "unmasked, the witnesses' proofs differ"
        );
        let masked = za
            .claims
            .iter()
            .filter(|c| matches!(c, super::Deferred::Masked { .. }))
            .count();
        assert!(masked > 0);
        assert_eq!(
            w.in_the_clear(0, &za),
            masked,
            "unmasked values are in the clear"
        );
        assert!(w.holds(0, &zero, &za), "and the unmasked claims hold");
    }

    /// Over `runs` proofs of witness A with fresh uniform randomness (`random`), every sent
    /// element takes pairwise distinct values and no masked value is its table's true value;
    /// with every mask zero, the proofs do not change (the distinctness test can fail).
    pub(crate) fn check_spread<E: Field>(
        w: &Witnesses<'_, E>,
        random: &mut dyn FnMut() -> Randomness<E>,
        runs: usize,
    ) {
        let mut all = Vec::with_capacity(runs);
        let mut zeros = Vec::new();
        for _ in 0..runs {
            let rnd = random();
            let p = (w.prove[0])(&rnd);
            assert_eq!(w.in_the_clear(0, &p), 0, "no table value in the clear");
            all.push(elements(&p.proofs));
            if zeros.len() < 2 {
                zeros.push(elements(&(w.prove[0])(&rnd.zero()).proofs));
            }
        }
        assert!(all_distinct(&all), "every element spread over {runs} runs");
        assert_eq!(zeros[0], zeros[1], "unmasked, the proofs repeat");
        assert!(!all_distinct(&zeros));
    }

    /// Mask tables over at most 3 low variables of each table's point (as `pcs::zk` masks the
    /// low `ℓ` variables), for tables over these variables: [`Randomness::random`]'s sizes.
    pub(crate) fn mask_sizes(vars: &[usize]) -> Vec<usize> {
        vars.iter().map(|&v| 1usize << v.min(3)).collect()
    }

    /// Table `t`'s mask at `z` when the randomness's tables are the step's tables' masks
    /// ([`super::ExplicitMasks`], the step's numbering).
    pub(crate) fn explicit_mask<E: Field>(rnd: &Randomness<E>, _: &[E], t: usize, z: &[E]) -> E {
        use super::TableMasks;
        rnd.masks().mask_at(t, z)
    }

    /// The one stage of a step whose Libra mask is its fresh masks from 0 and whose masked
    /// values' scalars are their tables' committed masks (tables numbered as the claims').
    pub(crate) fn table_stages<E: Field>(claims: &[super::Deferred<E>], _: &[E]) -> Vec<Stage<E>> {
        let (weight, beta) = weight_and_beta(claims, 0);
        let knobs = claims
            .iter()
            .filter_map(|c| match c {
                super::Deferred::Masked { table: t, .. } => Some(table(*t)),
                _ => None,
            })
            .collect();
        vec![Stage {
            offset: 0,
            weight,
            beta,
            knobs,
        }]
    }

    /// The step's `ρ` and `β` from its claims: the first coefficient of the first mask form at
    /// `offset`, and the first masked value's `β`.
    pub(crate) fn weight_and_beta<E: Field>(
        claims: &[super::Deferred<E>],
        offset: usize,
    ) -> (E, E) {
        let weight = claims
            .iter()
            .find_map(|c| match c {
                super::Deferred::Masks { terms, .. } => {
                    terms.first().filter(|t| t.0 == offset).map(|t| t.1)
                }
                _ => None,
            })
            .expect("a mask form at the offset");
        let beta = claims
            .iter()
            .find_map(|c| match c {
                super::Deferred::Masked { beta, .. } => Some(*beta),
                _ => None,
            })
            .unwrap_or(E::ONE);
        (weight, beta)
    }
}

#[cfg(test)]
mod spread_tests {
    //! Claims on segments in zero-padded blocks (`spec/zk.md`, "Small segments").
    use super::*;
    use crate::field::{Goldilocks as F, GoldilocksExt2 as E};
    use crate::poly::evaluate_base;
    use ark_ff::{AdditiveGroup, One, Zero};
    use ark_std::UniformRand;

    /// A term on a padded segment is claimed over its whole block and means the segment's
    /// value: `w'·P̃(z') = w·t̃(z)`; its padding coordinates are the point's hash, none 1, fresh
    /// for a fresh point; an unpadded segment is claimed at its packed point as before.
    #[test]
    fn packed_terms_claim_the_segment_over_its_block() {
        let mut rng = ark_std::test_rng();
        let vars = [1, 7, 3];
        let p = Packing::with_blocks(&vars, 5);
        let tables: Vec<Vec<F>> = vars
            .iter()
            .map(|&v| (0..1 << v).map(|_| F::rand(&mut rng)).collect())
            .collect();
        let packed = p.pack(&tables);
        for (j, t) in tables.iter().enumerate() {
            let z: Vec<E> = (0..vars[j]).map(|_| E::rand(&mut rng)).collect();
            let w = E::rand(&mut rng);
            let (zp, wp) = packed_term(&p, j, &z, w).unwrap();
            assert_eq!(zp.len(), p.num_vars());
            assert_eq!(
                wp * evaluate_base::<F, E>(&packed, &zp),
                w * evaluate_base::<F, E>(t, &z)
            );
            let pad = p.block_vars(j) - vars[j];
            let s = &zp[vars[j]..p.block_vars(j)];
            assert_eq!(s, &spread(&z, pad)[..]);
            if pad == 0 {
                assert_eq!((zp, wp), (p.point(j, &z), w));
            } else {
                assert!(s.iter().all(|c| !c.is_one() && !c.is_zero()));
                let other: Vec<E> = (0..vars[j]).map(|_| E::rand(&mut rng)).collect();
                assert_ne!(spread(&other, pad), s, "a fresh point spreads elsewhere");
            }
            assert_eq!(
                packed_term(&p, j, &z[1..], w),
                None,
                "a point of another size"
            );
        }
        assert_eq!(
            packed_term(&p, 3, &[E::ZERO], E::ONE),
            None,
            "no such segment"
        );
    }

    /// A proof that reads one segment in two masked values is refused, naming the segment;
    /// a combination reads each of its segments once.
    #[test]
    fn a_segment_read_twice_is_refused() {
        let mut ledger: Ledger<E> = Ledger::new();
        let value = |table| Deferred::Masked {
            table,
            point: vec![E::from(3u64)],
            beta: E::ONE,
            value: E::ZERO,
        };
        let tables = [
            Placed::combination(0, vec![(1, E::ONE), (2, E::from(2u64))]),
            Placed::segment(0, 2),
            Placed::segment(1, 2),
        ];
        ledger.defer(vec![value(0), value(2)], &tables, 0).unwrap();
        assert_eq!(ledger.check_segment_reads(0, 1), Ok(()));
        ledger.defer(vec![value(1)], &tables, 0).unwrap();
        assert_eq!(
            ledger.check_segment_reads(0, 1),
            Err(DischargeError::SegmentReads {
                part: 0,
                segment: 2,
                reads: 2,
                most: 1
            })
        );
        assert_eq!(ledger.check_segment_reads(0, 2), Ok(()));
        assert_eq!(ledger.check_segment_reads(1, 1), Ok(()));
    }

    /// The hiding count of a proof's own advice: a segment of `2^v` entries takes `2^v/[E : F]`
    /// reads of the whole segment, a view of a quarter counts four, a value reading a segment
    /// whole and through a view counts one, a public segment is not counted.
    #[test]
    fn unhidden_segments_are_found_by_their_weighted_reads() {
        let packing = Packing::new(&[1, 3]);
        let value = |table| Deferred::Masked {
            table,
            point: vec![E::from(3u64); 3],
            beta: E::ONE,
            value: E::ZERO,
        };
        let quarter = |dx, dy| (1, E::ONE, vec![(0, dx), (1, dy)]);
        let tables = [
            Placed::segment(0, 0),
            Placed {
                part: 0,
                segments: Vec::new(),
                views: vec![quarter(false, true)],
            },
            Placed {
                part: 0,
                segments: vec![(1, E::ONE)],
                views: vec![quarter(true, true), quarter(false, false)],
            },
            Placed::segment(1, 0),
        ];
        let mut ledger: Ledger<E> = Ledger::new();
        ledger
            .defer(vec![value(0), value(1), value(3)], &tables, 0)
            .unwrap();
        assert_eq!(ledger.weighted_segment_reads(0), [(0, 1), (1, 4)].into());
        assert_eq!(ledger.unhidden_segment(0, &packing, 2, &[]), None);
        ledger.defer(vec![value(2)], &tables, 0).unwrap();
        assert_eq!(ledger.weighted_segment_reads(0), [(0, 1), (1, 5)].into());
        let over = UnhiddenSegment {
            segment: 1,
            entries: 8,
            reads: 5,
            degree: 2,
        };
        assert_eq!(ledger.unhidden_segment(0, &packing, 2, &[]), Some(over));
        assert_eq!(ledger.unhidden_segment(0, &packing, 1, &[]), None);
        assert_eq!(ledger.unhidden_segment(0, &packing, 2, &[1]), None);
        ledger.defer(vec![value(0)], &tables, 0).unwrap();
        assert_eq!(
            ledger.unhidden_segment(0, &packing, 2, &[1]),
            Some(UnhiddenSegment {
                segment: 0,
                entries: 2,
                reads: 2,
                degree: 2
            })
        );
        assert_eq!(ledger.unhidden_segment(1, &packing, 2, &[]), None);
    }
}

#[cfg(test)]
mod tests {
    //! A zero-knowledge sub-protocol's claims through the ledger and one opening: a masked
    //! sum-check of `Σ_x a(x)·b(x)` over two committed segments, its Libra mask among the proof's
    //! fresh masks in a third segment of the same hiding commitment.
    use super::*;
    use crate::field::{Bn254Fr, Goldilocks, GoldilocksExt2};
    use crate::poly::Mle;
    use crate::sumcheck::zk::{masked_degree, prove_masked_with, verify_masked, Mask};
    use crate::sumcheck::{Instance, Term};
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    const N: usize = 6;

    fn params() -> Params {
        Params {
            rate_bits: 2,
            fold_bits: 2,
            queries: 8,
            pow_bits: 0,
        }
    }

    fn terms<E: Field>() -> Vec<Term<E>> {
        vec![Term {
            coeff: E::ONE,
            factors: vec![0, 1],
        }]
    }

    /// What a cheating prover changes.
    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum Cheat {
        None,
        /// Proves with `a` edited after the commitment (the rest recomputed honestly).
        Table,
        /// Proves with a Libra mask other than the committed one.
        Mask,
    }

    struct Run<F: Field, E: Field> {
        commitment: ZkCommitment,
        layout: Layout,
        claim: E,
        proof: crate::sumcheck::zk::MaskedProof<E>,
        opening: DeferredOpening<F, E>,
    }

    fn prove<F: BaseField + FftField, E: ExtField<F>>(seed: u64, cheat: Cheat) -> Run<F, E> {
        let mut rng = StdRng::seed_from_u64(seed);
        let a: Vec<F> = (0..1 << N).map(|_| F::rand(&mut rng)).collect();
        let b: Vec<F> = (0..1 << N).map(|_| F::rand(&mut rng)).collect();
        let private = [true, true];
        let degree = masked_degree(&terms::<E>(), &private);
        let mask = Mask::<E>::random(N + 1, degree, &mut rng);
        let mut masks = mask_entries::<F, E>(&mask.entries());
        let mask_vars = masks.len().next_power_of_two().trailing_zeros() as usize;
        masks.resize(1 << mask_vars, F::ZERO);
        let packing = Packing::new(&[N, N, mask_vars]);
        let layout = Layout {
            packings: vec![packing.clone()],
            masks: Some((0, 2)),
        };
        let packed = packing.pack(&[a.clone(), b.clone(), masks]);
        let (commitment, mut data) =
            crate::pcs::zk::commit(&params(), packed, packing.num_vars(), &mut rng).unwrap();
        let mut t = Transcript::new(b"ledger");
        t.append_message(b"root", &commitment.inner.root);
        let (mut a2, mut mask2) = (a.clone(), mask.clone());
        match cheat {
            Cheat::None => {}
            Cheat::Table => a2[5] += F::ONE,
            Cheat::Mask => mask2 = Mask::random(N + 1, degree, &mut rng),
        }
        let claim: E = a2
            .iter()
            .zip(&b)
            .map(|(&x, &y)| E::from_base_prime_field(x * y))
            .sum();
        let instance =
            Instance::new(vec![Mle::Base(a2), Mle::Base(b)], terms()).expect("equal sizes");
        let mut before = t.clone();
        let scalar = |i: usize, r: &[E]| data.mask_at(0, &packing.point(i, r)).unwrap();
        let out = prove_masked_with(instance, claim, &private, &scalar, &mask2, &mut t);
        // The prover's deferred claims are the verifier's: computed here by verifying its own
        // sum-check on the transcript as it stood before.
        let claim_v = verify_masked(N, degree, claim, 2, &out.proof, &mut before).unwrap();
        let mut ledger = Ledger::new();
        let deferred = claim_v
            .deferred(&terms(), &private, &[], &[0, 1], degree)
            .unwrap();
        ledger
            .defer(deferred, &[Placed::segment(0, 0), Placed::segment(0, 1)], 0)
            .unwrap();
        // A cheating prover's claims do not hold, and the honest prover would refuse them: it
        // sends the opening of what its committed tables really hold.
        let mut tc = t.clone();
        let refused = ledger.open(
            &params(),
            &layout,
            &mut [(&commitment, &mut data.clone())],
            &mut rng,
            &mut tc,
        );
        assert_eq!(
            matches!(refused, Err(DischargeError::Unsatisfied { .. })),
            cheat != Cheat::None
        );
        let opening = ledger
            .open_checked(
                &params(),
                &layout,
                &mut [(&commitment, &mut data)],
                &mut rng,
                &mut t,
                false,
            )
            .unwrap();
        Run {
            commitment,
            layout,
            claim,
            proof: out.proof,
            opening,
        }
    }

    fn verify<F: BaseField + FftField, E: ExtField<F>>(
        run: &Run<F, E>,
    ) -> Result<(), DischargeError> {
        let degree = masked_degree(&terms::<E>(), &[true, true]);
        let mut t = Transcript::new(b"ledger");
        t.append_message(b"root", &run.commitment.inner.root);
        let claim = verify_masked(N, degree, run.claim, 2, &run.proof, &mut t)
            .map_err(|_| DischargeError::Mu { expected: true })?;
        let mut ledger = Ledger::new();
        ledger.defer(
            claim
                .deferred(&terms(), &[true, true], &[], &[0, 1], degree)
                .unwrap(),
            &[Placed::segment(0, 0), Placed::segment(0, 1)],
            0,
        )?;
        ledger
            .verify(
                &params(),
                &run.layout,
                &[&run.commitment],
                &run.opening,
                &mut t,
            )
            .map(|_| ())
    }

    fn round_trip<F: BaseField + FftField, E: ExtField<F>>(seed: u64) {
        let run = prove::<F, E>(seed, Cheat::None);
        verify(&run).unwrap();
        // μ, the masked values and the opening are each checked.
        let mut bad = run.opening.clone();
        bad.mu = bad.mu.map(|m| m + E::ONE);
        let tampered = Run {
            opening: bad,
            ..clone_run(&run)
        };
        assert!(verify(&tampered).is_err());
        let mut bad = run.opening.clone();
        bad.mu = None;
        let tampered = Run {
            opening: bad,
            ..clone_run(&run)
        };
        assert_eq!(
            verify(&tampered),
            Err(DischargeError::Mu { expected: true })
        );
        let mut bad = run.proof.clone();
        bad.values[0] += E::ONE;
        let tampered = Run {
            proof: bad,
            ..clone_run(&run)
        };
        assert!(verify(&tampered).is_err());
        // Bytes round trip.
        let mut bytes = Vec::new();
        run.opening.serialize_compressed(&mut bytes).unwrap();
        assert_eq!(
            DeferredOpening::<F, E>::deserialize_compressed(&bytes[..]).unwrap(),
            run.opening
        );
    }

    fn clone_run<F: Field, E: Field>(r: &Run<F, E>) -> Run<F, E> {
        Run {
            commitment: r.commitment.clone(),
            layout: r.layout.clone(),
            claim: r.claim,
            proof: r.proof.clone(),
            opening: r.opening.clone(),
        }
    }

    #[test]
    fn a_masked_sumcheck_is_discharged_by_one_opening_on_both_fields() {
        round_trip::<Goldilocks, GoldilocksExt2>(1);
        round_trip::<Bn254Fr, Bn254Fr>(2);
    }

    /// A public value of a committed segment, proven with the masks' form: true values pass,
    /// a false one is rejected, and one on another commitment is refused.
    #[test]
    fn public_values_join_the_masks_form() {
        use ark_ff::UniformRand;
        type F = Goldilocks;
        type E = GoldilocksExt2;
        let mut rng = StdRng::seed_from_u64(9);
        let a: Vec<F> = (0..1 << N).map(|_| F::rand(&mut rng)).collect();
        let masks: Vec<F> = (0..1 << N).map(|_| F::rand(&mut rng)).collect();
        let packing = Packing::new(&[N, N]);
        let layout = Layout {
            packings: vec![packing.clone()],
            masks: Some((0, 1)),
        };
        let (commitment, data) = crate::pcs::zk::commit(
            &params(),
            packing.pack(&[a.clone(), masks.clone()]),
            packing.num_vars(),
            &mut rng,
        )
        .unwrap();
        let z: Vec<E> = (0..N).map(|_| E::rand(&mut rng)).collect();
        let truth = crate::poly::evaluate_base(&a, &z);
        // One fresh-mask form too: masks[0] + 2·masks[1] (as E entries: F pairs).
        let s0 = E::from_base_prime_field_elems([masks[0], masks[1]]).unwrap();
        let s1 = E::from_base_prime_field_elems([masks[2], masks[3]]).unwrap();
        let form = Deferred::Masks {
            terms: vec![(0, E::ONE), (1, E::from(2u64))],
            value: s0 + s1 + s1,
        };
        let run = |value: E, part: usize| -> Result<(), DischargeError> {
            let mut ledger = Ledger::new();
            ledger.defer(vec![form.clone()], &[], 0)?;
            ledger.defer_public(Placed::segment(part, 0), z.clone(), value);
            let mut data = data.clone();
            let mut rng = StdRng::seed_from_u64(10);
            let opening = ledger.open_checked(
                &params(),
                &layout,
                &mut [(&commitment, &mut data)],
                &mut rng,
                &mut Transcript::new(b"p"),
                false,
            )?;
            ledger
                .verify(
                    &params(),
                    &layout,
                    &[&commitment],
                    &opening,
                    &mut Transcript::new(b"p"),
                )
                .map(|_| ())
        };
        run(truth, 0).unwrap();
        assert_eq!(
            run(truth + E::ONE, 0),
            Err(DischargeError::Opening(ZkError::Pcs(
                PcsError::FinalEvaluation
            )))
        );
        assert_eq!(
            run(truth, 1),
            Err(DischargeError::Placement {
                part: 1,
                segment: 0
            })
        );
    }

    #[test]
    fn a_cheating_prover_is_caught() {
        for cheat in [Cheat::Table, Cheat::Mask] {
            let run = prove::<Goldilocks, GoldilocksExt2>(3, cheat);
            // The opening proves what the tables hold; the claims say otherwise.
            assert_eq!(
                verify(&run),
                Err(DischargeError::Opening(ZkError::Pcs(
                    PcsError::FinalEvaluation
                ))),
                "{cheat:?}"
            );
        }
    }

    #[test]
    fn claims_outside_the_layout_are_refused() {
        let mut ledger = Ledger::<GoldilocksExt2>::new();
        let masked = Deferred::Masked {
            table: 2,
            point: vec![GoldilocksExt2::ONE],
            beta: GoldilocksExt2::ONE,
            value: GoldilocksExt2::ONE,
        };
        assert_eq!(
            ledger.defer(vec![masked], &[Placed::segment(0, 0)], 0),
            Err(DischargeError::Table {
                table: 2,
                tables: 1
            })
        );
        let layout = Layout {
            packings: vec![Packing::new(&[3, 2])],
            masks: Some((0, 1)),
        };
        // Mask entry 2 is F-entries 4 and 5 of a 4-entry segment.
        ledger
            .defer(
                vec![Deferred::Masks {
                    terms: vec![(2, GoldilocksExt2::ONE)],
                    value: GoldilocksExt2::ONE,
                }],
                &[],
                0,
            )
            .unwrap();
        assert_eq!(
            ledger
                .combine::<Goldilocks>(&layout, &mut Transcript::new(b"t"))
                .map(|_| ()),
            Err(DischargeError::Mask {
                index: 2,
                available: 2
            })
        );
    }
}
