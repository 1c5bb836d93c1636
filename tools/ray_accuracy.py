#!/usr/bin/env python3
"""Sharded accuracy proof of the LeNet-5 fixture on a local Ray cluster (issue 15).

Splits the fixture's evaluation set (fixtures/mnist-lenet5/eval-images.npy, eval-labels.npy)
into shards, proves each shard as a Ray task (the `zkcnn` binary as a subprocess:
`prove --transparent ... --labels ... --shard START..END`), writes the shard manifest from the
provers' JSON reports, verifies the whole set with the Rust sharded verifier
(`zkcnn verify --shards`), and prints the proven accuracy, per-shard figures and the totals.

A shard whose proof fails (today: an image whose quantized inference overflows) is reported
with the image and the reason, the images before and after it are proven as two new shards,
the others go on, and the set is verified with `--allow-gaps`: the images not proven are
listed and counted as not proven.

With --zk the proofs are zero-knowledge and the test set is hidden: the model gets a hiding
commitment (`zkcnn commit`), the data owner commits the set in shards (`zkcnn commit-dataset
--shard-size`, one prover file per shard), each Ray task proves its shard on its own
committed part (`prove --labels --shard --input-commitment`; the provers share the model's
prover file, whose budget they spend under a lock), and the verifier receives the sharded
dataset commitment instead of the images and labels. The shards are the data owner's: a
shard that fails is not split, its images count as not proven.

    python3 -m venv /work/venv-ray && /work/venv-ray/bin/pip install ray numpy
    cargo build --release
    /work/venv-ray/bin/python tools/ray_accuracy.py --limit 1000

Needs ray and numpy (tools/requirements.txt).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import ray

ROOT = Path(__file__).resolve().parent.parent


def run(cmd, log_dir, name):
    """Runs a command; returns (exit code, stdout, stderr, seconds, peak RSS in bytes)."""
    out_path = Path(log_dir) / f"{name}.out"
    err_path = Path(log_dir) / f"{name}.err"
    start = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
    took = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    return (
        code,
        out_path.read_text(),
        err_path.read_text(),
        took,
        usage.ru_maxrss * 1024,  # kilobytes on Linux
    )


@ray.remote(num_cpus=1)
def prove_shard(zkcnn, work, start, end, threads, zk):
    """Proves the inputs start..end; returns the report (or the failure)."""
    proof = f"shard-{start:05d}-{end:05d}.proof"
    common = [f"{work}/model.json", f"{work}/images.npy", "--labels", f"{work}/labels.npy",
              "--shard", f"{start}..{end}", "-o", f"{work}/{proof}"]
    if zk:
        cmd = [zkcnn, "--json", "--threads", str(threads), "prove", *common,
               "--commitment", f"{work}/model.zkc", "--prover-data", f"{work}/model.private",
               "--input-commitment", f"{work}/dataset.commit",
               "--input-prover-data", f"{work}/dataset-private/shard-{start}-{end}.private"]
    else:
        cmd = [zkcnn, "--json", "--threads", str(threads), "prove", "--transparent", *common,
               "--commitment", f"{work}/model.commit", "--prover-data", f"{work}/model.prover"]
    code, out, err, took, rss = run(cmd, work, f"prove-{start:05d}")
    result = {"start": start, "end": end, "seconds": took, "peak_rss": rss, "node": ray.get_runtime_context().get_node_id()[:8]}
    if code != 0:
        result["error"] = err.strip()
        m = re.search(r"input (\d+): (.*)", err)
        if m:
            result["image"] = start + int(m.group(1))
            result["why"] = m.group(2).strip()
        return result
    report = json.loads(out)
    result.update(
        correct=report["shard"]["correct"], proof=proof, proof_bytes=report["proof_bytes"],
        prove_ms=report["prove_ms"], report=report,
    )
    return result


def gib(n):
    return f"{n / 2**30:.2f} GiB"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--zkcnn", default=str(ROOT / "target/release/zkcnn"), help="the zkcnn binary (release build)")
    ap.add_argument("--fixture", default=str(ROOT / "fixtures/mnist-lenet5"))
    ap.add_argument("--model", default=None, help="the model JSON to prove (default: the fixture's model.json; "
                    "a saturating import, `zkcnn import --saturate`, proves every image)")
    ap.add_argument("--limit", type=int, default=None, help="only the first N evaluation images")
    ap.add_argument("--shard-size", type=int, default=250, help="images per shard (the prover's memory grows with it: about 2.6 GiB at 256; shards of at most 2^k images pad to 2^k)")
    ap.add_argument("--threads", type=int, default=2, help="threads per prover")
    ap.add_argument("--parallel", type=int, default=2, help="provers at once (the Ray cluster's CPUs)")
    ap.add_argument("--only", default=None, metavar="START..END", help="prove only the shards within these images (the rest are verified as not proven, --allow-gaps): for a quick run")
    ap.add_argument("--no-split", action="store_true", help="do not prove the rest of a shard around an image that cannot be proven")
    ap.add_argument("--work", default=None, help="folder for the proofs and the manifest (default: a new temporary one)")
    ap.add_argument("--zk", action="store_true", help="zero-knowledge proofs over the set committed in shards (hidden images and labels)")
    args = ap.parse_args()

    zkcnn = str(Path(args.zkcnn).resolve())
    fixture = Path(args.fixture)
    work = Path(args.work or tempfile.mkdtemp(prefix="zkcnn-ray-")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()

    # The fixture's images are bytes; the model reads them divided by the report's divisor
    # (the CLI quantizes float inputs with the model's input scale).
    divisor = json.loads((fixture / "report.json").read_text())["input_divisor"]
    images = np.load(fixture / "eval-images.npy")
    labels = np.load(fixture / "eval-labels.npy").astype(np.int64)
    if args.limit:
        images, labels = images[: args.limit], labels[: args.limit]
    n = len(labels)
    np.save(work / "images.npy", (images.astype(np.float32) / divisor))
    np.save(work / "labels.npy", labels)
    (work / "model.json").write_bytes(Path(args.model or fixture / "model.json").read_bytes())

    # One commitment, with the prover data every shard reads: transparent, or hiding (its
    # prover file is secret, and each proof spends part of its budget).
    if args.zk:
        commit = [zkcnn, "--json", "commit", f"{work}/model.json", "-o", f"{work}/model.zkc",
                  "--architecture", f"{work}/arch.json", "--prover-data", f"{work}/model.private"]
    else:
        commit = [zkcnn, "--json", "commit", "--transparent", f"{work}/model.json", "-o", f"{work}/model.commit",
                  "--architecture", f"{work}/arch.json", "--prover-data", f"{work}/model.prover"]
    code, out, err, took, _ = run(commit, work, "commit")
    if code != 0:
        sys.exit(f"commit failed: {err}")
    print(f"committed the model in {took:.2f} s: root {json.loads(out)['root']}")
    if args.zk:
        # The data owner: the set committed in shards (the verifier gets dataset.commit only).
        code, out, err, took, _ = run(
            [zkcnn, "--json", "commit-dataset", f"{work}/arch.json", f"{work}/images.npy", f"{work}/labels.npy",
             "--shard-size", str(args.shard_size), "-o", f"{work}/dataset.commit",
             "--prover-data", f"{work}/dataset-private"],
            work, "commit-dataset")
        if code != 0:
            sys.exit(f"commit-dataset failed: {err}")
        print(f"committed the {n} images and labels in {len(json.loads(out)['shards'])} shards in {took:.2f} s: "
              f"dataset {json.loads(out)['dataset']}")

    ray.init(num_cpus=args.parallel, include_dashboard=False, log_to_driver=False)
    ranges = [(s, min(s + args.shard_size, n)) for s in range(0, n, args.shard_size)]
    if args.only:
        lo, hi = (int(v) for v in args.only.split(".."))
        if args.zk:  # the committed shards within these images
            ranges = [(s, e) for s, e in ranges if lo <= s and e <= hi]
        else:
            ranges = [(max(s, lo), min(e, hi)) for s, e in ranges if max(s, lo) < min(e, hi)]
    print(f"{n} images in {len(ranges)} shards of up to {args.shard_size}; {args.parallel} provers at once, "
          f"--threads {args.threads} each, on {os.cpu_count()} cores")
    t_prove = time.monotonic()
    pending = [prove_shard.remote(zkcnn, str(work), s, e, args.threads, args.zk) for s, e in ranges]
    results = []
    while pending:
        done, pending = ray.wait(pending)
        for r in ray.get(done):
            results.append(r)
            if "error" in r:
                what = f"image {r['image']}: {r['why']}" if "image" in r else r["error"]
                print(f"  shard {r['start']}..{r['end']}: FAILED after {r['seconds']:.1f} s: {what}")
                # Go on with the rest of the shard: the images before and after the failing one.
                if "image" in r and not args.no_split and not args.zk:
                    for s, e in ((r["start"], r["image"]), (r["image"] + 1, r["end"])):
                        if s < e:
                            print(f"    proving {s}..{e} instead")
                            pending.append(prove_shard.remote(zkcnn, str(work), s, e, args.threads, args.zk))
            else:
                print(f"  shard {r['start']}..{r['end']}: {r['correct']}/{r['end'] - r['start']} correct, "
                      f"prove {r['seconds']:.1f} s (prover {r['prove_ms'] / 1000:.1f} s), "
                      f"proof {r['proof_bytes']:,} B, peak {gib(r['peak_rss'])}")
    prove_wall = time.monotonic() - t_prove
    ray.shutdown()
    results.sort(key=lambda r: r["start"])
    good = [r for r in results if "error" not in r]
    failed = [r for r in results if "error" in r]
    if not good:
        sys.exit("no shard was proven")

    head = good[0]["report"]
    manifest = {
        "format": "zkcnn-accuracy-shards",
        "version": 1,
        "model_commitment": head["model_commitment"],
        "dataset": head["dataset"],
        "count": n,
        "shards": [{"start": r["start"], "end": r["end"], "correct": r["correct"], "proof": r["proof"]} for r in good],
    }
    (work / "manifest.json").write_text(json.dumps(manifest, indent=2))

    # The sharded verifier (Rust): every shard's proof on its slice, the cover, the sum.
    gaps = bool(failed) or sum(r["end"] - r["start"] for r in good) < n
    if args.zk:  # the sharded dataset commitment in the images' and the labels' places
        statement = [f"{work}/model.zkc", f"{work}/dataset.commit", f"{work}/dataset.commit"]
    else:
        statement = [f"{work}/model.commit", f"{work}/images.npy", f"{work}/labels.npy"]
    verify = [zkcnn, "--json", "verify", "--shards"] + (["--allow-gaps"] if gaps else []) + [
        f"{work}/arch.json", *statement, f"{work}/manifest.json"]
    code, out, err, vtook, vrss = run(verify, work, "verify")
    if code != 0:
        sys.exit(f"the shard set was REJECTED: {err.strip()}")
    v = json.loads(out)
    total = time.monotonic() - t0
    check = f"commitment check {v['check_ms'] / 1000:.2f} s; " if "check_ms" in v else ""
    print(f"verified {v['shards']} {v['kind']} proofs in {v['verify_ms'] / 1000:.2f} s "
          f"({check}the verify process {vtook:.2f} s, peak {gib(vrss)})")
    if gaps:
        for r in failed:
            what = f"image {r['image']}: {r['why']}" if "image" in r else r["error"]
            print(f"failed: shard {r['start']}..{r['end']} ({what})")
        print("NOT PROVEN: images " + ", ".join(f"{a}..{b}" for a, b in v["gaps"]))
        print(f"proven accuracy: {v['correct']} of the {v['covered']} proven images "
              f"({v['correct'] / v['covered']:.4%}); at least {v['correct']} of all {n} ({v['correct'] / n:.4%})")
    else:
        print(f"proven accuracy: {v['correct']} of {n} = {v['correct'] / n:.4%}")
    print(f"proving wall time {prove_wall:.1f} s, total {total:.1f} s; proofs "
          f"{sum(r['proof_bytes'] for r in good):,} B in all; largest prover peak "
          f"{gib(max(r['peak_rss'] for r in results))}; work folder {work}")
    (work / "summary.json").write_text(json.dumps({
        "count": n, "correct": v["correct"], "covered": v["covered"], "gaps": v["gaps"],
        "prove_wall_s": prove_wall, "total_s": total, "verify_ms": v["verify_ms"],
        "shards": [{k: r[k] for k in r if k != "report"} for r in results],
    }, indent=2))


if __name__ == "__main__":
    main()
