//! Merkle trees over blake3, for committing to codewords, with multi-leaf openings.
//!
//! Leaf `i` is the hash of a sequence of field elements (canonical little-endian bytes of every
//! base coordinate) under the prefix `0x00`; an inner node is the keyed hash of `left ‖ right`
//! (blake3's keyed mode is domain-separated from its plain mode, and the node input fits a single
//! 64-byte block). Digests are blake3 truncated to [`DIGEST_BYTES`] = 25 bytes (200 bits). The
//! number of leaves is a power of two. Leaves are hashed in parallel.
//!
//! Several leaves are opened together by a [`MultiProof`]: the sibling digests the verifier
//! cannot compute from the opened leaves themselves, level by level, in increasing index order.
//! Paths that share nodes share them once. Verification never panics.

use crate::parallel::collect_indexed;
use crate::transcript::for_each_field_chunk;
use ark_ff::Field;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

/// Bytes of a digest: blake3's output truncated to 200 bits, the collision resistance (100
/// bits, by the birthday bound) that the proofs' 100-bit level needs (`spec/pcs.md`, "Merkle
/// trees"). Two digests still fit one 64-byte blake3 block.
pub const DIGEST_BYTES: usize = 25;

/// A truncated blake3 digest.
pub type Digest = [u8; DIGEST_BYTES];

/// The first [`DIGEST_BYTES`] bytes of a blake3 output.
fn truncate(h: &blake3::Hash) -> Digest {
    let mut d = [0u8; DIGEST_BYTES];
    d.copy_from_slice(&h.as_bytes()[..DIGEST_BYTES]);
    d
}

/// Streams field elements into a leaf hash: `blake3(0x00 ‖ bytes of values)`, with the bytes
/// gathered in a stack buffer so that blake3 sees few, large updates.
pub struct LeafHasher {
    hasher: blake3::Hasher,
    buf: [u8; 512],
    len: usize,
}

impl Default for LeafHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl LeafHasher {
    /// An empty leaf (the prefix only).
    pub fn new() -> Self {
        // The buffer starts with the prefix byte 0x00.
        Self {
            hasher: blake3::Hasher::new(),
            buf: [0u8; 512],
            len: 1,
        }
    }

    /// Appends one field element.
    #[inline]
    pub fn push<G: Field>(&mut self, x: &G) {
        for_each_field_chunk(x, |b| {
            if self.len + b.len() > self.buf.len() {
                self.hasher.update(&self.buf[..self.len]);
                self.len = 0;
            }
            self.buf[self.len..self.len + b.len()].copy_from_slice(b);
            self.len += b.len();
        });
    }

    /// The digest.
    pub fn finish(mut self) -> Digest {
        self.hasher.update(&self.buf[..self.len]);
        truncate(&self.hasher.finalize())
    }
}

/// Hash of a leaf: `blake3(0x00 ‖ bytes of values)`.
pub fn hash_leaf<G: Field>(values: &[G]) -> Digest {
    let mut h = LeafHasher::new();
    for v in values {
        h.push(v);
    }
    h.finish()
}

/// The key of inner-node hashes. Keyed mode sets a different blake3 domain flag than the plain
/// hashes of leaves, so no node is a leaf; and `left ‖ right` (50 bytes) fits one 64-byte block —
/// one compression per node (a prefix byte would still fit, but the key costs nothing).
const NODE_KEY: [u8; 32] = *b"zkcnn merkle inner node, v2 key.";

/// Hash of an inner node: keyed `blake3(left ‖ right)` under `NODE_KEY`.
pub fn hash_node(left: &Digest, right: &Digest) -> Digest {
    let mut block = [0u8; 2 * DIGEST_BYTES];
    block[..DIGEST_BYTES].copy_from_slice(left);
    block[DIGEST_BYTES..].copy_from_slice(right);
    truncate(&blake3::keyed_hash(&NODE_KEY, &block))
}

