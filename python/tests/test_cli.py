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
