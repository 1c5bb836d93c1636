"""The type stubs match the extension (mypy's stubtest), and the examples type-check against
them. Skipped when mypy is not installed (CI installs it)."""

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy")
PYTHON_DIR = Path(__file__).resolve().parents[1]


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m ARGS` in `cwd` (a temporary folder, where mypy leaves its cache)."""
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_stubs_match_the_extension(tmp_path):
    r = run(tmp_path, "mypy.stubtest", "zkcnn")
    assert r.returncode == 0, r.stdout + r.stderr


def test_examples_type_check(tmp_path):
    r = run(tmp_path, "mypy", "--strict", str(PYTHON_DIR / "examples"), str(PYTHON_DIR / "bench.py"))
    assert r.returncode == 0, r.stdout + r.stderr
