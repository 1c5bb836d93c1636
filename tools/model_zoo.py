#!/usr/bin/env python3
r"""The torchvision model zoo through zkcnn: export, import, commit, prove, verify (outside CI).

For each of eleven torchvision classifiers (AlexNet, VGG-11, ResNet-18, ResNet-50, MobileNetV2,
MobileNetV3-small, SqueezeNet 1.1, DenseNet-121, EfficientNet-B0, ShuffleNetV2 x1.0, GoogLeNet)
this script

1. builds the model with torchvision's constructor and random seeded weights: `weights=None`,
   `num_classes=10` (GoogLeNet also `aux_logits=False, init_weights=True`), `torch.manual_seed`
   of the architecture's index, eval mode;
2. exports it at batch 1 and input `[1, 3, SIDE, SIDE]` (`--side`, default 64) with torch's
   legacy TorchScript exporter (`dynamo=False`, opset 17, weights embedded) and/or its dynamo
   exporter (`dynamo=True`, weights in a side file `model.onnx.data`, as torch >= 2.9 writes
   them by default) into the work folder (`--work`, default `/tmp/zkcnn-zoo`; keep it outside the
   repository: VGG-11 and ResNet-50 are tens of MB);
3. runs the release binary (`--zkcnn`, default `target/release/zkcnn`) on it as a user would:
   `zkcnn import` calibrated on `--calibration N` (default 8) seeded random images (uniform [0, 1] pixels normalized with
   ImageNet's mean and standard deviation, the range torchvision's models take), `zkcnn commit`,
   then for each of `--inputs N` (default 2) further seeded random images `zkcnn prove` and
   `zkcnn verify`, zero knowledge (the default) or transparent (`--transparent`), with
   `--threads` (default 2); `--saturate` imports with saturating requantization (values past
   the activation range clip instead of making inference fail on that input);
4. times every step (wall clock of the subprocess, and the time zkcnn reports for the proof
   and the verification themselves) and reads each subprocess's peak resident memory
   (`/usr/bin/time -f %M`, per process); and compares top-1 of onnxruntime on the float
   ONNX model with the argmax of the proven quantized output, on the proven inputs.

It prints a table (architecture, exporter, parameters, import verdict or the first line of its
error, commit, prove and verify time of the first input, proof size, the largest peak RSS of
any step, top-1 agreement) and writes every figure as JSON (`--json`, default
`WORK/zoo.json`). A model that a step refuses stops there; its error is recorded.

Usage (from the repository root, after `cargo build --release`):

    python3 -m venv ~/venv-zoo && ~/venv-zoo/bin/pip install torch torchvision onnx \
        onnxruntime onnxscript numpy
    ~/venv-zoo/bin/python tools/model_zoo.py [--only resnet18,mobilenet_v2] \
        [--exporter legacy|dynamo|both] [--side 64] [--work DIR] [--zkcnn PATH] \
        [--transparent] [--inputs N] [--threads 2] [--calibration N] [--saturate] [--keep]

`--keep` keeps the imported models, commitments and proofs (by default each model's zkcnn files
are deleted once it is done, the exported ONNX files kept); `--export-only` stops after exporting.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ARCHS = [
    "alexnet",
    "vgg11",
    "resnet18",
    "resnet50",
    "mobilenet_v2",
    "mobilenet_v3_small",
    "squeezenet1_1",
    "densenet121",
    "efficientnet_b0",
    "shufflenet_v2_x1_0",
    "googlenet",
]
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32).reshape(1, 3, 1, 1)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32).reshape(1, 3, 1, 1)


def images(n: int, side: int, seed: int) -> np.ndarray:
    """n seeded random images [n, 3, side, side]: uniform pixels, ImageNet-normalized."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 3, side, side), dtype=np.float32)
    return ((x - MEAN) / STD).astype(np.float32)


def build(name: str):
    import torch
    import torchvision

    torch.manual_seed(ARCHS.index(name))
    kwargs = {"weights": None, "num_classes": 10}
    if name == "googlenet":
        kwargs.update(aux_logits=False, init_weights=True)
    model = getattr(torchvision.models, name)(**kwargs)
    model.eval()
    params = sum(p.numel() for p in model.parameters())
    return model, params


def export(name: str, exporter: str, side: int, work: Path) -> tuple[Path, int, float]:
    """Exports one model; returns its path, parameter count and export seconds."""
    import torch

    folder = work / f"{name}-{exporter}-{side}"
    path = folder / "model.onnx"
    meta = folder / "export.json"
    if path.exists() and meta.exists():
        m = json.loads(meta.read_text())
        return path, m["params"], m["export_s"]
    folder.mkdir(parents=True, exist_ok=True)
    model, params = build(name)
    x = torch.from_numpy(images(1, side, 1000))
    t = time.perf_counter()
    with torch.no_grad():
        if exporter == "legacy":
            torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=17,
                              input_names=["input"], output_names=["logits"])
        else:
            torch.onnx.export(model, (x,), str(path), dynamo=True, external_data=True)
    elapsed = time.perf_counter() - t
    meta.write_text(json.dumps({"params": params, "export_s": elapsed}))
    return path, params, elapsed


