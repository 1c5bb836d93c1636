"""The Python side and the command line read each other's files: commitment, proof, output.

Runs the `zkcnn` binary of target/release (or $ZKCNN_BIN); skipped when it is not built and
ZKCNN_BIN is not set (CI sets it, after building it)."""

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import zkcnn

from conftest import ROOT

BIN = Path(os.environ.get("ZKCNN_BIN", ROOT / "target" / "release" / "zkcnn"))
pytestmark = pytest.mark.skipif(
    "ZKCNN_BIN" not in os.environ and not BIN.exists(), reason="the zkcnn binary is not built"
)


def cli(*args):
    return subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, timeout=120)


def test_cli_and_python_read_each_others_files(tmp_path, lenet, committed, proved):
    x, y, proof = proved
    (tmp_path / "model.json").write_text(lenet.to_json())
    (tmp_path / "arch.json").write_text(committed.architecture)
    (tmp_path / "model.commit").write_bytes(committed.commitment)
    (tmp_path / "proof.bin").write_bytes(proof)
    (tmp_path / "y.json").write_text(json.dumps(y.tolist()))
    np.save(tmp_path / "x.npy", x)

    # The CLI verifies what Python made.
    r = cli("verify", tmp_path / "arch.json", tmp_path / "model.commit", tmp_path / "x.npy",
            tmp_path / "y.json", tmp_path / "proof.bin")
    assert r.returncode == 0 and r.stdout.startswith("valid"), r.stderr

    # The CLI commits and proves the same bytes, and Python verifies them.
    r = cli("commit", "--transparent", tmp_path / "model.json", "-o", tmp_path / "cli.commit")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "cli.commit").read_bytes() == committed.commitment
    r = cli("prove", "--transparent", tmp_path / "model.json", tmp_path / "x.npy", "-o",
            tmp_path / "cli.proof",
            "--output", tmp_path / "cli-out.json")
    assert r.returncode == 0, r.stderr
    cli_y = np.array(json.loads((tmp_path / "cli-out.json").read_text())["output"])
    assert np.array_equal(cli_y, y)
    cli_proof = (tmp_path / "cli.proof").read_bytes()
    assert cli_proof == proof
    zkcnn.verify(committed.architecture, committed.commitment, x, cli_y, cli_proof)


