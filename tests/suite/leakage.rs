//! What a transparent proof leaks: the extraction attack of issue 13, with public data only.
//!
//! From one proof of the golden `every-kind` model, the attacker takes what any verifier sees —
//! the architecture (which entries of the committed table are in use: the plan), the
//! commitment, the proof, and the leaves of the model commitment's codeword that the verified
//! opening revealed (`network::revealed_model_leaves`) — and solves the linear system "the
//! codeword of the unknown table has these entries at these positions". The system has full
//! rank in the unknown entries, so the solution is the committed table: committing it gives the
//! model commitment's root. Zero-knowledge proofs (`spec/zk.md`) must make the same attack
//! learn nothing; this test is the yardstick they will be held to. The second test runs the same
//! attack on zero-knowledge openings (`pcs::zk`) of a table with the same in-use entries.

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

/// The columns of the map from the in-use entries of a table of `2^n` entries to the codeword
/// entries at `positions` (stored order) of the polynomial `make(table)`, encoded at `rate_bits`.
fn codeword_columns(
    used: &[usize],
    n: usize,
    positions: &[usize],
    rate_bits: usize,
    make: impl Fn(Vec<F>) -> Vec<F>,
) -> Vec<Vec<F>> {
    used.iter()
        .map(|&u| {
            let mut unit = vec![F::ZERO; 1 << n];
            unit[u] = F::ONE;
            let word = code::encode_evals(&make(unit), rate_bits).unwrap();
            positions.iter().map(|&p| word[p]).collect()
        })
        .collect()
}

