"""Proving LeNet-5 through Python versus through the Rust API, measured in one run.

    python python/bench.py [--rounds N] [--cli PATH_TO_zkcnn]

The trained LeNet-5 fixture is imported and committed once; then N rounds, each timing

  (a) `zkcnn.prove(committed, x)` from Python (time.perf_counter around the call): the float
      array checked and quantized, the GIL released, the proof made, its bytes and the output
      array handed back to Python;
  (b) `zkcnn._zkcnn._bench_prove(committed, x, 1)`: the same proof made by the Rust API alone
      (`network::prove`, the statement digest, `Proof::to_bytes`), timed by `Instant` inside
      the extension, the input converted beforehand.

Rounds alternate (a) and (b) so that drift on a shared machine affects both; medians are
reported, and the ratio a/b is the bar (at most 1.1). With --cli, the `zkcnn prove` binary is
also run N times on the same model and input, and the prove time it reports (`--json`,
`prove_ms`: the proof alone, in a fresh process) is shown beside, to check that the extension's
build (allocator, optimization) proves as fast as the command line's.
"""

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import zkcnn
from zkcnn import _zkcnn

LENET = Path(__file__).resolve().parents[1] / "fixtures" / "mnist-lenet5"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--cli", type=Path, help="the zkcnn binary, to time `zkcnn prove` too")
    args = parser.parse_args()

    model = zkcnn.import_onnx(LENET / "model.onnx", calibration=np.load(LENET / "calibration.npy"))
    committed = model.commit(transparent=True)  # the transparent proof, as `zkcnn prove` times it
    x = np.load(LENET / "test-inputs.npy")[0]
    for _ in range(3):  # warm up both paths (allocator, caches, rayon's threads)
        zkcnn.prove(committed, x)
        _zkcnn._bench_prove(committed, x, 1)

    python, rust = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        zkcnn.prove(committed, x)
        python.append(time.perf_counter() - start)
        rust.extend(_zkcnn._bench_prove(committed, x, 1))
    py_ms, rs_ms = statistics.median(python) * 1e3, statistics.median(rust) * 1e3
    print(f"LeNet-5 prove, median of {args.rounds} interleaved rounds")
    print(f"  Python zkcnn.prove:      {py_ms:7.2f} ms  (min {min(python) * 1e3:.2f})")
    print(f"  Rust API (in extension): {rs_ms:7.2f} ms  (min {min(rust) * 1e3:.2f})")
    print(f"  ratio Python / Rust:     {py_ms / rs_ms:7.3f}  (bar: at most 1.1)")

    if args.cli:
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "model.json").write_text(model.to_json())
            np.save(Path(tmp) / "x.npy", x)
            cli_ms = []
            for _ in range(args.rounds):
                out = subprocess.run(
                    [str(args.cli), "prove", "--transparent", "--json", f"{tmp}/model.json", f"{tmp}/x.npy", "-o", f"{tmp}/p.bin"],
                    check=True, capture_output=True, text=True,
                ).stdout
                cli_ms.append(json.loads(out)["prove_ms"])
        print(f"  zkcnn prove (CLI, fresh process each): {statistics.median(cli_ms):.2f} ms "
              f"(min {min(cli_ms):.2f})")


if __name__ == "__main__":
    main()
