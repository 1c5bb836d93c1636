"""Zero-knowledge proofs (the default): round trips with a public and a hidden input, refusals,
the kind of proof, the private state saved and loaded, budgets spent, and the files' layouts
(the CLI's: commitment, input commitment, private files, proof header)."""

import json
import os
import stat
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest
import zkcnn

from conftest import ROOT

ARCH = slice(11, 43)  # the architecture digest in every commitment and private file's header
REVEALED = slice(76, 84)  # a private file's revealed count: after magic, version, field, digest,
#                           root (25 bytes), num_vars, mask_vars
PROOF_KIND = 10  # a proof header's kind byte: 0 transparent, 1 zero-knowledge


def test_zk_round_trip(zk_committed, zk_proved, proved, lenet):
    x, y, proof = zk_proved
    assert zk_committed.kind == "zk"
    assert zk_committed.commitment[:11] == b"ZKCNNZKC\x02\x00\x00"  # magic, version 2, Goldilocks
    assert zk_committed.architecture == lenet.architecture()
    assert proof[:8] == b"ZKCNNPRF" and proof[PROOF_KIND] == 1
    assert np.array_equal(y, proved[1])  # the same output as the transparent proof's
    assert zkcnn.verify(zk_committed.architecture, zk_committed.commitment, x, y, proof) is None
    zkcnn.verify(lenet, bytearray(zk_committed.commitment), x, y, bytearray(proof), kind="zk")
    # Proofs are randomized, and each spends budget.
    before = zk_committed.revealed
    events = []
    y2, proof2 = zkcnn.prove(zk_committed, x, progress=lambda p, s: events.append(p))
    assert zk_committed.revealed > before and zk_committed.budget > zk_committed.revealed
    assert np.array_equal(y2, y) and proof2 != proof
    assert events[0] == events[-1] == "prove" and len(events) > 3
    events.clear()
    zkcnn.verify(zk_committed.architecture, zk_committed.commitment, x, y2, proof2, progress=lambda p, s: events.append(p))
    assert events == ["check commitment", "check commitment", "verify", "verify"]
    assert "kind='zk'" in repr(zk_committed)