/// Solves "the codeword has these entries here" for the in-use entries: the system (or `None`
/// when the entries contradict every table).
fn attack(columns: &[Vec<F>], values: &[F]) -> Option<System> {
    let mut system = System {
        unknowns: columns.len(),
        basis: Vec::new(),
    };
    for (r, &v) in values.iter().enumerate() {
        let row: Vec<F> = columns.iter().map(|c| c[r]).collect();
        if !system.add(row, v) {
            return None;
        }
    }
    Some(system)
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
    let columns = codeword_columns(&used, n, &positions, params.rate_bits, |t| t);
    let system = attack(&columns, &revealed.values).expect("the revealed entries are consistent");
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

/// The same attack against zero-knowledge openings (`pcs::zk`) of the same committed table, with
/// the network's opening parameters: as many openings as the commitment's budget allows, at
/// random claims. The revealed entries are those of `f̂ = f + x_n·m` with a random `m`; read as
/// entries of the table's codeword (`f̂ = [f; f]`, the attack above), they contradict every
/// table: the attack learns nothing. (What every revealed value tells about the table and the
/// masks together — nothing, while the budget holds — is the rank test of `pcs::zk`'s unit
/// tests, which replays the proofs' challenges.)
#[test]
fn the_same_attack_on_zero_knowledge_openings_of_the_table_finds_no_table() {
    use zkcnn::pcs::zk;
    use zkcnn::pcs::Claim;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/golden");
    let model =
        Model::from_json(&std::fs::read_to_string(dir.join("every-kind.json")).unwrap()).unwrap();
    let architecture = model.architecture();
    let (n, used) = in_use(&architecture);
    // A table with every-kind's in-use entries (their values do not matter to the attack).
    let params = network::pcs::<F, E>().unwrap().params;
    let mut rng = <ark_std::rand::rngs::StdRng as ark_std::rand::SeedableRng>::seed_from_u64(5);
    let mut table = vec![F::ZERO; 1 << n];
    for &u in &used {
        table[u] = <F as ark_ff::UniformRand>::rand(&mut rng);
    }
    // A mask of 2^13 entries: the table is padded to it, and the budget is three openings of
    // four claims.
    let ell = 13;
    let (c, mut data) = zk::commit(&params, table.clone(), ell, &mut rng).unwrap();
    let nz = c.table_vars();
    assert_eq!(nz, ell);
    let (mut positions, mut values) = (Vec::new(), Vec::new());
    let mut openings = 0;
    loop {
        let claims: Vec<Claim<E>> = (0..4)
            .map(|_| {
                let z = (0..=nz)
                    .map(|_| <E as ark_ff::UniformRand>::rand(&mut rng))
                    .collect();
                Claim::new(0, z)
            })
            .collect();
        let t = &mut merlin::Transcript::new(b"leakage");
        let (vals, proof) = match zk::open(&params, &c, &mut data, &claims, &mut rng, t) {
            Ok(x) => x,
            Err(zk::ZkError::Budget { .. }) => break,
            Err(e) => panic!("{e}"),
        };
        let t = &mut merlin::Transcript::new(b"leakage");
        let leaves = zk::verify_opened(&params, &c, &claims, &vals, &proof, t).unwrap();
        let width = 1usize << params.fold_bits;
        positions.extend(
            leaves
                .iter()
                .flat_map(|&l| (0..width).map(move |e| l * width + e)),
        );
        values.extend(proof.base[0].values.iter().copied());
        openings += 1;
    }
    assert_eq!(openings, 3, "the budget of a 2^13 mask");
    // The attack, on the table's in-use entries padded as the commitment pads them.
    let columns = codeword_columns(&used, nz, &positions, params.rate_bits, |t| {
        let mut doubled = t.clone();
        doubled.extend(t);
        doubled
    });
    assert!(
        attack(&columns, &values).is_none(),
        "the {} revealed entries of {openings} openings contradict every table",
        values.len()
    );
    // Without the mask (m = 0) the same entries would be the table's, and the attack would
    // recover it: the test can tell.
    let honest: Vec<F> = {
        let mut doubled = table.clone();
        doubled.resize(1 << nz, F::ZERO);
        let copy = doubled.clone();
        doubled.extend(copy);
        let word = code::encode_evals(&doubled, params.rate_bits).unwrap();
        positions.iter().map(|&p| word[p]).collect()
    };
    let system = attack(&columns, &honest).expect("consistent without a mask");
    assert_eq!(system.rank(), used.len());
}

/// The attack of issue 13 on whole-network proofs of one committed model (`zoo::mlp`): one
/// transparent proof gives every in-use entry of the committed table; three zero-knowledge
/// proofs (`network::prove_zk`, hidden weights) of the same model against its hiding commitment
/// give entries of `f̂ = (f, f + m)`'s codeword that contradict every table — and the same
/// positions read from the unmasked table's codeword would have given the table back, so the
/// test can tell.
#[test]
fn zero_knowledge_network_proofs_reveal_no_table_where_transparent_ones_reveal_it() {
    use zkcnn::model::zoo;
    let model = zoo::mlp(7);
    let architecture = model.architecture();
    let (n, used) = in_use(&architecture);
    let params = network::pcs::<F, E>().unwrap().params;
    let inputs: Vec<_> = (0..3)
        .map(|s| zoo::random_input(&model.input_shape, model.activation_bits, 40 + s))
        .collect();
    let flat = |a: &ndarray::ArrayD<i64>| -> Vec<i64> { a.iter().copied().collect() };

    // Transparent: one proof recovers the table.
    let committed = network::commit_model::<F, E>(&model).unwrap();
    let checked = committed.public.check(&architecture).unwrap();
    let (y, proof) = network::prove::<F, E>(&model, &committed, &inputs[0]).unwrap();
    let revealed = network::revealed_model_leaves(
        &architecture,
        &checked,
        &flat(&inputs[0]),
        &flat(&y),
        &proof,
    )
    .unwrap()
    .expect("the model is opened");
    let width = 1usize << revealed.leaf_bits;
    let positions: Vec<usize> = revealed
        .leaves
        .iter()
        .flat_map(|&l| (0..width).map(move |e| l * width + e))
        .collect();
    let columns = codeword_columns(&used, n, &positions, params.rate_bits, |t| t);
    let system = attack(&columns, &revealed.values).expect("consistent");
    assert_eq!(
        system.rank(),
        used.len(),
        "one transparent proof gives the table"
    );
    let weights = system.solution().unwrap();

    // Zero knowledge: three proofs against the hiding commitment.
    let mut rng = <ark_std::rand::rngs::StdRng as ark_std::rand::SeedableRng>::seed_from_u64(8);
    let mut hidden = network::commit_model_zk::<F, E, _>(&model, &mut rng).unwrap();
    let c = hidden.commitment.clone();
    let nz = c.table_vars();
    let (mut positions, mut values) = (Vec::new(), Vec::new());
    for x in &inputs {
        let (y, proof) = network::prove_zk::<F, E, _>(&model, &mut hidden, x, &mut rng).unwrap();
        let r = network::revealed_model_leaves_zk(&architecture, &c, &flat(x), &flat(&y), &proof)
            .unwrap();
        assert!(!r.leaves.is_empty(), "the model is opened");
        let width = 1usize << r.leaf_bits;
        positions.extend(
            r.leaves
                .iter()
                .flat_map(|&l| (0..width).map(move |e| l * width + e)),
        );
        values.extend(r.values);
    }
    let doubled = |t: Vec<F>| {
        let mut d = t.clone();
        d.extend(t);
        d
    };
    let columns = codeword_columns(&used, nz, &positions, params.rate_bits, doubled);
    assert!(
        attack(&columns, &values).is_none(),
        "the {} revealed entries of three zero-knowledge proofs contradict every table",
        values.len()
    );
    // Without the mask the same positions would give the table back.
    let mut table = vec![F::ZERO; 1 << nz];
    for (&u, &w) in used.iter().zip(&weights) {
        table[u] = w;
    }
    let word = code::encode_evals(&doubled(table), params.rate_bits).unwrap();
    let honest: Vec<F> = positions.iter().map(|&p| word[p]).collect();
    let system = attack(&columns, &honest).expect("consistent without a mask");
    assert_eq!(system.rank(), used.len());
}

/// The attack on a hidden input (issue 13, "same for a committed input"): a transparent proof
/// carries its input in the clear; zero-knowledge proofs against a committed input
/// (`network::prove_zk_committed_input`) reveal entries of the input commitment's codeword
/// (`f̂ = (x, x + m)`) that, read as the codeword of an unmasked input table, contradict every
/// input — and the same positions without the mask give the input back, so the test can tell.
#[test]
fn zero_knowledge_proofs_on_a_committed_input_reveal_no_input() {
    use zkcnn::model::zoo;
    let model = zoo::lenet5(3);
    let architecture = model.architecture();
    let plan = Plan::new(&architecture).expect("provable");
    let d = &plan.dims[0];
    let used: Vec<usize> = (0..d.logical_len()).map(|i| d.padded_index(i)).collect();
    let params = network::pcs::<F, E>().unwrap().params;
    let x = zoo::random_input(&model.input_shape, model.activation_bits, 77);
    let flat: Vec<i64> = x.iter().copied().collect();

    let mut rng = <ark_std::rand::rngs::StdRng as ark_std::rand::SeedableRng>::seed_from_u64(9);
    let mut hidden = network::commit_model_zk::<F, E, _>(&model, &mut rng).unwrap();
    let mut input = network::commit_input_zk::<F, E, _>(&model, &x, &mut rng).unwrap();
    let cx = input.commitment.clone();
    let n = cx.table_vars();
    let (mut positions, mut values) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let (y, proof) =
            network::prove_zk_committed_input::<F, E, _>(&model, &mut hidden, &mut input, &mut rng)
                .unwrap();
        let y: Vec<i64> = y.iter().copied().collect();
        let r = network::zk::revealed_input_leaves_zk(
            &architecture,
            &hidden.commitment,
            &cx,
            &y,
            &proof,
        )
        .unwrap();
        assert!(!r.leaves.is_empty(), "the input is opened");
        let width = 1usize << r.leaf_bits;
        positions.extend(
            r.leaves
                .iter()
                .flat_map(|&l| (0..width).map(move |e| l * width + e)),
        );
        values.extend(r.values);
    }
    let doubled = |t: Vec<F>| {
        let mut d = t.clone();
        d.extend(t);
        d
    };
    let columns = codeword_columns(&used, n, &positions, params.rate_bits, doubled);
    assert!(
        positions.len() >= used.len(),
        "as many revealed entries ({}) as unknowns ({})",
        positions.len(),
        used.len()
    );
    assert!(
        attack(&columns, &values).is_none(),
        "the {} revealed entries of three zero-knowledge proofs contradict every input",
        values.len()
    );
    // Without the mask the same positions give the input back.
    let mut table = vec![F::ZERO; 1 << n];
    for (&u, &v) in used.iter().zip(&flat) {
        table[u] = zkcnn::field::from_i64(v);
    }
    let word = code::encode_evals(&doubled(table), params.rate_bits).unwrap();
    let honest: Vec<F> = positions.iter().map(|&p| word[p]).collect();
    let system = attack(&columns, &honest).expect("consistent without a mask");
    assert_eq!(system.rank(), used.len());
    let solved = system.solution().unwrap();
    for (&s, &v) in solved.iter().zip(&flat) {
        assert_eq!(s, zkcnn::field::from_i64::<F>(v));
    }
}

