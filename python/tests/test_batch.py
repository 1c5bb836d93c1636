"""Batch proofs, accuracy proofs and sharded accuracy through Python (transparent; the
zero-knowledge batch and accuracy proofs are test_zk_batch.py's): round trips, the exact exception and kind for each refusal, and the CLI's bytes both ways (the
`zkcnn` binary of target/release or $ZKCNN_BIN, skipped when absent, as test_cli.py)."""

import contextlib
import json

import numpy as np
import pytest
import zkcnn

from conftest import LENET
from test_cli import cli, pytestmark as cli_mark

PROOF_HEADER = 8 + 2 + 1 + 1 + 32  # magic, version, kind, field, statement digest
needs_cli = cli_mark  # test_cli's: skipped when the binary is not built and ZKCNN_BIN is not set


@contextlib.contextmanager
def raises(exc, kind):
    """pytest.raises of exactly `exc` (not a subclass), with `kind`."""
    with pytest.raises(exc) as info:
        yield info
    assert type(info.value) is exc, (type(info.value), str(info.value))
    assert info.value.kind == kind, (info.value.kind, str(info.value))


@pytest.fixture(scope="session")
def labels() -> np.ndarray:
    """The 8 test digits' labels, int64."""
    return np.load(LENET / "test-labels.npy").astype(np.int64)


@pytest.fixture(scope="session")
def batch(committed, digits):
    """(xs, ys, proof): a batch proof of the first 3 digits."""
    xs = digits[:3]
    ys, proof = zkcnn.prove_batch(committed, xs)
    return xs, ys, proof


@pytest.fixture(scope="session")
def accuracy(committed, digits, labels):
    """(xs, labels, count, proof): an accuracy proof on the first 4 digits, one label flipped."""
    xs = digits[:4]
    ls = labels[:4].copy()
    ls[1] = (ls[1] + 1) % 10
    count, proof = zkcnn.prove_accuracy(committed, xs, ls)
    return xs, ls, count, proof


def first_max_correct(committed, xs, ls) -> int:
    """numpy's count: the first maximal logit (np.argmax) of the proven outputs against the labels."""
    ys = np.stack([zkcnn.prove(committed, x)[0] for x in xs])
    return int((ys.reshape(len(xs), -1).argmax(axis=1) == ls).sum())


# ---- batch proofs ----------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 3, 4])
def test_batch_round_trip(committed, digits, n):
    xs = digits[:n]
    seen = []
    ys, proof = zkcnn.prove_batch(committed, xs, progress=lambda phase, s: seen.append((phase, s)))
    assert ys.dtype == np.int64 and ys.shape == (n, 10)
    assert seen[0] == ("prove", None) and seen[-1][0] == "prove" and seen[-1][1] > 0
    assert any(phase.startswith("prove: ") for phase, _ in seen)
    for x, y in zip(xs, ys):  # each output is the single proof's
        assert np.array_equal(zkcnn.prove(committed, x)[0], y)
    zkcnn.verify(committed.architecture, committed.commitment, xs, ys, proof)
    zkcnn.verify(committed.architecture, committed.commitment, xs, ys, proof, kind="transparent")
    kind = proof[10]  # the header's kind byte: 0 transparent, 2 transparent batch
    if n == 1:
        # The CLI's rule: a batch of one is one input, a single proof (the same bytes).
        assert kind == 0
        assert proof == zkcnn.prove(committed, xs[0])[1]
    else:
        assert kind == 2


