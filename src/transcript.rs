//! Fiat–Shamir through Merlin: an extension trait on [`merlin::Transcript`].
//!
//! The application creates the transcript (with its protocol label) and passes `&mut Transcript`
//! down; proof code never creates its own. Every sub-protocol starts with a domain separator that
//! carries its parameters, every prover message is absorbed before it is used, and every challenge
//! is drawn with enough bytes that its bias is below 2^-64. See `spec/transcript.md`.

use ark_ff::{Field, PrimeField};
use merlin::Transcript;

/// Typed absorb / squeeze operations on a Merlin transcript.
pub trait TranscriptExt {
    /// Starts a sub-protocol: absorbs its name and its parameters (sizes, degrees).
    fn domain_separator(&mut self, protocol: &'static [u8], params: &[u64]);
    /// Absorbs one field element (every base-field coordinate, canonical little-endian bytes).
    fn append_field<G: Field>(&mut self, label: &'static [u8], x: &G);
    /// Absorbs a slice of field elements, prefixed by its length.
    fn append_fields<G: Field>(&mut self, label: &'static [u8], xs: &[G]);
    /// Draws one challenge in `E`, each base coordinate from `⌈(log p + 64) / 8⌉` bytes reduced mod p.
    fn challenge_field<E: Field>(&mut self, label: &'static [u8]) -> E;
    /// Draws an index in `0..bound` (`bound ≥ 1`) from 16 bytes reduced mod `bound`: bias at
    /// most `bound / 2^128`.
    fn challenge_index(&mut self, label: &'static [u8], bound: usize) -> usize;
    /// Draws `n` challenges in `E`.
    fn challenge_fields<E: Field>(&mut self, label: &'static [u8], n: usize) -> Vec<E> {
        (0..n).map(|_| self.challenge_field(label)).collect()
    }
}

/// Bytes squeezed per base-field coordinate: the modulus size plus 64 bits, so that reducing the
/// uniform integer mod p leaves a statistical distance below 2^-64.
fn challenge_bytes_per_coordinate<F: PrimeField>() -> usize {
    (F::MODULUS_BIT_SIZE as usize + 64).div_ceil(8)
}

/// A blake3 hash of a statement made of many small parts (a proof's thousands of claims), absorbed
/// into the transcript as one message: one transcript message per point coordinate made
/// absorbing them 40% of a LeNet-5 verification. Unambiguous by construction: every list is
/// prefixed by its length and every element has its type's fixed width, so distinct statements
/// (of the same shape of caller code) hash distinct byte strings; blake3's 256-bit output binds
/// them at 128-bit collision resistance. See `spec/transcript.md`.
pub struct StatementHasher {
    hasher: blake3::Hasher,
    buf: Vec<u8>,
}

/// How many bytes [`StatementHasher`] gathers before it hashes them: blake3 hashes a long input
/// several chunks at a time, and thousands of 8-byte updates one by one.
const HASH_BATCH: usize = 1 << 16;

impl StatementHasher {
    /// A hasher for the statement named `domain`.
    pub fn new(domain: &'static [u8]) -> Self {
        let mut h = Self {
            hasher: blake3::Hasher::new(),
            buf: Vec::with_capacity(HASH_BATCH + 1024),
        };
        h.u64(domain.len() as u64);
        h.bytes(domain);
        h
    }

    /// Hashes raw bytes (gathered, then hashed in batches: the digest is that of the
    /// concatenation of everything hashed).
    fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= HASH_BATCH {
            self.hasher.update(&self.buf);
            self.buf.clear();
        }
    }

    /// Hashes a `u64` (little-endian).
    pub fn u64(&mut self, x: u64) {
        self.bytes(&x.to_le_bytes());
    }

    /// Hashes one field element (its canonical bytes, as [`TranscriptExt::append_field`]).
    pub fn field<G: Field>(&mut self, x: &G) {
        field_bytes(x, &mut self.buf);
        self.bytes(&[]);
    }

    /// Hashes a slice of field elements, prefixed by its length.
    pub fn fields<G: Field>(&mut self, xs: &[G]) {
        self.u64(xs.len() as u64);
        for x in xs {
            field_bytes(x, &mut self.buf);
        }
        self.bytes(&[]);
    }

    /// Absorbs the digest into `transcript` under `label`.
    pub fn absorb_into(mut self, transcript: &mut Transcript, label: &'static [u8]) {
        self.hasher.update(&self.buf);
        transcript.append_message(label, self.hasher.finalize().as_bytes());
    }
}

/// Appends the canonical little-endian bytes of every base-field coordinate of `x`.
pub(crate) fn field_bytes<G: Field>(x: &G, out: &mut Vec<u8>) {
    for_each_field_chunk(x, |b| out.extend_from_slice(b));
}

/// Calls `f` on the canonical little-endian bytes of `x`, eight at a time (each 64-bit limb of
/// each base coordinate in order — the same bytes as `into_bigint().to_bytes_le()`, without
/// allocating).
pub(crate) fn for_each_field_chunk<G: Field>(x: &G, mut f: impl FnMut(&[u8])) {
    for c in x.to_base_prime_field_elements() {
        for limb in c.into_bigint().as_ref() {
            f(&limb.to_le_bytes());
        }
    }
}

impl TranscriptExt for Transcript {
    fn domain_separator(&mut self, protocol: &'static [u8], params: &[u64]) {
        self.append_message(b"dom-sep", protocol);
        self.append_u64(b"n-params", params.len() as u64);
        for &p in params {
            self.append_u64(b"param", p);
        }
    }

    fn append_field<G: Field>(&mut self, label: &'static [u8], x: &G) {
        let mut bytes = Vec::with_capacity(64);
        field_bytes(x, &mut bytes);
        self.append_message(label, &bytes);
    }

    fn append_fields<G: Field>(&mut self, label: &'static [u8], xs: &[G]) {
        self.append_u64(label, xs.len() as u64);
        let mut bytes = Vec::with_capacity(xs.len() * 16);
        for x in xs {
            field_bytes(x, &mut bytes);
        }
        self.append_message(label, &bytes);
    }

    fn challenge_index(&mut self, label: &'static [u8], bound: usize) -> usize {
        let mut buf = [0u8; 16];
        self.challenge_bytes(label, &mut buf);
        (u128::from_le_bytes(buf) % bound.max(1) as u128) as usize
    }

    fn challenge_field<E: Field>(&mut self, label: &'static [u8]) -> E {
        let n = challenge_bytes_per_coordinate::<E::BasePrimeField>();
        let mut buf = vec![0u8; n];
        let coords = (0..E::extension_degree()).map(|_| {
            self.challenge_bytes(label, &mut buf);
            E::BasePrimeField::from_le_bytes_mod_order(&buf)
        });
        let coords: Vec<_> = coords.collect();
        E::from_base_prime_field_elems(coords)
            .expect("exactly extension_degree() coordinates were drawn")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{Bn254Fr, Goldilocks, GoldilocksExt2};

    #[test]
    fn challenge_width() {
        assert_eq!(challenge_bytes_per_coordinate::<Goldilocks>(), 16);
        assert_eq!(challenge_bytes_per_coordinate::<Bn254Fr>(), 40);
    }

    #[test]
    fn same_messages_same_challenges_different_messages_different_challenges() {
        let run = |v: u64, sep: &'static [u8]| {
            let mut t = Transcript::new(b"test");
            t.domain_separator(sep, &[3, 2]);
            t.append_fields(b"xs", &[Goldilocks::from(v), Goldilocks::from(1u64)]);
            t.challenge_field::<GoldilocksExt2>(b"c")
        };
        assert_eq!(run(5, b"a"), run(5, b"a"));
        assert_ne!(run(5, b"a"), run(6, b"a"));
        assert_ne!(run(5, b"a"), run(5, b"b"));
    }

    #[test]
    fn length_prefix_separates_splits() {
        // [a, b] then [] must differ from [a] then [b].
        let x = [Goldilocks::from(1u64), Goldilocks::from(2u64)];
        let mut t1 = Transcript::new(b"t");
        t1.append_fields(b"v", &x);
        t1.append_fields::<Goldilocks>(b"v", &[]);
        let mut t2 = Transcript::new(b"t");
        t2.append_fields(b"v", &x[..1]);
        t2.append_fields(b"v", &x[1..]);
        assert_ne!(
            t1.challenge_field::<GoldilocksExt2>(b"c"),
            t2.challenge_field::<GoldilocksExt2>(b"c")
        );
    }

    /// Pins the encoding: a change here changes every proof.
    #[test]
    fn golden_challenges() {
        let mut t = Transcript::new(b"zkcnn-golden");
        t.domain_separator(b"golden", &[1, 2, 3]);
        t.append_field(
            b"x",
            &GoldilocksExt2::new(Goldilocks::from(5u64), Goldilocks::from(6u64)),
        );
        t.append_fields(b"xs", &[Bn254Fr::from(7u64), Bn254Fr::from(8u64)]);
        let e: GoldilocksExt2 = t.challenge_field(b"c");
        let b: Bn254Fr = t.challenge_field(b"c");
        assert_eq!(format!("{} {}", e.c0, e.c1), GOLDEN_EXT);
        assert_eq!(b.to_string(), GOLDEN_BN);
    }

    const GOLDEN_EXT: &str = "13999261418575066534 11006671349436895575";
    const GOLDEN_BN: &str =
        "7765206085172455380771538351390706410982653124885979276130068626968907736362";

    #[test]
    fn extension_challenges_use_both_coordinates() {
        let mut t = Transcript::new(b"t");
        let c: GoldilocksExt2 = t.challenge_field(b"c");
        assert!(c.c1 != Goldilocks::from(0u64));
        let b: Bn254Fr = t.challenge_field(b"c");
        assert!(b != Bn254Fr::from(0u64));
    }
}