/// What masked values tell about a committed table: each is `Σ_k w_k·(T̃(z_k) + β·m̃(z_k))`
/// with `T` the table (of `2^n` entries) and `m` its commitment's mask (base-field entries), so
/// over `F` it is `[E : F]` linear equations in the entries of `T` in `used` (the others are
/// zero, and the attacker knows which) and the mask entries its points read. Returns `(rank of
/// the system, rank of its mask columns alone)`: their difference is the number of independent
/// combinations of the table's entries the values determine.
/// Entries in `known` (the attacker knows their values: a proof's public output in its advice)
/// are moved to the values' side.
fn determined(
    n: usize,
    used: &[usize],
    known: &[(usize, F)],
    values: &[zkcnn::zk::RevealedValue<E>],
) -> (usize, usize) {
    use zkcnn::poly::eq_table;
    // Per revealed value: per table entry its coefficient on `T` and on `m`; the value.
    type Equation = (Vec<(usize, E, E)>, E);
    let mut equations: Vec<Equation> = Vec::new();
    for v in values {
        let mut coeffs: std::collections::BTreeMap<usize, E> = Default::default();
        for (z, w) in &v.terms {
            assert_eq!(z.len(), n, "a point on the packed table");
            for (e, q) in eq_table(z).into_iter().enumerate() {
                if !q.is_zero() {
                    *coeffs.entry(e).or_insert(E::ZERO) += *w * q;
                }
            }
        }
        let known: std::collections::BTreeMap<usize, F> = known.iter().copied().collect();
        let mut value = v.value;
        for (e, a) in &coeffs {
            if let Some(&k) = known.get(e) {
                value -= *a * E::from_base_prime_field(k);
            }
        }
        let row = coeffs
            .into_iter()
            .map(|(e, a)| {
                (
                    e,
                    if known.contains_key(&e) { E::ZERO } else { a },
                    a * v.beta,
                )
            })
            .collect();
        equations.push((row, value));
    }
    // Unknowns: the in-use entries of `T`, then the mask entries read.
    let mut index: std::collections::BTreeMap<(bool, usize), usize> = Default::default();
    for &u in used {
        let next = index.len();
        index.insert((false, u), next);
    }
    let table_unknowns = index.len();
    for (row, _) in &equations {
        for &(e, _, _) in row {
            let next = index.len();
            index.entry((true, e)).or_insert(next);
        }
    }
    let unknowns = index.len();
    let mut all = System {
        unknowns,
        basis: Vec::new(),
    };
    let mut masks = System {
        unknowns: unknowns - table_unknowns,
        basis: Vec::new(),
    };
    let coords = |a: E| -> Vec<F> { a.to_base_prime_field_elements().collect() };
    for (row, value) in &equations {
        let degree = coords(*value).len();
        for d in 0..degree {
            let mut full = vec![F::ZERO; unknowns];
            for &(e, on_t, on_m) in row {
                if let Some(&i) = index.get(&(false, e)) {
                    full[i] += coords(on_t)[d];
                }
                full[index[&(true, e)]] += coords(on_m)[d];
            }
            let mask_part = full[table_unknowns..].to_vec();
            assert!(
                all.add(full, coords(*value)[d]),
                "the revealed values are consistent"
            );
            masks.add(mask_part, F::ZERO);
        }
    }
    (all.rank(), masks.rank())
}