def test_batch_refusals(committed, batch, proved, lenet):
    xs, ys, proof = batch
    arch, c = committed.architecture, committed.commitment
    changed = ys.copy()
    changed[2, 3] += 1
    with raises(zkcnn.StatementError, "statement"):
        zkcnn.verify(arch, c, xs, changed, proof)
    swapped = xs[[1, 0, 2]]
    with raises(zkcnn.StatementError, "statement"):
        zkcnn.verify(arch, c, swapped, ys, proof)
    with raises(zkcnn.StatementError, "statement"):  # outputs swapped with their inputs still fail
        zkcnn.verify(arch, c, swapped, ys[[1, 0, 2]], proof)
    with raises(zkcnn.ProofFormatError, "body") as e:
        zkcnn.verify(arch, c, xs, ys, proof[:-100])
    assert "truncated" in str(e.value)
    # A proof of another kind: the single proof of xs[0] against the batch.
    x, y, single = proved
    with raises(zkcnn.InputError, "shape"):
        zkcnn.verify(arch, c, xs, ys, single)
    # ... and a batch proof given one input and its output.
    with raises(zkcnn.InputError, "shape"):
        zkcnn.verify(arch, c, x, y, proof)
    with raises(zkcnn.ProofFormatError, "kind"):
        zkcnn.verify(arch, c, xs, ys, proof, kind="zk")
    with raises(zkcnn.InputError, "shape"):  # outputs not [N, ...]
        zkcnn.verify(arch, c, xs, ys[:2], proof)
    with raises(zkcnn.InputError, "shape"):  # N = 0
        zkcnn.prove_batch(committed, xs[:0])
    with raises(zkcnn.InputError, "shape"):  # one input without its batch dimension
        zkcnn.prove_batch(committed, xs[0, 0])


def test_batch_of_integer_model(mlp):
    committed = mlp.commit(transparent=True)
    xs = np.random.default_rng(5).integers(-100, 100, (5, 24)).astype(np.int64)
    ys, proof = zkcnn.prove_batch(committed, xs)
    assert ys.shape == (5, 10)
    zkcnn.verify(mlp, committed.commitment, xs, ys, proof)
    with raises(zkcnn.InputError, "dtype"):
        zkcnn.prove_batch(committed, xs.astype(np.float32))


# ---- accuracy proofs -------------------------------------------------------------------------


def test_accuracy_round_trip(committed, accuracy):
    xs, ls, count, proof = accuracy
    assert count == first_max_correct(committed, xs, ls) == 3  # label 1 flipped
    arch, c = committed.architecture, committed.commitment
    assert zkcnn.verify(arch, c, xs, ls, proof) is None
    assert zkcnn.verify_accuracy(arch, c, xs, ls, proof) == count
    assert proof[10] == 3  # kind: transparent accuracy


def test_accuracy_of_one_input(committed, digits, labels):
    count, proof = zkcnn.prove_accuracy(committed, digits[:1], labels[:1])
    assert count == 1
    assert zkcnn.verify_accuracy(committed.architecture, committed.commitment, digits[:1], labels[:1], proof) == 1


