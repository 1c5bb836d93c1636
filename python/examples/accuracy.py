"""Batch and accuracy proofs on the LeNet-5 fixture (transparent): one proof of a batch of
digits, one proof of how many of them the model classifies as their labels, and the same
count proven in two shards combined by a manifest. Run: python python/examples/accuracy.py"""
from pathlib import Path

import numpy as np
import zkcnn

fixtures = Path(__file__).resolve().parents[2] / "fixtures" / "mnist-lenet5"
model = zkcnn.Model.load(fixtures / "model.json")
committed = model.commit(transparent=True)  # batch and accuracy proofs are transparent
arch, commitment = committed.architecture, committed.commitment
xs = np.load(fixtures / "test-inputs.npy")  # float32 [8, 1, 28, 28]: quantized
labels = np.load(fixtures / "test-labels.npy").astype(np.int64)

ys, proof = zkcnn.prove_batch(committed, xs)  # ys: [8, 10], the proven logits
zkcnn.verify(arch, commitment, xs, ys, proof)
print(f"batch of {len(xs)}: classes {ys.argmax(axis=1).tolist()}, one proof of {len(proof)} bytes")

count, proof = zkcnn.prove_accuracy(committed, xs, labels)  # the logits stay out of the proof
assert zkcnn.verify_accuracy(arch, commitment, xs, labels, proof) == count
print(f"accuracy: {count} of {len(xs)} classified as their labels, proof {len(proof)} bytes")

entries, proofs = [], {}
for shard in [(0, 4), (4, 8)]:  # each shard proven anywhere
    correct, shard_proof, entry = zkcnn.prove_accuracy(committed, xs, labels, shard=shard)
    entries.append(entry)
    proofs[entry["proof"]] = shard_proof
manifest = zkcnn.shard_manifest(arch, commitment, xs, labels, entries)
total = zkcnn.verify_shards(arch, commitment, xs, labels, manifest, proofs)
print(f"shards: {total['correct']} of {total['covered']} in {total['shards']} shard proofs")