/// The attack on a hidden table: `proofs` zero-knowledge proofs of one committed model, on
/// fresh public inputs (`HiddenTable::Model`) or on one committed input (`HiddenTable::Input`;
/// as many as the prover makes: it refuses a proof the input's mask cannot hide, with the
/// number it made). Returns [`determined`]'s ranks and the proofs made.
fn small_table_attack(
    model: &Model,
    proofs: u64,
    seed: u64,
    table: network::HiddenTable,
) -> ((usize, usize), u64) {
    use zkcnn::model::zoo;
    let architecture = model.architecture();
    let (n, used) = network::zk_entries_in_use::<F, E>(model, table).unwrap();
    let mut rng = <ark_std::rand::rngs::StdRng as ark_std::rand::SeedableRng>::seed_from_u64(seed);
    let mut hidden = network::commit_model_zk::<F, E, _>(model, &mut rng).unwrap();
    let c = hidden.commitment.clone();
    let x = zoo::random_input(&model.input_shape, model.activation_bits, seed);
    let mut committed = match table {
        network::HiddenTable::Input => {
            Some(network::commit_input_zk::<F, E, _>(model, &x, &mut rng).unwrap())
        }
        network::HiddenTable::Model | network::HiddenTable::Advice => None,
    };
    let mut values = Vec::new();
    let mut known = Vec::new();
    let mut made = 0;
    for k in 0..proofs {
        let proved = match &mut committed {
            Some(input) => {
                network::prove_zk_committed_input::<F, E, _>(model, &mut hidden, input, &mut rng)
                    .map(|(y, proof)| (x.clone(), y, proof))
            }
            None => {
                let x =
                    zoo::random_input(&model.input_shape, model.activation_bits, seed ^ (k << 20));
                network::prove_zk::<F, E, _>(model, &mut hidden, &x, &mut rng)
                    .map(|(y, proof)| (x, y, proof))
            }
        };
        let (x, y, proof) = match proved {
            Ok(p) => p,
            Err(network::NetworkError::InputSpent { proofs, .. }) => {
                assert_eq!(proofs, made, "the refusal counts the proofs made");
                break;
            }
            Err(e) => panic!("{e}"),
        };
        made += 1;
        let x: Vec<i64> = x.iter().copied().collect();
        let y: Vec<i64> = y.iter().copied().collect();
        let input = match &committed {
            Some(ci) => network::ZkInput::Committed(&ci.commitment),
            None => network::ZkInput::Public(&x),
        };
        values.extend(
            network::revealed_values_zk(&architecture, &c, input, &y, &proof, table).unwrap(),
        );
        if table == network::HiddenTable::Advice {
            known = network::zk_advice_known::<F, E>(model, &y).unwrap();
        }
    }
    (determined(n, &used, &known, &values), made)
}