def test_accuracy_refusals(committed, accuracy, batch, zk_committed):
    xs, ls, count, proof = accuracy
    arch, c = committed.architecture, committed.commitment
    flipped = ls.copy()
    flipped[0] = (flipped[0] + 1) % 10
    with raises(zkcnn.StatementError, "statement"):
        zkcnn.verify_accuracy(arch, c, xs, flipped, proof)
    # The proof's own count off by one, the rest of the proof unchanged: the transcript binds it.
    at = PROOF_HEADER + 8  # the body: count N (u64), then the count of correct ones (u64)
    assert int.from_bytes(proof[PROOF_HEADER:at], "little") == 4
    assert int.from_bytes(proof[at : at + 8], "little") == count
    for claimed in (count - 1, count + 1):
        forged = proof[:at] + claimed.to_bytes(8, "little") + proof[at + 8 :]
        with pytest.raises(zkcnn.RejectedError) as e:
            zkcnn.verify_accuracy(arch, c, xs, ls, forged)
        assert type(e.value) is zkcnn.RejectedError
    with raises(zkcnn.ProofFormatError, "body"):
        zkcnn.verify_accuracy(arch, c, xs, ls, proof[: len(proof) // 2])
    # Proofs of another kind.
    bxs, bys, bproof = batch
    with raises(zkcnn.ProofFormatError, "kind"):
        zkcnn.verify_accuracy(arch, c, bxs, np.zeros(3, np.int64), bproof)
    with raises(zkcnn.StatementError, "statement"):  # verify reads it as a batch proof
        zkcnn.verify(arch, c, xs[:3], np.zeros((3, 10), np.int64), proof[:10] + bytes([2]) + proof[11:])
    # Labels: one per input, classes of the model.
    with raises(zkcnn.InputError, "shape"):
        zkcnn.verify_accuracy(arch, c, xs, ls[:3], proof)
    with raises(zkcnn.InputError, "range"):
        zkcnn.prove_accuracy(committed, xs, -ls - 1)
    with raises(zkcnn.InputError, "labels"):
        zkcnn.prove_accuracy(committed, xs, ls + 10)
    # Shards are transparent: a hiding commitment's shard is refused before proving.
    with raises(zkcnn.InputError, "shard") as e:
        zkcnn.prove_accuracy(zk_committed, xs, ls, shard=(0, 2))
    assert "commit-dataset" in str(e.value)


# ---- shards ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def shards(committed, digits, labels):
    """(xs, ls, {name: proof}, [entries]): the first 4 digits as shards 0..2 and 2..4 (label 2
    flipped), and the overlapping shard 1..3."""
    xs = digits[:4]
    ls = labels[:4].copy()
    ls[2] = (ls[2] + 3) % 10
    proofs, entries = {}, []
    for s in [(0, 2), (2, 4), (1, 3)]:
        count, proof, entry = zkcnn.prove_accuracy(committed, xs, ls, shard=s)
        assert entry == {"start": s[0], "end": s[1], "correct": count, "proof": f"shard-{s[0]}-{s[1]}.proof"}
        proofs[entry["proof"]] = proof
        entries.append(entry)
    return xs, ls, proofs, entries


def test_shards_cover(committed, shards):
    xs, ls, proofs, entries = shards
    arch, c = committed.architecture, committed.commitment
    manifest = zkcnn.shard_manifest(arch, c, xs, ls, entries[:2])
    assert manifest["count"] == 4 and manifest["model_commitment"] == committed.root
    total = zkcnn.verify_shards(arch, c, xs, ls, manifest, proofs)
    expected = first_max_correct(committed, xs, ls)
    assert expected == 3
    assert total == {"count": 4, "covered": 4, "correct": expected, "gaps": [], "shards": 2}
    # The JSON text, a list of proofs in the manifest's order, and the other shard order.
    reordered = dict(manifest, shards=manifest["shards"][::-1])
    in_order = [proofs[e["proof"]] for e in reordered["shards"]]
    assert zkcnn.verify_shards(arch, c, xs, ls, json.dumps(reordered), in_order) == total
    # A shard's proof verifies alone as an accuracy proof of its slice.
    assert zkcnn.verify_accuracy(arch, c, xs[2:4], ls[2:4], proofs["shard-2-4.proof"]) == entries[1]["correct"]


def test_shards_refusals(committed, shards, digits, labels):
    xs, ls, proofs, entries = shards
    arch, c = committed.architecture, committed.commitment

    def manifest(es, xs=xs, ls=ls):
        return zkcnn.shard_manifest(arch, c, xs, ls, es)

    # A gap: refused unless allowed, then reported.
    with raises(zkcnn.RejectedError, "gap") as e:
        zkcnn.verify_shards(arch, c, xs, ls, manifest(entries[:1]), proofs)
    assert "2..4" in str(e.value)
    total = zkcnn.verify_shards(arch, c, xs, ls, manifest(entries[:1]), proofs, allow_gaps=True)
    assert total == {"count": 4, "covered": 2, "correct": entries[0]["correct"], "gaps": [(2, 4)], "shards": 1}
    # An overlap, allowed gaps or not.
    for allow in (False, True):
        with raises(zkcnn.RejectedError, "overlap"):
            zkcnn.verify_shards(arch, c, xs, ls, manifest(entries), proofs, allow_gaps=allow)
    # A claimed count off by one.
    lying = [dict(entries[0], correct=entries[0]["correct"] - 1), entries[1]]
    with raises(zkcnn.RejectedError, "claimed"):
        zkcnn.verify_shards(arch, c, xs, ls, manifest(lying), proofs)
    # Another dataset: the manifest's digest, then the shard proofs against another dataset's
    # slices (a manifest made for that dataset with these proofs).
    other_xs, other_ls = digits[4:8], labels[4:8]
    with raises(zkcnn.StatementError, "dataset"):
        zkcnn.verify_shards(arch, c, other_xs, other_ls, manifest(entries[:2]), proofs)
    with raises(zkcnn.StatementError, "statement") as e:
        zkcnn.verify_shards(arch, c, other_xs, other_ls, manifest(entries[:2], other_xs, other_ls), proofs)
    assert "shard 0" in str(e.value)
    relabelled = ls.copy()
    relabelled[3] = (relabelled[3] + 1) % 10
    with raises(zkcnn.StatementError, "statement") as e:  # one label of shard 1 changed
        zkcnn.verify_shards(arch, c, xs, relabelled, manifest(entries[:2], xs, relabelled), proofs)
    assert "shard 1" in str(e.value)
    # Another model commitment: the manifest's id, and another commitment given.
    m = manifest(entries[:2])
    with raises(zkcnn.StatementError, "model_commitment"):
        zkcnn.verify_shards(arch, c, xs, ls, dict(m, model_commitment="00" * 32), proofs)
    # The manifest's own format.
    with raises(zkcnn.ProofFormatError, "version"):
        zkcnn.verify_shards(arch, c, xs, ls, dict(m, version=2), proofs)
    with raises(zkcnn.ProofFormatError, "manifest"):
        zkcnn.verify_shards(arch, c, xs, ls, "{not json", proofs)
    with raises(zkcnn.ProofFormatError, "proof_path"):
        manifest([dict(entries[0], proof="../x.proof")])
    with raises(zkcnn.ProofFormatError, "shard_count"):
        manifest([])
    with raises(zkcnn.ProofFormatError, "manifest"):  # an entry without its count
        manifest([{"start": 0, "end": 2, "proof": "a.proof"}])
    with raises(zkcnn.InputError, "type"):
        manifest([{"start": 0, "end": 2, "correct": 1, "proof": b"not a str"}])
    # Proofs: a missing name, a wrong count, a shard proof swapped for another's.
    with raises(zkcnn.InputError, "proofs"):
        zkcnn.verify_shards(arch, c, xs, ls, m, {})
    with raises(zkcnn.InputError, "proofs"):
        zkcnn.verify_shards(arch, c, xs, ls, m, [proofs["shard-0-2.proof"]])
    swapped = dict(proofs, **{"shard-0-2.proof": proofs["shard-2-4.proof"]})
    with raises(zkcnn.StatementError, "statement"):
        zkcnn.verify_shards(arch, c, xs, ls, m, swapped)
    with raises(zkcnn.InputError, "shard"):  # past the end
        zkcnn.prove_accuracy(committed, xs, ls, shard=(2, 5))
    with raises(zkcnn.InputError, "shard"):  # empty
        zkcnn.prove_accuracy(committed, xs, ls, shard=(2, 2))
    for bad in [(-1, 2), (0, 2, 4), "0..2"]:
        with raises(zkcnn.InputError, "shard"):
            zkcnn.prove_accuracy(committed, xs, ls, shard=bad)  # type: ignore[call-overload]


# ---- the CLI's bytes -------------------------------------------------------------------------


@needs_cli
def test_cli_batch_and_shards_verify_in_python(tmp_path, lenet, committed, batch, shards):
    xs, ys, proof = batch
    (tmp_path / "model.json").write_text(lenet.to_json())
    np.save(tmp_path / "xs.npy", xs)
    r = cli("prove", "--transparent", tmp_path / "model.json", tmp_path / "xs.npy", "-o", tmp_path / "b.proof",
            "--output", tmp_path / "out.json")
    assert r.returncode == 0, r.stderr
    cli_ys = np.array([o["output"] for o in json.loads((tmp_path / "out.json").read_text())], np.int64)
    assert np.array_equal(cli_ys, ys)
    cli_proof = (tmp_path / "b.proof").read_bytes()
    assert cli_proof == proof
    zkcnn.verify(committed.architecture, committed.commitment, xs, cli_ys, cli_proof)

    sxs, sls, proofs, entries = shards
    np.save(tmp_path / "sxs.npy", sxs)
    np.save(tmp_path / "sls.npy", sls)
    r = cli("--json", "prove", "--transparent", tmp_path / "model.json", tmp_path / "sxs.npy", "--labels",
            tmp_path / "sls.npy", "--shard", "2..4", "-o", tmp_path / "s.proof")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    manifest = zkcnn.shard_manifest(committed.architecture, committed.commitment, sxs, sls, entries[:2])
    assert report["model_commitment"] == manifest["model_commitment"]
    assert report["dataset"] == manifest["dataset"] and report["dataset_count"] == 4
    assert report["shard"]["correct"] == entries[1]["correct"]
    cli_shard = (tmp_path / "s.proof").read_bytes()
    assert cli_shard == proofs["shard-2-4.proof"]
    total = zkcnn.verify_shards(committed.architecture, committed.commitment, sxs, sls, manifest,
                                dict(proofs, **{"shard-2-4.proof": cli_shard}))
    assert total["correct"] == entries[0]["correct"] + entries[1]["correct"]


def cli_verifies(tmp_path, committed, batch, accuracy):
    """The CLI verifies a batch proof `(xs, ys, proof)` and an accuracy proof `(xs, labels,
    count, proof)` made in Python with `committed` (either kind): "valid", and the same count.
    Writes `arch.json` and `model.commit` into `tmp_path`."""
    (tmp_path / "arch.json").write_text(committed.architecture)
    (tmp_path / "model.commit").write_bytes(committed.commitment)
    xs, ys, proof = batch[:3]
    np.save(tmp_path / "xs.npy", xs)
    (tmp_path / "ys.json").write_text(json.dumps([{"output": y} for y in ys.tolist()]))
    (tmp_path / "b.proof").write_bytes(proof)
    r = cli("verify", tmp_path / "arch.json", tmp_path / "model.commit", tmp_path / "xs.npy", tmp_path / "ys.json",
            tmp_path / "b.proof")
    assert r.returncode == 0 and r.stdout.startswith("valid"), r.stdout + r.stderr

    axs, als, count, aproof = accuracy
    np.save(tmp_path / "axs.npy", axs)
    np.save(tmp_path / "als.npy", als)
    (tmp_path / "a.proof").write_bytes(aproof)
    r = cli("--json", "verify", tmp_path / "arch.json", tmp_path / "model.commit", tmp_path / "axs.npy",
            tmp_path / "als.npy", tmp_path / "a.proof")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["correct"] == count


@needs_cli
def test_python_batch_accuracy_and_shards_verify_in_cli(tmp_path, committed, batch, accuracy, shards):
    cli_verifies(tmp_path, committed, batch, accuracy)

    sxs, sls, proofs, entries = shards
    np.save(tmp_path / "sxs.npy", sxs)
    np.save(tmp_path / "sls.npy", sls)
    manifest = zkcnn.shard_manifest(committed.architecture, committed.commitment, sxs, sls, entries[:2])
    (tmp_path / "set.json").write_text(json.dumps(manifest))
    for name, b in proofs.items():
        (tmp_path / name).write_bytes(b)
    r = cli("--json", "verify", "--shards", tmp_path / "arch.json", tmp_path / "model.commit", tmp_path / "sxs.npy",
            tmp_path / "sls.npy", tmp_path / "set.json")
    assert r.returncode == 0, r.stdout + r.stderr
    py_total = zkcnn.verify_shards(committed.architecture, committed.commitment, sxs, sls, manifest, proofs)
    assert json.loads(r.stdout)["correct"] == py_total["correct"]