def test_python_verifies_the_clis_zero_knowledge_batch_and_accuracy_proofs(tmp_path, lenet, digits):
    """The CLI's zero-knowledge batch and accuracy proofs (public inputs, a committed batch, a
    committed labelled dataset) verify in Python; another statement is refused."""
    (tmp_path / "model.json").write_text(lenet.to_json())
    xs = digits[:3]
    np.save(tmp_path / "xs.npy", xs)
    r = cli("commit", tmp_path / "model.json", "-o", tmp_path / "model.zkc", "--prover-data",
            tmp_path / "model.private", "--architecture", tmp_path / "arch.json")
    assert r.returncode == 0, r.stderr
    zkc = (tmp_path / "model.zkc").read_bytes()
    arch = (tmp_path / "arch.json").read_text()
    zk = ["--commitment", tmp_path / "model.zkc", "--prover-data", tmp_path / "model.private"]

    # A batch on public inputs.
    r = cli("prove", tmp_path / "model.json", tmp_path / "xs.npy", "-o", tmp_path / "batch.proof",
            "--output", tmp_path / "ys.npy", *zk)
    assert r.returncode == 0, r.stderr
    ys = np.load(tmp_path / "ys.npy")
    batch = (tmp_path / "batch.proof").read_bytes()
    assert zkcnn.verify(arch, zkc, xs, ys, batch) is None
    assert zkcnn.verify(arch, zkc, xs, ys, batch, kind="zk") is None
    other = ys.copy()
    other[0, 0] += 1
    with pytest.raises(zkcnn.StatementError):
        zkcnn.verify(arch, zkc, xs, other, batch)
    with pytest.raises(zkcnn.ProofFormatError):
        zkcnn.verify(arch, zkc, xs, ys, batch, kind="transparent")

    # The batch committed (`commit-input` on it): the verifier gets its commitment.
    r = cli("commit-input", tmp_path / "arch.json", tmp_path / "xs.npy", "-o", tmp_path / "xs.commit",
            "--prover-data", tmp_path / "xs.private")
    assert r.returncode == 0, r.stderr
    r = cli("prove", tmp_path / "model.json", tmp_path / "xs.npy", "-o", tmp_path / "hidden.proof",
            "--output", tmp_path / "hys.npy", "--input-commitment", tmp_path / "xs.commit",
            "--input-prover-data", tmp_path / "xs.private", *zk)
    assert r.returncode == 0, r.stderr
    xs_commit = (tmp_path / "xs.commit").read_bytes()
    hidden = (tmp_path / "hidden.proof").read_bytes()
    assert np.array_equal(np.load(tmp_path / "hys.npy"), ys)
    assert zkcnn.verify(arch, zkc, xs_commit, ys, hidden) is None
    with pytest.raises(zkcnn.StatementError):
        zkcnn.verify(arch, zkc, xs, ys, hidden)

    # Accuracy: the predictions as labels, one of them changed.
    predictions = ys.argmax(axis=1)
    labels = predictions.copy()
    labels[1] = (labels[1] + 1) % ys.shape[1]
    np.save(tmp_path / "ls.npy", labels)
    r = cli("prove", tmp_path / "model.json", tmp_path / "xs.npy", "--labels", tmp_path / "ls.npy",
            "-o", tmp_path / "acc.proof", *zk)
    assert r.returncode == 0, r.stderr
    acc = (tmp_path / "acc.proof").read_bytes()
    assert zkcnn.verify_accuracy(arch, zkc, xs, labels, acc) == 2
    assert zkcnn.verify(arch, zkc, xs, labels, acc) is None
    with pytest.raises(zkcnn.StatementError):
        zkcnn.verify_accuracy(arch, zkc, xs, predictions, acc)

    # On a committed labelled dataset: its commitment in place of the inputs and the labels.
    r = cli("commit-dataset", tmp_path / "arch.json", tmp_path / "xs.npy", tmp_path / "ls.npy", "-o",
            tmp_path / "ds.commit", "--prover-data", tmp_path / "ds.private")
    assert r.returncode == 0, r.stderr
    r = cli("prove", tmp_path / "model.json", tmp_path / "xs.npy", "--labels", tmp_path / "ls.npy",
            "--input-commitment", tmp_path / "ds.commit", "--input-prover-data", tmp_path / "ds.private",
            "-o", tmp_path / "ds.proof", *zk)
    assert r.returncode == 0, r.stderr
    ds = (tmp_path / "ds.commit").read_bytes()
    ds_proof = (tmp_path / "ds.proof").read_bytes()
    assert zkcnn.verify_accuracy(arch, zkc, ds, ds, ds_proof) == 2
    assert zkcnn.verify(arch, zkc, ds, ds, ds_proof) is None
    with pytest.raises(zkcnn.InputError):
        zkcnn.verify_accuracy(arch, zkc, ds, labels, ds_proof)
    with pytest.raises(zkcnn.StatementError):
        zkcnn.verify_accuracy(arch, zkc, xs, labels, ds_proof)


def test_python_and_cli_provers_share_a_prover_file(tmp_path, lenet, digits):
    """A Python object loaded from the CLI's prover file, and CLI proofs made from that file
    meanwhile: Python's save_private adds its proofs' count to the CLI's instead of
    overwriting it."""
    (tmp_path / "model.json").write_text(lenet.to_json())
    np.save(tmp_path / "x.npy", digits[:1])
    private = tmp_path / "model.private"
    r = cli("commit", tmp_path / "model.json", "-o", tmp_path / "model.zkc", "--prover-data", private)
    assert r.returncode == 0, r.stderr
    count = lambda: int.from_bytes(private.read_bytes()[76:84], "little")
    start = count()
    committed = zkcnn.CommittedModel.load(lenet, (tmp_path / "model.zkc").read_bytes(), private)
    r = cli("prove", tmp_path / "model.json", tmp_path / "x.npy", "-o", tmp_path / "cli.proof",
            "--commitment", tmp_path / "model.zkc", "--prover-data", private)
    assert r.returncode == 0, r.stderr
    cli_spent = count() - start
    assert cli_spent > 0
    zkcnn.prove(committed, digits[0])
    python_spent = committed.revealed - start
    committed.save_private(private)
    assert count() == start + cli_spent + python_spent == committed.revealed
    # The CLI goes on from the merged count.
    r = cli("prove", tmp_path / "model.json", tmp_path / "x.npy", "-o", tmp_path / "cli2.proof",
            "--commitment", tmp_path / "model.zkc", "--prover-data", private)
    assert r.returncode == 0, r.stderr
    assert count() == committed.revealed + cli_spent
