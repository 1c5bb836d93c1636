//! What a transparent proof leaks: the extraction attack of issue 13, with public data only.
//!
//! From one proof of the golden `every-kind` model, the attacker takes what any verifier sees —
//! the architecture (which entries of the committed table are in use: the plan), the
//! commitment, the proof, and the leaves of the model commitment's codeword that the verified
//! opening revealed (`network::revealed_model_leaves`) — and solves the linear system "the
//! codeword of the unknown table has these entries at these positions". The system has full
//! rank in the unknown entries, so the solution is the committed table: committing it gives the
//! model commitment's root. Zero-knowledge proofs (`spec/zk.md`) must make the same attack
//! learn nothing; this test is the yardstick they will be held to.

use ark_ff::{AdditiveGroup, Field, Zero};
use zkcnn::field::{Goldilocks, GoldilocksExt2};
use zkcnn::model::Model;
use zkcnn::network::{self, plan::Plan};
use zkcnn::pcs::{basefold, code};

type F = Goldilocks;
type E = GoldilocksExt2;

/// Row-echelon basis of linear equations `a·w = b` over `F`, reduced as rows arrive.
struct System {
    unknowns: usize,
    /// (pivot column, row with a 1 at the pivot, right-hand side).
    basis: Vec<(usize, Vec<F>, F)>,
}

impl System {
    /// Adds an equation; returns false if it contradicts the ones before.
    fn add(&mut self, mut row: Vec<F>, mut rhs: F) -> bool {
        for (p, r, b) in &self.basis {
            let c = row[*p];
            if !c.is_zero() {
                for (x, y) in row.iter_mut().zip(r) {
                    *x -= c * y;
                }
                rhs -= c * b;
            }
        }
        match row.iter().position(|x| !x.is_zero()) {
            None => rhs.is_zero(),
            Some(p) => {
                let inv = row[p].inverse().expect("nonzero pivot");
                row.iter_mut().for_each(|x| *x *= inv);
                rhs *= inv;
                // Keep the basis reduced: clear the new pivot from the rows before.
                for (_, r, b) in self.basis.iter_mut() {
                    let c = r[p];
                    if !c.is_zero() {
                        for (x, y) in r.iter_mut().zip(&row) {
                            *x -= c * y;
                        }
                        *b -= c * rhs;
                    }
                }
                self.basis.push((p, row, rhs));
                true
            }
        }
    }

    fn rank(&self) -> usize {
        self.basis.len()
    }

    /// The unique solution, when the rank is full.
    fn solution(&self) -> Option<Vec<F>> {
        if self.rank() < self.unknowns {
            return None;
        }
        let mut w = vec![F::ZERO; self.unknowns];
        for (p, _, b) in &self.basis {
            w[*p] = *b;
        }
        Some(w)
    }
}

/// The in-use entries of the model's packed table, from the architecture alone.
fn in_use(architecture: &Model) -> (usize, Vec<usize>) {
    let plan = Plan::new(architecture).expect("provable");
    let mut used = Vec::new();
    for (j, s) in plan.model_segs.iter().enumerate() {
        let offset = plan.model_packing.offset(j);
        for row in 0..s.rows {
            for col in 0..s.cols {
                used.push(offset + (row << s.col_vars) + col);
            }
        }
    }
    used.sort_unstable();
    (plan.model_packing.num_vars(), used)
}

#[test]
fn one_transparent_proof_reveals_every_weight_of_every_kind() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/golden");
    let model =
        Model::from_json(&std::fs::read_to_string(dir.join("every-kind.json")).unwrap()).unwrap();
    let (x, y) = super::network::golden_io(&dir.join("every-kind.io.json"));
    let public: network::ModelCommitment<F, E> =
        zkcnn::codec::from_bytes(&std::fs::read(dir.join("every-kind.commitment")).unwrap())
            .unwrap();
    let architecture = model.architecture();
    let checked = public.check(&architecture).unwrap();
    let digest = network::statement_digest(&architecture, &public.commitment, &x, &y);
    let proof = network::Proof::<F, E>::from_bytes(
        &std::fs::read(dir.join("every-kind.proof")).unwrap(),
        digest,
    )
    .unwrap();

    // Everything below uses only the architecture, the commitment and the proof.
    let revealed = network::revealed_model_leaves(&architecture, &checked, &x, &y, &proof)
        .unwrap()
        .expect("the model is opened");
    assert_eq!(public.commitment.num_polys, 1, "one column");
    let (n, used) = in_use(&architecture);
    assert_eq!(public.commitment.num_vars as usize, n);
    let params = network::pcs::<F, E>().unwrap().params;
    let width = 1usize << revealed.leaf_bits;
    let positions: Vec<usize> = revealed
        .leaves
        .iter()
        .flat_map(|&l| (0..width).map(move |e| l * width + e))
        .collect();
    assert_eq!(positions.len(), revealed.values.len());

    // The codeword is linear in the table: column `u` of the map is the codeword of the unit
    // table at the in-use entry `u`, read at the revealed positions.
    let columns: Vec<Vec<F>> = used
        .iter()
        .map(|&u| {
            let mut unit = vec![F::ZERO; 1 << n];
            unit[u] = F::ONE;
            let word = code::encode_evals(&unit, params.rate_bits).unwrap();
            positions.iter().map(|&p| word[p]).collect()
        })
        .collect();
    let mut system = System {
        unknowns: used.len(),
        basis: Vec::new(),
    };
    for (r, &v) in revealed.values.iter().enumerate() {
        let row: Vec<F> = columns.iter().map(|c| c[r]).collect();
        assert!(system.add(row, v), "the revealed entries are consistent");
    }
    assert_eq!(
        system.rank(),
        used.len(),
        "one proof determines all {} in-use entries ({} revealed codeword entries)",
        used.len(),
        revealed.values.len()
    );
    let weights = system.solution().unwrap();

    // The recovered table is the committed one: committing it gives the same root.
    let mut table = vec![F::ZERO; 1 << n];
    for (&u, &w) in used.iter().zip(&weights) {
        table[u] = w;
    }
    let (again, _) = basefold::commit(&params, vec![table]).unwrap();
    assert_eq!(
        again.root, public.commitment.root,
        "the committed table, recovered"
    );
    // And it holds the model's weights: the first convolution's kernel among them.
    let first = model
        .layers
        .iter()
        .find_map(|l| match l {
            zkcnn::model::Layer::Conv2d(c) => Some(c.weights.clone()),
            _ => None,
        })
        .expect("every-kind has a convolution");
    let recovered: Vec<i64> = weights
        .iter()
        .map(|w| {
            let v = ark_ff::PrimeField::into_bigint(*w).0[0];
            if v > u64::MAX / 2 {
                -((zkcnn::field::GOLDILOCKS_MODULUS - v) as i64)
            } else {
                v as i64
            }
        })
        .collect();
    for w in first.iter() {
        assert!(recovered.contains(w), "weight {w} recovered");
    }
}