def test_zk_wrong_statement_and_tampering_rejected(zk_committed, zk_proved, digits):
    x, y, proof = zk_proved
    arch, c = zk_committed.architecture, zk_committed.commitment
    wrong = y.copy()
    wrong[0] += 1
    with pytest.raises(zkcnn.StatementError):
        zkcnn.verify(arch, c, x, wrong, proof)
    with pytest.raises(zkcnn.StatementError):
        zkcnn.verify(arch, c, digits[1], y, proof)
    for at in range(44, len(proof), len(proof) // 12):
        bad = bytearray(proof)
        bad[at] ^= 1 << (at % 8)
        with pytest.raises((zkcnn.ProofFormatError, zkcnn.RejectedError)):
            zkcnn.verify(arch, c, x, y, bad)
    # The commitment's zero-knowledge check altered: rejected.
    tail = bytearray(c)
    tail[-200] ^= 0x10
    with pytest.raises(zkcnn.VerifyError):
        zkcnn.verify(arch, bytes(tail), x, y, proof)
    with pytest.raises(zkcnn.CommitmentError, match="truncated"):
        zkcnn.verify(arch, c[:-1], x, y, proof)


def test_kinds_are_checked(zk_committed, zk_proved, committed, proved):
    x, y, zk_proof = zk_proved
    _, _, proof = proved
    arch = committed.architecture
    # A transparent verify refuses a zero-knowledge proof, and the other way round.
    with pytest.raises(zkcnn.ProofFormatError, match="zero-knowledge proof") as e:
        zkcnn.verify(arch, zk_committed.commitment, x, y, zk_proof, kind="transparent")
    assert e.value.kind == "kind"
    with pytest.raises(zkcnn.ProofFormatError) as e:
        zkcnn.verify(arch, committed.commitment, x, y, proof, kind="zk")
    assert e.value.kind == "kind"
    zkcnn.verify(arch, committed.commitment, x, y, proof, kind="transparent")
    # A proof with the other kind's commitment.
    with pytest.raises(zkcnn.ProofFormatError, match="the commitment is transparent") as e:
        zkcnn.verify(arch, committed.commitment, x, y, zk_proof)
    assert e.value.kind == "kind"
    with pytest.raises(zkcnn.CommitmentError, match="transparent commitment") as e:
        zkcnn.verify(arch, committed.commitment, x, y, zk_proof, kind="zk")
    assert e.value.kind == "other_kind"
    with pytest.raises(zkcnn.ProofFormatError, match="the commitment is zk"):
        zkcnn.verify(arch, zk_committed.commitment, x, y, proof)
    with pytest.raises(ValueError, match="kind must be"):
        zkcnn.verify(arch, committed.commitment, x, y, proof, kind="zero-knowledge")  # type: ignore[arg-type]


def test_hidden_input_round_trip(zk_committed, committed, lenet, proved, digits):
    x = digits[0]
    ci = zkcnn.commit_input(lenet.architecture(), x)
    c = zk_committed.commitment
    # The CLI's input commitment file: magic, version 1, Goldilocks, the architecture's digest
    # (every commitment's of this architecture), the hiding commitment.
    assert ci.commitment[:11] == b"ZKCNNZKI\x01\x00\x00"
    assert ci.commitment[ARCH] == c[ARCH] == committed.commitment[ARCH]
    assert ci.architecture == lenet.architecture() and ci.revealed == 0 and ci.budget > 0
    model_before = zk_committed.revealed
    y, proof = zkcnn.prove(zk_committed, None, input_commitment=ci)
    assert np.array_equal(y, proved[1]) and ci.revealed > 0 and zk_committed.revealed > model_before
    # Verifiers take the input commitment's bytes in place of x.
    zkcnn.verify(lenet.architecture(), c, ci.commitment, y, proof)
    zkcnn.verify(lenet, c, bytearray(ci.commitment), y, proof, kind="zk")
    # x given with the commitment must be the committed input.
    y2, _ = zkcnn.prove(zk_committed, x, input_commitment=ci)
    assert np.array_equal(y2, y)
    with pytest.raises(zkcnn.InputError, match="not the committed input"):
        zkcnn.prove(zk_committed, digits[1], input_commitment=ci)
    with pytest.raises(zkcnn.InputError, match="zero-knowledge proofs only"):
        zkcnn.prove(committed, None, input_commitment=ci)
    with pytest.raises(zkcnn.InputError, match="None only with input_commitment"):
        zkcnn.prove(zk_committed, None)
    # The proof is about the committed input: the public input, another input's commitment,
    # or a transparent verify, are refused.
    with pytest.raises(zkcnn.StatementError):
        zkcnn.verify(lenet, c, x, y, proof)
    with pytest.raises(zkcnn.StatementError):
        zkcnn.verify(lenet, c, zkcnn.commit_input(lenet, x).commitment, y, proof)
    with pytest.raises(zkcnn.ProofFormatError):
        zkcnn.verify(lenet, committed.commitment, ci.commitment, y, proof, kind="transparent")
    with pytest.raises(zkcnn.InputError, match="input commitment"):
        zkcnn.verify(lenet, committed.commitment, ci.commitment, proved[1], proved[2])
    with pytest.raises(zkcnn.CommitmentError, match="invalid input commitment"):
        zkcnn.verify(lenet, c, ci.commitment[:-1], y, proof)
    # An input committed for another architecture.
    other = json.loads(lenet.architecture())
    other["name"] = "renamed"
    elsewhere = zkcnn.commit_input(json.dumps(other), x)
    assert elsewhere.commitment[ARCH] != c[ARCH]
    with pytest.raises(zkcnn.InputError, match="another model architecture"):
        zkcnn.prove(zk_committed, None, input_commitment=elsewhere)
    with pytest.raises(zkcnn.CommitmentError, match="another model architecture"):
        zkcnn.verify(lenet, c, elsewhere.commitment, y, proof)


def test_private_state_saved_and_loaded(zk_committed, zk_proved, committed, lenet, every_kind, tmp_path):
    x, y, _ = zk_proved
    path = tmp_path / "model.private"
    zk_committed.save_private(path)
    data = path.read_bytes()
    # The CLI's prover file: magic, version 2, Goldilocks, the architecture's digest, the root,
    # the variables, the revealed count, the mask.
    assert data[:11] == b"ZKCNNZKP\x02\x00\x00"
    assert data[ARCH] == zk_committed.commitment[ARCH]
    assert data[43:68].hex() == zk_committed.root
    assert int.from_bytes(data[REVEALED], "little") == zk_committed.revealed
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # a secret: its owner's only
    for private in (path, str(path), data, bytearray(data)):
        loaded = zkcnn.CommittedModel.load(lenet, zk_committed.commitment, private)
        assert loaded.kind == "zk" and loaded.root == zk_committed.root
        assert loaded.revealed == zk_committed.revealed and loaded.budget == zk_committed.budget
    # The loaded state proves, and its budget goes on from the saved count.
    y2, proof = zkcnn.prove(loaded, x)
    assert np.array_equal(y2, y) and loaded.revealed > zk_committed.revealed
    zkcnn.verify(lenet, zk_committed.commitment, x, y2, proof)
    loaded.save_private(path)
    assert int.from_bytes(path.read_bytes()[REVEALED], "little") == loaded.revealed

    def refused(exc, kind, *args):
        with pytest.raises(exc) as e:
            zkcnn.CommittedModel.load(*args)
        assert e.value.kind == kind, str(e.value)

    refused(zkcnn.InputError, "prover_data", lenet, zk_committed.commitment)  # no private part
    refused(zkcnn.InputError, "prover_data", lenet, zk_committed.commitment, data[:-1])
    refused(zkcnn.InputError, "prover_data", lenet, zk_committed.commitment, data + b"\0")
    refused(zkcnn.InputError, "prover_data", lenet, zk_committed.commitment, b"ZKCNNZXP" + data[8:])
    refused(zkcnn.CommitmentError, "architecture", every_kind, zk_committed.commitment, data)
    refused(zkcnn.CommitmentError, "other_kind", lenet, committed.commitment, data)
    with pytest.raises(FileNotFoundError):
        zkcnn.CommittedModel.load(lenet, zk_committed.commitment, tmp_path / "missing")
    # Another mask: the commitment is not recomputed.
    mask = bytearray(data)
    mask[-3] ^= 1
    refused(zkcnn.InputError, "commitment_mismatch", lenet, zk_committed.commitment, bytes(mask))
    # A transparent commitment has no private part; it loads by committing again.
    with pytest.raises(ValueError, match="no private part"):
        committed.save_private(tmp_path / "t.private")
    again = zkcnn.CommittedModel.load(lenet, committed.commitment)
    assert again.kind == "transparent" and again.commitment == committed.commitment


def test_saving_merges_the_counts_of_objects_sharing_a_file(mlp, tmp_path):
    """Two objects loaded from one private file (two processes, say) each prove; saving both to
    that file keeps both proofs' counts (the file's count plus what each object revealed since
    it was loaded or saved), and the later saver counts from the merged value. A merge past the
    budget raises and writes nothing; another commitment's file is replaced."""
    committed = mlp.commit()
    x = np.arange(-12, 12, dtype=np.int64)
    path = tmp_path / "model.private"
    committed.save_private(path)
    start = committed.revealed
    count = lambda: int.from_bytes(path.read_bytes()[REVEALED], "little")
    a = zkcnn.CommittedModel.load(mlp, committed.commitment, path)
    b = zkcnn.CommittedModel.load(mlp, committed.commitment, path)
    zkcnn.prove(a, x)
    zkcnn.prove(b, x)
    zkcnn.prove(b, x)
    spent_a, spent_b = a.revealed - start, b.revealed - start
    assert spent_a > 0 and spent_b > spent_a
    a.save_private(path)
    assert count() == start + spent_a
    b.save_private(path)
    assert count() == start + spent_a + spent_b == b.revealed
    # `a` saves again after one more proof: only its new share is added.
    before = a.revealed
    zkcnn.prove(a, x)
    share = a.revealed - before
    a.save_private(path)
    assert count() == start + spent_a + spent_b + share == a.revealed
    # Past the budget: the file's count raised (proofs elsewhere) leaves no room for b's.
    zkcnn.prove(b, x)
    data = bytearray(path.read_bytes())
    data[REVEALED] = (b.budget - 1).to_bytes(8, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(zkcnn.ZkcnnError, match="budget") as e:
        b.save_private(path)
    assert e.value.kind == "budget"
    assert path.read_bytes() == bytes(data)
    # Another commitment's file is replaced, not merged.
    other = mlp.commit()
    other.save_private(path)
    assert count() == other.revealed
    assert path.read_bytes() != bytes(data)


def test_model_budget_spent(mlp, tmp_path):
    """A proof past the model commitment's budget raises, naming the commitment to make again;
    the state is unchanged. (The saved count is raised to the budget's edge: spending 262,128
    mask values takes about 120 proofs.)"""
    committed = mlp.commit()
    x = np.arange(-12, 12, dtype=np.int64)
    committed.save_private(tmp_path / "p")
    data = bytearray((tmp_path / "p").read_bytes())
    data[REVEALED] = (committed.budget - 100).to_bytes(8, "little")
    spent = zkcnn.CommittedModel.load(mlp, committed.commitment, bytes(data))
    with pytest.raises(zkcnn.ZkcnnError, match=r"budget is spent; commit the model again: Model\.commit\(\)") as e:
        zkcnn.prove(spent, x)
    assert e.value.kind == "budget" and not isinstance(e.value, zkcnn.VerifyError)
    assert spent.revealed == committed.budget - 100
    y, proof = zkcnn.prove(committed, x)
    zkcnn.verify(mlp.architecture(), committed.commitment, x, y, proof)
    # Two threads proving with one commitment: the proofs take turns on its state, and both
    # count (each proof of this model spends the same number of mask values).
    before = committed.revealed
    zkcnn.prove(committed, x)
    per_proof = committed.revealed - before
    before = committed.revealed
    out = []
    threads = [threading.Thread(target=lambda: out.append(zkcnn.prove(committed, x))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out) == 2 and committed.revealed == before + 2 * per_proof
    for y, proof in out:
        zkcnn.verify(mlp, committed.commitment, x, y, proof)


def test_input_budget_spent_and_input_private_state(mlp, tmp_path):
    """A committed input serves as many proofs as its mask hides their reads (24 entries,
    padded to 32, read three times by each proof, two base-field values per read: five), then
    raises naming commit_input; its private file (the CLI's) saves and loads the count."""
    committed = mlp.commit()
    x = np.arange(-12, 12, dtype=np.int64)
    ci = zkcnn.commit_input(mlp, x)
    ci.save_private(tmp_path / "x.private")
    fresh = (tmp_path / "x.private").read_bytes()
    assert fresh[:11] == b"ZKCNNZXP\x02\x00\x00" and fresh[ARCH] == ci.commitment[ARCH]
    proofs = 0
    with pytest.raises(zkcnn.ZkcnnError, match=r"input commitment's budget is spent; commit the input again") as e:
        while True:
            y, proof = zkcnn.prove(committed, None, input_commitment=ci)
            proofs += 1
            assert proofs < 100
    assert e.value.kind == "budget" and proofs == 5
    assert "has served 5 proofs" in str(e.value) and ci.revealed < ci.budget
    zkcnn.verify(mlp, committed.commitment, ci.commitment, y, proof)
    # The spent state saved and loaded is still spent; the fresh one proves.
    ci.save_private(tmp_path / "x.private")
    spent = zkcnn.CommittedInput.load(mlp.architecture(), x, ci.commitment, tmp_path / "x.private")
    assert spent.revealed == ci.revealed
    with pytest.raises(zkcnn.ZkcnnError, match="commit_input"):
        zkcnn.prove(committed, x, input_commitment=spent)
    again = zkcnn.CommittedInput.load(mlp, x, ci.commitment, fresh)
    assert again.revealed == 0
    y2, proof2 = zkcnn.prove(committed, None, input_commitment=again)
    zkcnn.verify(mlp, committed.commitment, ci.commitment, y2, proof2)
    # Another input with this commitment and private file: refused.
    with pytest.raises(zkcnn.InputError) as e:
        zkcnn.CommittedInput.load(mlp, x + 1, ci.commitment, fresh)
    assert e.value.kind == "input_commitment_mismatch"
    with pytest.raises(zkcnn.InputError) as e:
        zkcnn.CommittedInput.load(mlp, x, ci.commitment, fresh[:-1])
    assert e.value.kind == "prover_data"


def test_unsupported_in_zero_knowledge():
    """Every layer kind proves in zero knowledge (a window max-pool here); a step the
    zero-knowledge prover refuses with a public input (a ReLU of the input) is refused at
    `prove` with a hint, proves on a committed input, and a transparent proof takes it."""
    rng = np.random.default_rng(1)
    conv = {
        "type": "Conv2d",
        "in_channels": 1,
        "out_channels": 2,
        "kernel": [3, 3],
        "stride": 1,
        "padding": 1,
        "weights": rng.integers(-20, 20, 18).tolist(),
        "bias": [0, 0],
        "shift": 6,
    }

    def model_of(name, layers):
        return zkcnn.Model.from_json(json.dumps(
            {"name": name, "input_shape": [1, 6, 6], "activation_bits": 8, "weight_bits": 8,
             "layers": layers}))

    x = rng.integers(-20, 20, (1, 6, 6)).astype(np.int64)
    # A 3x3 stride-1 max-pool: [2, 4, 4], enough entries to hide the proof's reads of it (a
    # stride-3 pool's [2, 2, 2] is refused: the prover's AdviceReads check).
    window = model_of("window-pool", [conv, {"type": "Relu"}, {"type": "MaxPool2d", "size": 3, "stride": 1}, {"type": "Flatten"}])
    committed = window.commit()
    y, proof = zkcnn.prove(committed, x)
    zkcnn.verify(committed.architecture, committed.commitment, x, y, proof, kind="zk")

    relu_first = model_of("relu-first", [{"type": "Relu"}, conv, {"type": "Flatten"}])
    committed = relu_first.commit()
    with pytest.raises(zkcnn.ModelError, match=r"transparent=True") as e:
        zkcnn.prove(committed, x)
    assert e.value.kind == "unsupported"
    hidden = zkcnn.commit_input(relu_first, x)
    y, proof = zkcnn.prove(committed, None, input_commitment=hidden)
    zkcnn.verify(committed.architecture, committed.commitment, hidden.commitment, y, proof)
    assert relu_first.commit(transparent=True).kind == "transparent"


BIN = Path(os.environ.get("ZKCNN_BIN", ROOT / "target" / "release" / "zkcnn"))


@pytest.mark.skipif(
    "ZKCNN_BIN" not in os.environ and not BIN.exists(), reason="the zkcnn binary is not built"
)
def test_cli_verifies_python_zk_proofs(tmp_path, zk_committed, zk_proved, lenet, digits):
    """`zkcnn verify` reads Python's hiding commitment, input commitment and zero-knowledge
    proofs (it takes either kind, and an input commitment file in the input's place)."""
    x, y, proof = zk_proved
    ci = zkcnn.commit_input(lenet, digits[2])
    y2, proof2 = zkcnn.prove(zk_committed, None, input_commitment=ci)
    files = {
        "arch.json": zk_committed.architecture,
        "model.commit": zk_committed.commitment,
        "x.commit": ci.commitment,
        "proof": proof,
        "proof2": proof2,
        "y.json": json.dumps(y.tolist()),
        "y2.json": json.dumps(y2.tolist()),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data if isinstance(data, bytes) else data.encode())
    np.save(tmp_path / "x.npy", x)

    def verify(*args):
        r = subprocess.run([str(BIN), "verify", *map(str, args)], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and r.stdout.startswith("valid zero-knowledge proof"), r.stdout + r.stderr

    t = tmp_path
    verify(t / "arch.json", t / "model.commit", t / "x.npy", t / "y.json", t / "proof")
    verify(t / "arch.json", t / "model.commit", t / "x.commit", t / "y2.json", t / "proof2")
