"""Zero-knowledge batch and accuracy proofs made in Python (`prove_batch` and `prove_accuracy`
with a hiding commitment): round trips against the transparent proofs' outputs and counts,
the budget they spend, the exact refusals, and the CLI's verifier on Python's bytes."""

import numpy as np
import pytest
import zkcnn

from test_batch import PROOF_HEADER, batch, cli_verifies, first_max_correct, labels, needs_cli, raises  # noqa: F401 (fixtures)


@pytest.fixture(scope="module")
def hiding(lenet) -> zkcnn.CommittedModel:
    """A hiding commitment of its own (the counts below are this module's proofs only)."""
    return lenet.commit()


@pytest.fixture(scope="module")
def zk_batch(hiding, digits):
    """(xs, ys, proof, spent): a zero-knowledge proof of the first 3 digits, and the mask
    values it revealed."""
    xs = digits[:3]
    before = hiding.revealed
    ys, proof = zkcnn.prove_batch(hiding, xs)
    return xs, ys, proof, hiding.revealed - before


@pytest.fixture(scope="module")
def zk_accuracy(hiding, digits, labels):
    """(xs, labels, count, proof): a zero-knowledge accuracy proof on the first 4 digits, one
    label flipped."""
    xs = digits[:4]
    ls = labels[:4].copy()
    ls[1] = (ls[1] + 1) % 10
    count, proof = zkcnn.prove_accuracy(hiding, xs, ls)
    return xs, ls, count, proof


def test_zk_batch_round_trip(hiding, batch, zk_batch):
    xs, ys, proof, spent = zk_batch
    # The same outputs as the transparent batch proof of the same digits.
    txs, tys, _ = batch
    np.testing.assert_array_equal(xs, txs)
    np.testing.assert_array_equal(ys, tys)
    assert proof[10] == 4  # kind: zero-knowledge batch
    arch, c = hiding.architecture, hiding.commitment
    assert zkcnn.verify(arch, c, xs, ys, proof) is None
    assert zkcnn.verify(arch, c, xs, ys, proof, kind="zk") is None
    # It spent part of the budget, as one proof does.
    assert spent > 0
    assert hiding.revealed <= hiding.budget
    # The prover's randomness: two proofs of one batch differ, both verify.
    again_ys, again = zkcnn.prove_batch(hiding, xs)
    np.testing.assert_array_equal(again_ys, ys)
    assert again != proof
    assert zkcnn.verify(arch, c, xs, ys, again) is None


def test_zk_batch_refusals(hiding, committed, zk_batch):
    xs, ys, proof, _ = zk_batch
    arch, c = hiding.architecture, hiding.commitment
    changed = ys.copy()
    changed[1, 0] += 1
    with raises(zkcnn.StatementError, "statement"):
        zkcnn.verify(arch, c, xs, changed, proof)
    with raises(zkcnn.StatementError, "statement"):
        zkcnn.verify(arch, c, xs[[1, 0, 2]], ys, proof)
    with raises(zkcnn.ProofFormatError, "body"):
        zkcnn.verify(arch, c, xs, ys, proof[:-100])
    with raises(zkcnn.ProofFormatError, "kind"):
        zkcnn.verify(arch, c, xs, ys, proof, kind="transparent")
    # A body byte flipped (past the header): refused, never accepted.
    forged = bytearray(proof)
    forged[PROOF_HEADER + 200] ^= 1
    with pytest.raises(zkcnn.VerifyError):
        zkcnn.verify(arch, c, xs, ys, bytes(forged))
    # The transparent commitment of the same model does not verify it.
    with pytest.raises(zkcnn.VerifyError):
        zkcnn.verify(arch, committed.commitment, xs, ys, proof)


def test_zk_batch_of_one_is_a_single_proof(hiding, digits):
    ys, proof = zkcnn.prove_batch(hiding, digits[:1])
    assert ys.shape[0] == 1
    assert proof[10] == 1  # kind: zero-knowledge (one input)
    assert zkcnn.verify(hiding.architecture, hiding.commitment, digits[:1], ys, proof) is None


def test_zk_accuracy_round_trip(hiding, committed, zk_accuracy):
    xs, ls, count, proof = zk_accuracy
    assert count == first_max_correct(committed, xs, ls) == 3  # label 1 flipped
    assert proof[10] == 5  # kind: zero-knowledge accuracy
    arch, c = hiding.architecture, hiding.commitment
    assert zkcnn.verify(arch, c, xs, ls, proof) is None
    assert zkcnn.verify_accuracy(arch, c, xs, ls, proof) == count
    # Another label flipped: another statement.
    flipped = ls.copy()
    flipped[0] = (flipped[0] + 1) % 10
    with raises(zkcnn.StatementError, "statement"):
        zkcnn.verify_accuracy(arch, c, xs, flipped, proof)
    with raises(zkcnn.ProofFormatError, "body"):
        zkcnn.verify_accuracy(arch, c, xs, ls, proof[: len(proof) // 2])
    # The claimed count off by one, the rest unchanged: the transcript binds it.
    at = PROOF_HEADER + 8  # the body: count N (u64), then the count of correct ones (u64)
    assert int.from_bytes(proof[PROOF_HEADER:at], "little") == 4
    assert int.from_bytes(proof[at : at + 8], "little") == count
    for claimed in (count - 1, count + 1):
        forged = proof[:at] + claimed.to_bytes(8, "little") + proof[at + 8 :]
        with pytest.raises(zkcnn.RejectedError):
            zkcnn.verify_accuracy(arch, c, xs, ls, forged)


def test_zk_accuracy_refusals(hiding, digits, labels):
    xs, ls = digits[:2], labels[:2]
    with raises(zkcnn.InputError, "labels"):
        zkcnn.prove_accuracy(hiding, xs, ls + 10)
    with raises(zkcnn.InputError, "shard"):
        zkcnn.prove_accuracy(hiding, xs, ls, shard=(0, 1))


@needs_cli
def test_python_zk_batch_and_accuracy_verify_in_cli(tmp_path, hiding, zk_batch, zk_accuracy):
    cli_verifies(tmp_path, hiding, zk_batch, zk_accuracy)