/// A Merkle tree: every level of digests, leaves first.
#[derive(Clone, Debug)]
pub struct MerkleTree {
    levels: Vec<Vec<Digest>>,
}

/// The openings of several leaves of one tree: the sibling digests the verifier cannot compute,
/// level by level from the leaves up, in increasing index order within a level.
#[derive(Clone, Debug, Default, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct MultiProof {
    /// The siblings, in the order the verifier consumes them.
    pub siblings: Vec<Digest>,
}

/// Why a Merkle opening was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    /// A leaf index is outside the tree.
    #[error("leaf index {index} is outside a tree of 2^{depth} leaves")]
    IndexOutOfRange {
        /// The index.
        index: usize,
        /// The tree's depth.
        depth: usize,
    },
    /// The opened leaves are not in strictly increasing order (or there are none).
    #[error("the opened leaves must be a non-empty, strictly increasing list of indices")]
    Indices,
    /// The proof ran out of siblings.
    #[error("the Merkle proof has {got} siblings; more are needed")]
    TooFewSiblings {
        /// Siblings in the proof.
        got: usize,
    },
    /// The proof has siblings left over.
    #[error("the Merkle proof has {got} siblings; {used} are needed")]
    TooManySiblings {
        /// Siblings needed.
        used: usize,
        /// Siblings in the proof.
        got: usize,
    },
    /// The leaves and siblings do not lead to the root.
    #[error("the opened leaves do not lead to the committed root")]
    RootMismatch,
}

impl MerkleTree {
    /// Builds the tree over `n` leaves whose hashes are `leaf_hash(i)` (use [`LeafHasher`] or
    /// [`hash_leaf`]), computed in parallel. `n` must be a power of two (at least 1).
    pub fn new(n: usize, leaf_hash: impl Fn(usize) -> Digest + Sync + Send) -> Self {
        assert!(
            n.is_power_of_two(),
            "a Merkle tree needs a power-of-two number of leaves"
        );
        let mut levels = vec![collect_indexed(n, leaf_hash)];
        while let Some(last) = levels.last().filter(|l| l.len() > 1) {
            let next = collect_indexed(last.len() / 2, |i| {
                hash_node(&last[2 * i], &last[2 * i + 1])
            });
            levels.push(next);
        }
        Self { levels }
    }

    /// The leaves' digests.
    pub fn leaf_digests(&self) -> &[Digest] {
        self.levels.first().map_or(&[][..], Vec::as_slice)
    }

    /// The tree over these leaf digests (a power-of-two count, at least 1): the upper levels are
    /// recomputed.
    pub fn from_leaf_digests(leaves: &[Digest]) -> Self {
        Self::new(leaves.len(), |i| leaves[i])
    }

    /// The root.
    pub fn root(&self) -> Digest {
        self.levels
            .last()
            .and_then(|l| l.first())
            .copied()
            .unwrap_or([0; DIGEST_BYTES])
    }

    /// The number of leaves.
    pub fn leaves(&self) -> usize {
        self.levels.first().map_or(0, Vec::len)
    }

    /// The depth (levels below the root).
    pub fn depth(&self) -> usize {
        self.levels.len() - 1
    }

    /// Opens the leaves at `indices` (strictly increasing, in range: the prover's own data).
    pub fn open(&self, indices: &[usize]) -> MultiProof {
        let mut cur = indices.to_vec();
        let mut siblings = Vec::new();
        for level in &self.levels[..self.depth()] {
            let mut next = Vec::with_capacity(cur.len());
            let mut i = 0;
            while i < cur.len() {
                let idx = cur[i];
                if idx & 1 == 0 && cur.get(i + 1) == Some(&(idx + 1)) {
                    i += 2;
                } else {
                    siblings.push(level[idx ^ 1]);
                    i += 1;
                }
                next.push(idx >> 1);
            }
            cur = next;
        }
        MultiProof { siblings }
    }
}