/// A tiny dense `4 → 2` model: its bias limbs have two entries and its weight matrix eight (a
/// zero-knowledge plan pads a dense layer's output, and so its bias, to 16 entries).
fn tiny_dense_model() -> Model {
    use zkcnn::model::ir::{Dense, Layer};
    use zkcnn::model::zoo;
    let layers = vec![Layer::Dense(Dense {
        in_features: 4,
        out_features: 2,
        weights: vec![3, -7, 11, 2, -5, 9, 1, -13],
        bias: vec![1234, -4321],
        shift: 0,
        input: None,
    })];
    zoo::calibrated("tiny", &[4], layers, 77).unwrap()
}

/// The hiding gap on small model segments (`spec/zk.md`): a claim on a segment of `2^v` entries
/// reads the commitment's mask on `2^v` entries only, so more than `2^v/[E : F]` proofs made the
/// masked values of a segment dependent in the mask and revealed combinations of its entries —
/// a bias of two outputs after two proofs. Every model segment now sits in a zero-padded block
/// large enough for the commitment's budget, claimed at random points over the whole block:
/// the values of as many proofs determine no combination of weights.
#[test]
fn zero_knowledge_proofs_determine_no_combination_of_a_small_segment() {
    let model = tiny_dense_model();
    let ((all, masks), _) = small_table_attack(&model, 64, 5, network::HiddenTable::Model);
    assert_eq!(
        all - masks,
        0,
        "four proofs' masked values determine {} combinations of the weights",
        all - masks
    );
}

