use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use merlin::Transcript;
use zkcnn::field::{Goldilocks as F, GoldilocksExt2 as E};
use zkcnn::poly::evaluate_base;
use zkcnn::range;

#[test]
fn smoke() {
    let mut rng = StdRng::seed_from_u64(1);
    for (sizes, bits) in [
        (vec![0usize], 1usize),
        (vec![3, 0, 2, 2], 3),
        (vec![5], 4),
        (vec![1, 1, 1], 2),
        (vec![6, 2, 0], 8),
    ] {
        let cols: Vec<Vec<F>> = sizes
            .iter()
            .map(|&n| {
                (0..1 << n)
                    .map(|_| F::from(rng.gen_range(0..1u64 << bits)))
                    .collect()
            })
            .collect();
        let refs: Vec<&[F]> = cols.iter().map(|c| c.as_slice()).collect();
        let m = range::multiplicities(&refs, bits).unwrap();
        let (proof, claims) =
            range::prove::<F, E>(&refs, bits, &m, &mut Transcript::new(b"t")).unwrap();
        let v = range::verify::<F, E>(&sizes, bits, &proof, &mut Transcript::new(b"t")).unwrap();
        assert_eq!(v, claims);
        for (c, cl) in cols.iter().zip(&claims.columns) {
            assert_eq!(evaluate_base(c, &cl.point), cl.value);
        }
        assert_eq!(
            evaluate_base(&m, &claims.multiplicities.point),
            claims.multiplicities.value
        );
    }
}