impl MultiProof {
    /// Checks that the leaves with hashes `leaves[k].1` sit at indices `leaves[k].0` (strictly
    /// increasing) in the tree of `depth` levels with this `root`.
    pub fn verify(
        &self,
        root: &Digest,
        depth: usize,
        leaves: &[(usize, Digest)],
    ) -> Result<(), MerkleError> {
        if leaves.is_empty() || leaves.windows(2).any(|w| w.first() >= w.get(1)) {
            return Err(MerkleError::Indices);
        }
        if let Some(&(index, _)) = leaves
            .iter()
            .find(|(i, _)| depth < usize::BITS as usize && i >> depth != 0)
        {
            return Err(MerkleError::IndexOutOfRange { index, depth });
        }
        let got = self.siblings.len();
        let mut siblings = self.siblings.iter();
        let mut cur = leaves.to_vec();
        for _ in 0..depth {
            let mut next = Vec::with_capacity(cur.len());
            let mut nodes = cur.iter().peekable();
            while let Some(&(idx, h)) = nodes.next() {
                let parent = match nodes.peek() {
                    Some(&&(j, right)) if idx & 1 == 0 && j == idx + 1 => {
                        nodes.next();
                        hash_node(&h, &right)
                    }
                    _ => {
                        let s = siblings.next().ok_or(MerkleError::TooFewSiblings { got })?;
                        if idx & 1 == 0 {
                            hash_node(&h, s)
                        } else {
                            hash_node(s, &h)
                        }
                    }
                };
                next.push((idx >> 1, parent));
            }
            cur = next;
        }
        let left = siblings.len();
        if left != 0 {
            return Err(MerkleError::TooManySiblings {
                used: got - left,
                got,
            });
        }
        match cur.as_slice() {
            [(0, h)] if h == root => Ok(()),
            _ => Err(MerkleError::RootMismatch),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec;
    use crate::field::{Goldilocks as F, GoldilocksExt2 as E};
    use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
    use ark_std::{test_rng, UniformRand};
    use proptest::prelude::*;

    fn tree(log: usize, seed: u64) -> (MerkleTree, Vec<Digest>) {
        let mut rng = StdRng::seed_from_u64(seed);
        let hashes: Vec<Digest> = (0..1 << log)
            .map(|_| hash_leaf(&[F::rand(&mut rng), F::rand(&mut rng)]))
            .collect();
        (MerkleTree::new(1 << log, |i| hashes[i]), hashes)
    }

    /// The root from the definition, recursively.
    fn naive_root(hashes: &[Digest]) -> Digest {
        if hashes.len() == 1 {
            return hashes[0];
        }
        let next: Vec<Digest> = hashes.chunks(2).map(|c| hash_node(&c[0], &c[1])).collect();
        naive_root(&next)
    }

    /// A random non-empty increasing subset of `0..n`.
    fn subset(n: usize, seed: u64) -> Vec<usize> {
        let mut rng = StdRng::seed_from_u64(seed);
        let p = rng.gen_range(0.0..1.0);
        let mut s: Vec<usize> = (0..n).filter(|_| rng.gen_bool(p)).collect();
        if s.is_empty() {
            s.push(rng.gen_range(0..n));
        }
        s
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn every_subset_verifies(log in 0usize..10, seed: u64) {
            let (t, hashes) = tree(log, seed);
            prop_assert_eq!(t.root(), naive_root(&hashes));
            prop_assert_eq!(t.leaves(), 1 << log);
            let idx = subset(1 << log, seed);
            let leaves: Vec<(usize, Digest)> = idx.iter().map(|&i| (i, hashes[i])).collect();
            let p = t.open(&idx);
            prop_assert_eq!(p.verify(&t.root(), log, &leaves), Ok(()));
            // No sibling is sent that the verifier could compute: opening every leaf needs none,
            // one leaf needs exactly `log`.
            if idx.len() == 1 << log {
                prop_assert!(p.siblings.is_empty());
            }
            if idx.len() == 1 {
                prop_assert_eq!(p.siblings.len(), log);
            }
            let decoded: MultiProof = codec::from_bytes(&codec::to_bytes(&p)).unwrap();
            prop_assert_eq!(decoded, p);
        }

        #[test]
        fn random_proofs_never_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..400),
            idx in proptest::collection::vec(any::<usize>(), 0..6),
            depth in 0usize..70,
        ) {
            if let Ok(p) = codec::from_bytes::<MultiProof>(&bytes) {
                let leaves: Vec<(usize, Digest)> = idx.iter().map(|&i| (i, [1; DIGEST_BYTES])).collect();
                prop_assert!(p.verify(&[0; DIGEST_BYTES], depth, &leaves).is_err());
            }
        }
    }