/// The same on a committed input (one segment, read three times per proof: by the first layer
/// and by its two range columns): before the fix two proofs on an input of four entries
/// determined all four. Now the prover refuses a proof that would read the input's mask more
/// often than it has entries (`NetworkError::InputSpent`, counting a read as `[E : F]`
/// functionals): the four-entry input serves no proof at all, and an input of 64 entries serves
/// ten, whose values determine nothing.
#[test]
fn zero_knowledge_proofs_determine_no_combination_of_a_small_input() {
    let model = tiny_dense_model();
    let (_, made) = small_table_attack(&model, 8, 6, network::HiddenTable::Input);
    assert_eq!(made, 0, "four entries cannot hide one proof's three reads");
    let mut wide = tiny_dense_model();
    if let zkcnn::model::ir::Layer::Dense(d) = &mut wide.layers[0] {
        d.in_features = 64;
        d.weights = (0..128).map(|k| (k % 17) - 8).collect();
    }
    wide.input_shape = vec![64];
    let ((all, masks), made) = small_table_attack(&wide, 12, 7, network::HiddenTable::Input);
    assert_eq!(made, 10, "64 entries hide ten proofs of three reads");
    assert_eq!(
        all - masks,
        0,
        "ten proofs determine {} combinations",
        all - masks
    );
}

/// The same on a proof's own advice (its activations, remainders and range columns, under a
/// fresh mask per proof), the public output's entries subtracted as known: one proof of the
/// MLP determines no combination of its hidden advice. A claim on an advice segment of `2^v`
/// entries reads its mask on those entries only, so a tensor read more than `2^v/[E : F]` times
/// in one proof is not hidden: before the zero-knowledge plan padded a dense layer's output to
/// 16 entries (`spec/zk.md`, "The advice"), one proof of the dense `4 → 2` model [`tiny_dense_model`]
/// determined 2 combinations of its hidden advice (its remainder limbs: two entries, three
/// reads). It now determines none.
#[test]
fn a_zero_knowledge_proof_determines_no_combination_of_its_advice() {
    let mlp = zkcnn::model::zoo::mlp(3);
    let ((all, masks), made) = small_table_attack(&mlp, 1, 41, network::HiddenTable::Advice);
    assert_eq!(made, 1);
    assert!(masks > 0, "the attack reads the masked values");
    assert_eq!(
        all - masks,
        0,
        "one proof's masked values determine {} combinations of the MLP's advice",
        all - masks
    );
    let tiny = tiny_dense_model();
    let ((all, masks), made) = small_table_attack(&tiny, 1, 42, network::HiddenTable::Advice);
    assert_eq!(made, 1);
    assert!(masks > 0, "the attack reads the masked values");
    assert_eq!(
        all - masks,
        0,
        "one proof's masked values determine {} combinations of the 4 → 2 model's advice",
        all - masks
    );
}

/// `[16]` → dense 16 → 16 (layer 0), then `adds` residual adds each adding layer 0's output to
/// the previous one: layer 0's output is read by every add.
fn fan_out_model(adds: usize) -> Model {
    use zkcnn::model::ir::{Add, Dense, Layer};
    use zkcnn::model::zoo;
    let mut layers = vec![Layer::Dense(Dense {
        in_features: 16,
        out_features: 16,
        weights: (0..256).map(|k| (k * 7 % 23) - 11).collect(),
        bias: (0..16).map(|k| 40 * k - 300).collect(),
        shift: 0,
        input: None,
    })];
    for _ in 0..adds {
        layers.push(Layer::Add(Add {
            from: 0,
            shift: 0,
            input: None,
        }));
    }
    zoo::calibrated("fan-out", &[16], layers, 91).unwrap()
}