def run_measured(cmd: list[str]) -> dict:
    """Runs one command: its wall time, exit status, peak RSS (MiB), stdout and stderr.

    The peak RSS is the child's own: through GNU time (`/usr/bin/time -f %M`), whose child is
    forked from a small process. A child forked from this Python process directly would start
    with its resident set (torch and onnxruntime loaded: hundreds of MiB), which Linux keeps in
    the child's maximum across exec; without GNU time, os.wait4's figure (with that floor) is
    used.
    """
    gnu_time = Path("/usr/bin/time")
    rss_file = None
    if gnu_time.exists():
        fd, rss_file = tempfile.mkstemp(suffix=".rss")
        os.close(fd)
        cmd = [str(gnu_time), "-f", "%M", "-o", rss_file, *cmd]
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Drain the pipes in threads so a chatty child cannot block on a full pipe.
    chunks: dict[str, bytes] = {}

    def drain(key, stream):
        chunks[key] = stream.read()

    threads = [threading.Thread(target=drain, args=(k, s)) for k, s in
               (("out", p.stdout), ("err", p.stderr))]
    for th in threads:
        th.start()
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - t
    for th in threads:
        th.join()
    p.returncode = os.waitstatus_to_exitcode(status)
    rss_kib = usage.ru_maxrss
    if rss_file is not None:
        text = Path(rss_file).read_text().split()
        os.unlink(rss_file)
        # GNU time writes "Command exited with non-zero status N" before the figure.
        if text and text[-1].isdigit():
            rss_kib = int(text[-1])
    return {
        "s": elapsed,
        "rc": p.returncode,
        "rss_mib": rss_kib / 1024.0,
        "out": chunks.get("out", b"").decode(errors="replace"),
        "err": chunks.get("err", b"").decode(errors="replace"),
    }


def first_error(r: dict) -> str:
    lines = [l for l in r["err"].splitlines() if l.strip()]
    return lines[0] if lines else f"exit status {r['rc']}"


def zoo_one(name: str, exporter: str, args, work: Path) -> dict:
    row: dict = {"arch": name, "exporter": exporter, "side": args.side}
    try:
        path, params, export_s = export(name, exporter, args.side, work)
    except Exception as e:  # an exporter failure is a result, not a crash of the script
        row.update(verdict="export failed", error=f"{type(e).__name__}: {e}".splitlines()[0])
        return row
    row.update(params=params, export_s=round(export_s, 2),
               onnx_bytes=sum(f.stat().st_size for f in path.parent.glob("model.onnx*")))
    if args.export_only:
        row["verdict"] = "exported"
        return row
    folder = path.parent
    z = args.zkcnn
    threads = ["--threads", str(args.threads)]
    cal = folder / "calibration.npy"
    np.save(cal, images(args.calibration, args.side, 7))
    steps: dict = {}
    row["steps"] = steps

    r = run_measured([z, "import", "--json", *threads, str(path), "-o", str(folder / "m.json"),
                      "--calibration", str(cal), "--report", str(folder / "report.json"),
                      *(["--saturate"] if args.saturate else [])])
    steps["import"] = {k: r[k] for k in ("s", "rc", "rss_mib")}
    if r["rc"] != 0:
        row.update(verdict="import refused", error=first_error(r))
        return row
    rep = json.loads(r["out"])
    agreement = rep.get("report", {}).get("agreement", {})
    row["calibration_top1"] = agreement.get("top1_match_rate")
    row["layers"] = len(rep.get("report", {}).get("layers", []))

    kind = ["--transparent"] if args.transparent else []
    commit = [z, "commit", "--json", *threads, *kind, str(folder / "m.json"), "-o",
              str(folder / "m.commit"), "--architecture", str(folder / "arch.json"),
              "--prover-data", str(folder / "m.private")]
    r = run_measured(commit)
    steps["commit"] = {k: r[k] for k in ("s", "rc", "rss_mib")}
    if r["rc"] != 0:
        row.update(verdict="commit failed", error=first_error(r))
        return row

    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    in_name = sess.get_inputs()[0].name
    xs = images(args.inputs, args.side, 100)
    agree = 0
    proves, verifies = [], []
    for i in range(args.inputs):
        x = xs[i:i + 1]
        xp = folder / f"x{i}.npy"
        np.save(xp, x)
        r = run_measured([z, "prove", "--json", *threads, *kind, str(folder / "m.json"), str(xp),
                          "-o", str(folder / f"p{i}.bin"), "--output", str(folder / f"y{i}.json"),
                          "--commitment", str(folder / "m.commit"),
                          "--prover-data", str(folder / "m.private")])
        if r["rc"] != 0:
            steps["prove"] = {k: r[k] for k in ("s", "rc", "rss_mib")}
            row.update(verdict="prove failed", error=first_error(r))
            return row
        out = json.loads(r["out"])
        proves.append({"s": r["s"], "rss_mib": r["rss_mib"], "prove_ms": out.get("prove_ms"),
                       "proof_bytes": out.get("proof_bytes")})
        v = run_measured([z, "verify", "--json", *threads, *kind, str(folder / "arch.json"),
                          str(folder / "m.commit"), str(xp), str(folder / f"y{i}.json"),
                          str(folder / f"p{i}.bin")])
        if v["rc"] != 0:
            steps["verify"] = {k: v[k] for k in ("s", "rc", "rss_mib")}
            row.update(verdict="verify failed", error=first_error(v))
            return row
        vout = json.loads(v["out"])
        verifies.append({"s": v["s"], "rss_mib": v["rss_mib"], "verify_ms": vout.get("verify_ms")})
        float_class = int(np.argmax(sess.run(None, {in_name: x})[0]))
        agree += int(out["output"]["class"] == float_class)
    steps["prove"] = proves
    steps["verify"] = verifies
    row.update(
        verdict="ok",
        prove_s=proves[0]["prove_ms"] / 1000.0,
        verify_ms=verifies[0]["verify_ms"],
        proof_bytes=proves[0]["proof_bytes"],
        peak_rss_mib=max([steps["import"]["rss_mib"], steps["commit"]["rss_mib"]]
                         + [p["rss_mib"] for p in proves] + [v["rss_mib"] for v in verifies]),
        agreement=f"{agree}/{args.inputs}",
    )
    if not args.keep:
        for f in folder.iterdir():
            if f.name not in ("model.onnx", "model.onnx.data", "export.json", "report.json"):
                f.unlink()
    return row


