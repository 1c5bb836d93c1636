//! Merkle trees over blake3, for committing to codewords.
//!
//! Leaf `i` is the hash of a slice of field elements (canonical little-endian bytes of every
//! base coordinate) under the prefix `0x00`; an inner node is the keyed hash of `left ‖ right`
//! (blake3's keyed mode is domain-separated from its plain mode, and the node input is a single
//! 64-byte block). The number of leaves is a power of two. Leaves are hashed in parallel.
//! Path verification checks the path length before it loops and never panics.

use crate::parallel::collect_indexed;
use crate::transcript::for_each_field_chunk;
use ark_ff::Field;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

/// A blake3 digest.
pub type Digest = [u8; 32];

/// Hash of a leaf: `blake3(0x00 ‖ bytes of values)` (no allocation).
pub fn hash_leaf<G: Field>(values: &[G]) -> Digest {
    let mut h = blake3::Hasher::new();
    h.update(&[0u8]);
    for v in values {
        for_each_field_chunk(v, |b| {
            h.update(b);
        });
    }
    *h.finalize().as_bytes()
}

/// The key of inner-node hashes. Keyed mode sets a different blake3 domain flag than the plain
/// hashes of leaves, so no node is a leaf; and `left ‖ right` is one 64-byte block — one
/// compression per node (a prefix byte would make it two).
const NODE_KEY: [u8; 32] = *b"zkcnn merkle inner node, v1 key.";

/// Hash of an inner node: keyed `blake3(left ‖ right)` under [`NODE_KEY`].
pub fn hash_node(left: &Digest, right: &Digest) -> Digest {
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(left);
    block[32..].copy_from_slice(right);
    *blake3::keyed_hash(&NODE_KEY, &block).as_bytes()
}

/// A Merkle tree: every level of digests, leaves first.
#[derive(Clone, Debug)]
pub struct MerkleTree {
    levels: Vec<Vec<Digest>>,
}

/// The sibling digests from a leaf up to the root (leaf level first).
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct MerklePath {
    /// One sibling per level.
    pub siblings: Vec<Digest>,
}

/// Why a Merkle path was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    /// The path has the wrong number of siblings.
    #[error("Merkle path has {got} siblings; the tree has depth {expected}")]
    PathLength {
        /// The tree's depth.
        expected: usize,
        /// Siblings in the path.
        got: usize,
    },
    /// The leaf index is outside the tree.
    #[error("leaf index {index} is outside a tree of {leaves} leaves")]
    IndexOutOfRange {
        /// The index.
        index: usize,
        /// Leaves in the tree.
        leaves: usize,
    },
    /// The path does not lead to the root.
    #[error("Merkle path for leaf {index} does not lead to the committed root")]
    RootMismatch {
        /// The leaf index.
        index: usize,
    },
}

impl MerkleTree {
    /// Builds the tree over `n` leaves, leaf `i` being `hash_leaf(&leaf(i))`, hashed in parallel.
    /// `n` must be a power of two (at least 1).
    pub fn new<G: Field, const K: usize>(
        n: usize,
        leaf: impl Fn(usize) -> [G; K] + Sync + Send,
    ) -> Self {
        assert!(
            n.is_power_of_two(),
            "a Merkle tree needs a power-of-two number of leaves"
        );
        let mut levels = vec![collect_indexed(n, |i| hash_leaf(&leaf(i)))];
        while let Some(last) = levels.last().filter(|l| l.len() > 1) {
            let next = collect_indexed(last.len() / 2, |i| {
                hash_node(&last[2 * i], &last[2 * i + 1])
            });
            levels.push(next);
        }
        Self { levels }
    }

    /// The root.
    pub fn root(&self) -> Digest {
        self.levels
            .last()
            .and_then(|l| l.first())
            .copied()
            .unwrap_or([0; 32])
    }

    /// The number of leaves.
    pub fn leaves(&self) -> usize {
        self.levels.first().map_or(0, Vec::len)
    }

    /// The depth (number of siblings in a path).
    pub fn depth(&self) -> usize {
        self.levels.len() - 1
    }

    /// The path of leaf `index` (which must be in range).
    pub fn open(&self, index: usize) -> MerklePath {
        let mut i = index;
        let siblings = self.levels[..self.depth()]
            .iter()
            .map(|level| {
                let s = level[i ^ 1];
                i >>= 1;
                s
            })
            .collect();
        MerklePath { siblings }
    }
}