/// A proof that would read an advice tensor in more masked values than its mask hides is
/// refused before anything is sent (`NetworkError::AdviceReads`, naming the layer that commits
/// it): layer 0's output of 16 entries, read by eight adds. With two adds it is hidden: the
/// proof verifies and the attack on its advice determines nothing.
#[test]
fn a_proof_reading_an_advice_tensor_beyond_its_mask_is_refused() {
    use zkcnn::model::zoo;
    let model = fan_out_model(8);
    let mut rng = <ark_std::rand::rngs::StdRng as ark_std::rand::SeedableRng>::seed_from_u64(3);
    let mut hidden = network::commit_model_zk::<F, E, _>(&model, &mut rng).unwrap();
    let x = zoo::random_input(&model.input_shape, model.activation_bits, 5);
    let err = network::prove_zk::<F, E, _>(&model, &mut hidden, &x, &mut rng).unwrap_err();
    match &err {
        network::NetworkError::AdviceReads {
            layer: Some(0),
            entries: 16,
            reads,
            degree: 2,
        } => assert!(2 * reads > 16, "{err}"),
        other => panic!("expected AdviceReads on layer 0, got {other}"),
    }
    let message = err.to_string();
    assert!(
        message.contains("layer 0 commits a hidden tensor of 16 entries"),
        "{message}"
    );
    let hidden_reads = fan_out_model(2);
    let ((all, masks), made) =
        small_table_attack(&hidden_reads, 1, 43, network::HiddenTable::Advice);
    assert_eq!(made, 1);
    assert!(masks > 0, "the attack reads the masked values");
    assert_eq!(
        all - masks,
        0,
        "two adds' proof determines {} combinations",
        all - masks
    );
}

/// The same attack on zero-knowledge **batch** proofs (`network::prove_batch_zk`): the
/// revealed entries of the model commitment's codeword from two batch proofs (3 and 5 inputs)
/// contradict every table, and the same positions without the mask give the table back (so
/// the test can tell) — for a dense model, and for a convolution model (conv, ReLU, 2×2
/// max-pool, flatten, dense: its kernel read through the batch's folded step).
#[test]
fn zero_knowledge_batch_proofs_reveal_no_table() {
    batch_proofs_reveal_no_table(zkcnn::model::zoo::mlp(7));
    batch_proofs_reveal_no_table(crate::zk_batch::conv_net("conv-maxpool-small", 7));
}

fn batch_proofs_reveal_no_table(model: zkcnn::model::Model) {
    use zkcnn::model::zoo;
    let architecture = model.architecture();
    let (_, used) = in_use(&architecture);
    let params = network::pcs::<F, E>().unwrap().params;
    let flat = |a: &ndarray::ArrayD<i64>| -> Vec<i64> { a.iter().copied().collect() };
    let mut rng = <ark_std::rand::rngs::StdRng as ark_std::rand::SeedableRng>::seed_from_u64(9);
    let mut hidden = network::commit_model_zk::<F, E, _>(&model, &mut rng).unwrap();
    let c = hidden.commitment.clone();
    let nz = c.table_vars();
    let (mut positions, mut values) = (Vec::new(), Vec::new());
    for (n, seed) in [(3u64, 60u64), (5, 70)] {
        let xs: Vec<_> = (0..n)
            .map(|s| zoo::random_input(&model.input_shape, model.activation_bits, seed + s))
            .collect();
        let (ys, proof) =
            network::prove_batch_zk::<F, E, _>(&model, &mut hidden, &xs, &mut rng).unwrap();
        let (x, y): (Vec<Vec<i64>>, Vec<Vec<i64>>) =
            (xs.iter().map(flat).collect(), ys.iter().map(flat).collect());
        let xr: Vec<&[i64]> = x.iter().map(Vec::as_slice).collect();
        let yr: Vec<&[i64]> = y.iter().map(Vec::as_slice).collect();
        let r =
            network::zk_batch::revealed_model_leaves_batch_zk(&architecture, &c, &xr, &yr, &proof)
                .unwrap();
        assert!(!r.leaves.is_empty(), "the model is opened");
        let width = 1usize << r.leaf_bits;
        positions.extend(
            r.leaves
                .iter()
                .flat_map(|&l| (0..width).map(move |e| l * width + e)),
        );
        values.extend(r.values);
    }
    let doubled = |t: Vec<F>| {
        let mut d = t.clone();
        d.extend(t);
        d
    };
    let columns = codeword_columns(&used, nz, &positions, params.rate_bits, doubled);
    assert!(
        attack(&columns, &values).is_none(),
        "the {} revealed entries of two zero-knowledge batch proofs contradict every table",
        values.len()
    );
    // Without the mask the same positions give a table back (any table: random entries).
    let mut table = vec![F::ZERO; 1 << nz];
    let weights: Vec<F> = used.iter().map(|&u| F::from(u as u64 * 7 + 3)).collect();
    for (&u, &w) in used.iter().zip(&weights) {
        table[u] = w;
    }
    let word = code::encode_evals(&doubled(table), params.rate_bits).unwrap();
    let honest: Vec<F> = positions.iter().map(|&p| word[p]).collect();
    let system = attack(&columns, &honest).expect("consistent without a mask");
    assert_eq!(system.rank(), used.len());
    assert_eq!(system.solution().unwrap(), weights);
}