def human(n) -> str:
    if n is None:
        return "-"
    for unit, div in (("M", 1e6), ("k", 1e3)):
        if n >= div:
            return f"{n / div:.1f}{unit}"
    return str(n)


def table(rows: list[dict]) -> str:
    head = ["arch", "exporter", "params", "import", "commit s", "prove s", "verify ms", "proof KiB",
            "peak MiB", "top-1"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        verdict = r.get("verdict", "?")
        imp = "ok" if verdict in ("ok", "commit failed", "prove failed", "verify failed") else \
            f"{verdict}: {r.get('error', '')}"
        if verdict not in ("ok", "import refused", "export failed", "exported"):
            imp += f" ({verdict}: {r.get('error', '')})"
        cells = [
            r["arch"], r["exporter"], human(r.get("params")), imp,
            f"{r['steps']['commit']['s']:.1f}" if "commit" in r.get("steps", {}) else "-",
            f"{r['prove_s']:.1f}" if "prove_s" in r else "-",
            f"{r['verify_ms']:.0f}" if "verify_ms" in r else "-",
            f"{r['proof_bytes'] / 1024:.0f}" if "proof_bytes" in r else "-",
            f"{r['peak_rss_mib']:.0f}" if "peak_rss_mib" in r else "-",
            r.get("agreement", "-"),
        ]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--only", help="comma-separated architectures (torchvision names): "
                    + ",".join(ARCHS))
    ap.add_argument("--exporter", choices=["legacy", "dynamo", "both"], default="both")
    ap.add_argument("--side", type=int, default=64, help="input height and width (default 64)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/zkcnn-zoo"))
    ap.add_argument("--zkcnn", default="target/release/zkcnn")
    ap.add_argument("--transparent", action="store_true",
                    help="transparent proofs (default: zero knowledge)")
    ap.add_argument("--inputs", type=int, default=2, help="inputs proven per model (default 2)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--calibration", type=int, default=8,
                    help="calibration images for import (default 8)")
    ap.add_argument("--saturate", action="store_true",
                    help="import with --saturate (clip instead of overflowing)")
    ap.add_argument("--json", type=Path, help="where to write the rows (default WORK/zoo.json)")
    ap.add_argument("--keep", action="store_true", help="keep zkcnn's files of each model")
    ap.add_argument("--export-only", action="store_true")
    args = ap.parse_args()
    names = ARCHS if not args.only else args.only.split(",")
    for n in names:
        if n not in ARCHS:
            ap.error(f"unknown architecture {n!r}; one of {', '.join(ARCHS)}")
    if args.inputs < 1:
        ap.error("--inputs must be at least 1")
    exporters = ["legacy", "dynamo"] if args.exporter == "both" else [args.exporter]
    args.work.mkdir(parents=True, exist_ok=True)
    out = args.json or args.work / "zoo.json"
    rows = []
    for n in names:
        for e in exporters:
            t = time.perf_counter()
            row = zoo_one(n, e, args, args.work)
            row["total_s"] = round(time.perf_counter() - t, 1)
            rows.append(row)
            print(f"{n} {e}: {row.get('verdict')} {row.get('error', '')} "
                  f"({row['total_s']} s)", file=sys.stderr, flush=True)
            out.write_text(json.dumps({"side": args.side, "threads": args.threads,
                                       "transparent": args.transparent,
                                       "saturate": args.saturate,
                                       "calibration": args.calibration, "rows": rows},
                                      indent=1))
    print(table(rows))
    print(f"written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