    #[test]
    fn tampering_is_caught() {
        let (t, hashes) = tree(6, 1);
        let root = t.root();
        let idx = [3usize, 4, 5, 37, 63];
        let leaves: Vec<(usize, Digest)> = idx.iter().map(|&i| (i, hashes[i])).collect();
        let p = t.open(&idx);
        assert_eq!(p.verify(&root, 6, &leaves), Ok(()));
        // Each leaf's value, each index, the root, each sibling.
        for k in 0..idx.len() {
            let mut l = leaves.clone();
            l[k].1[0] ^= 1;
            assert_eq!(p.verify(&root, 6, &l), Err(MerkleError::RootMismatch));
        }
        let mut l = leaves.clone();
        l[3].0 = 36;
        assert_eq!(p.verify(&root, 6, &l), Err(MerkleError::RootMismatch));
        let mut bad_root = root;
        bad_root[0] ^= 1;
        assert_eq!(
            p.verify(&bad_root, 6, &leaves),
            Err(MerkleError::RootMismatch)
        );
        for k in 0..p.siblings.len() {
            let mut q = p.clone();
            q.siblings[k][5] ^= 0x80;
            assert_eq!(
                q.verify(&root, 6, &leaves),
                Err(MerkleError::RootMismatch),
                "sibling {k}"
            );
        }
        // Shape.
        let got = p.siblings.len();
        let mut q = p.clone();
        q.siblings.pop();
        assert_eq!(
            q.verify(&root, 6, &leaves),
            Err(MerkleError::TooFewSiblings { got: got - 1 })
        );
        let mut q = p.clone();
        q.siblings.push([0; DIGEST_BYTES]);
        assert_eq!(
            q.verify(&root, 6, &leaves),
            Err(MerkleError::TooManySiblings {
                used: got,
                got: got + 1
            })
        );
        let mut l = leaves.clone();
        l.swap(0, 1);
        assert_eq!(p.verify(&root, 6, &l), Err(MerkleError::Indices));
        assert_eq!(p.verify(&root, 6, &[]), Err(MerkleError::Indices));
        let mut l = leaves.clone();
        l[4].0 = 64;
        assert_eq!(
            p.verify(&root, 6, &l),
            Err(MerkleError::IndexOutOfRange {
                index: 64,
                depth: 6
            })
        );
        // Leaves and nodes are domain-separated: a node's preimage is not a leaf's.
        assert_ne!(hash_node(&hashes[0], &hashes[1]), hash_leaf::<F>(&[]));
        // Extension-field leaves hash every coordinate; long leaves hash every byte.
        let mut rng = test_rng();
        let e = E::rand(&mut rng);
        assert_ne!(
            hash_leaf(&[e]),
            hash_leaf(&[E::new(e.c0, e.c1 + F::from(1u64))])
        );
        let long: Vec<E> = (0..100).map(|_| E::rand(&mut rng)).collect();
        let mut other = long.clone();
        other[99] += E::from(1u64);
        assert_ne!(hash_leaf(&long), hash_leaf(&other));
        let mut bytes = vec![0u8];
        for v in &long {
            crate::transcript::field_bytes(v, &mut bytes);
        }
        assert_eq!(
            hash_leaf(&long)[..],
            blake3::hash(&bytes).as_bytes()[..DIGEST_BYTES]
        );
    }
}