/// The attack on hidden labels (issue 15: "neither the model nor the test set leaks"): three
/// zero-knowledge accuracy proofs over one committed labelled dataset
/// (`network::prove_accuracy_zk_dataset`) reveal entries of the labels commitment's codeword
/// (`f̂ = (L, L + m)`, `L` the one-hot table) that, read as the codeword of an unmasked table
/// nonzero only where a label can be (a real class of a real input), contradict every such
/// table — and the same positions without the mask give the labels back, so the test can tell.
#[test]
fn zero_knowledge_accuracy_proofs_on_a_committed_dataset_reveal_no_labels() {
    use crate::zk_accuracy::{labels_for, setup, CLASSES};
    let n_inputs = 3;
    let mut s = setup::<F, E>(n_inputs, 81);
    let labels = labels_for(&s.model, &s.xs, 81);
    let model = s.model.clone();
    let params = network::pcs::<F, E>().unwrap().params;
    let mut dataset =
        network::commit_dataset_zk::<F, E, _>(&model, &s.xs, &labels, &mut s.rng).unwrap();
    let d = dataset.commitment();
    let n = d.labels.table_vars();
    // `L(k, i)` at `i·16 + k` (16 padded classes): a label is a real class of a real input.
    let width = 16;
    let used: Vec<usize> = (0..n_inputs)
        .flat_map(|i| (0..CLASSES).map(move |k| i * width + k))
        .collect();
    let (mut positions, mut values) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let proof = network::prove_accuracy_zk_dataset::<F, E, _>(
            &model,
            &mut s.committed,
            &mut dataset,
            &mut s.rng,
        )
        .unwrap();
        let r = network::zk_accuracy::revealed_labels_leaves_zk(&model, &s.checked, &d, &proof)
            .unwrap();
        assert!(!r.leaves.is_empty(), "the labels are opened");
        let leaf = 1usize << r.leaf_bits;
        positions.extend(
            r.leaves
                .iter()
                .flat_map(|&l| (0..leaf).map(move |e| l * leaf + e)),
        );
        values.extend(r.values);
    }
    let doubled = |t: Vec<F>| {
        let mut d = t.clone();
        d.extend(t);
        d
    };
    let columns = codeword_columns(&used, n, &positions, params.rate_bits, doubled);
    assert!(
        positions.len() >= used.len(),
        "as many revealed entries ({}) as unknowns ({})",
        positions.len(),
        used.len()
    );
    assert!(
        attack(&columns, &values).is_none(),
        "the {} revealed entries of three zero-knowledge proofs contradict every label table",
        values.len()
    );
    // Without the mask the same positions give the labels back.
    let mut table = vec![F::ZERO; 1 << n];
    for (i, &l) in labels.iter().enumerate() {
        table[i * width + l] = F::from(1u64);
    }
    let word = code::encode_evals(&doubled(table), params.rate_bits).unwrap();
    let honest: Vec<F> = positions.iter().map(|&p| word[p]).collect();
    let system = attack(&columns, &honest).expect("consistent without a mask");
    assert_eq!(system.rank(), used.len());
    let solved = system.solution().unwrap();
    for (i, &l) in labels.iter().enumerate() {
        for k in 0..CLASSES {
            let want = if k == l { F::from(1u64) } else { F::ZERO };
            assert_eq!(solved[i * CLASSES + k], want, "L({k}, {i})");
        }
    }
}