impl MerklePath {
    /// Checks that the leaf with hash `leaf` sits at `index` under `root`, in a tree of `depth`.
    pub fn verify(
        &self,
        root: &Digest,
        depth: usize,
        index: usize,
        leaf: Digest,
    ) -> Result<(), MerkleError> {
        if self.siblings.len() != depth {
            return Err(MerkleError::PathLength {
                expected: depth,
                got: self.siblings.len(),
            });
        }
        if depth < usize::BITS as usize && index >> depth != 0 {
            return Err(MerkleError::IndexOutOfRange {
                index,
                leaves: 1 << depth,
            });
        }
        let mut h = leaf;
        let mut i = index;
        for s in &self.siblings {
            h = if i & 1 == 0 {
                hash_node(&h, s)
            } else {
                hash_node(s, &h)
            };
            i >>= 1;
        }
        if &h == root {
            Ok(())
        } else {
            Err(MerkleError::RootMismatch { index })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec;
    use crate::field::{Goldilocks as F, GoldilocksExt2 as E};
    use ark_std::rand::{rngs::StdRng, SeedableRng};
    use ark_std::{test_rng, UniformRand};
    use proptest::prelude::*;

    fn tree(log: usize, seed: u64) -> (MerkleTree, Vec<[F; 2]>) {
        let mut rng = StdRng::seed_from_u64(seed);
        let leaves: Vec<[F; 2]> = (0..1 << log)
            .map(|_| [F::rand(&mut rng), F::rand(&mut rng)])
            .collect();
        (MerkleTree::new(1 << log, |i| leaves[i]), leaves)
    }

    /// The root from the definition, recursively.
    fn naive_root(hashes: &[Digest]) -> Digest {
        if hashes.len() == 1 {
            return hashes[0];
        }
        let next: Vec<Digest> = hashes.chunks(2).map(|c| hash_node(&c[0], &c[1])).collect();
        naive_root(&next)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn every_path_verifies(log in 0usize..10, seed: u64) {
            let (t, leaves) = tree(log, seed);
            let hashes: Vec<Digest> = leaves.iter().map(|l| hash_leaf(l)).collect();
            prop_assert_eq!(t.root(), naive_root(&hashes));
            prop_assert_eq!(t.leaves(), 1 << log);
            for (i, l) in leaves.iter().enumerate() {
                let p = t.open(i);
                prop_assert_eq!(p.verify(&t.root(), t.depth(), i, hash_leaf(l)), Ok(()));
                let decoded: MerklePath = codec::from_bytes(&codec::to_bytes(&p)).unwrap();
                prop_assert_eq!(decoded, p);
            }
        }

        #[test]
        fn random_paths_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), index: usize, depth in 0usize..70) {
            if let Ok(p) = codec::from_bytes::<MerklePath>(&bytes) {
                let _ = p.verify(&[0; 32], depth, index, [1; 32]);
            }
        }
    }

    #[test]
    fn tampering_is_caught() {
        let (t, leaves) = tree(6, 1);
        let root = t.root();
        let i = 37;
        let leaf = hash_leaf(&leaves[i]);
        let p = t.open(i);
        // Another leaf value, another index, another root.
        let mut other = leaves[i];
        other[1] += F::from(1u64);
        assert_eq!(
            p.verify(&root, 6, i, hash_leaf(&other)),
            Err(MerkleError::RootMismatch { index: i })
        );
        assert_eq!(
            p.verify(&root, 6, i ^ 1, leaf),
            Err(MerkleError::RootMismatch { index: i ^ 1 })
        );
        let mut bad_root = root;
        bad_root[0] ^= 1;
        assert_eq!(
            p.verify(&bad_root, 6, i, leaf),
            Err(MerkleError::RootMismatch { index: i })
        );
        // Each sibling.
        for k in 0..6 {
            let mut q = p.clone();
            q.siblings[k][5] ^= 0x80;
            assert_eq!(
                q.verify(&root, 6, i, leaf),
                Err(MerkleError::RootMismatch { index: i }),
                "sibling {k}"
            );
        }
        // Shape.
        let mut q = p.clone();
        q.siblings.pop();
        assert_eq!(
            q.verify(&root, 6, i, leaf),
            Err(MerkleError::PathLength {
                expected: 6,
                got: 5
            })
        );
        assert_eq!(
            p.verify(&root, 6, 64, leaf),
            Err(MerkleError::IndexOutOfRange {
                index: 64,
                leaves: 64
            })
        );
        // Leaves and nodes are domain-separated: a node's preimage is not a leaf's.
        assert_ne!(hash_node(&leaf, &leaf), hash_leaf::<F>(&[]));
        // Extension-field leaves hash every coordinate.
        let mut rng = test_rng();
        let e = E::rand(&mut rng);
        assert_ne!(
            hash_leaf(&[e]),
            hash_leaf(&[E::new(e.c0, e.c1 + F::from(1u64))])
        );
    }
}
