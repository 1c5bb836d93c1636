"""Zero-knowledge proofs on the LeNet-5 fixture: the hiding commitment's private part saved and
loaded, a proof on a hidden input (the verifier gets the input's commitment instead of the
input), and the budgets. Run: python python/examples/hidden_input.py"""
import tempfile
from pathlib import Path

import numpy as np
import zkcnn

fixtures = Path(__file__).resolve().parents[2] / "fixtures" / "mnist-lenet5"
model = zkcnn.Model.load(fixtures / "model.json")
x = np.load(fixtures / "test-inputs.npy")[0]

with tempfile.TemporaryDirectory() as tmp:
    private = Path(tmp) / "model.private"
    committed = model.commit()  # hiding: the proofs reveal nothing of the weights
    committed.save_private(private)  # SECRET, with the weights; public: committed.commitment
    # Later, or elsewhere: the same commitment from the model, the public bytes, the private file.
    committed = zkcnn.CommittedModel.load(model, committed.commitment, private)

    hidden = zkcnn.commit_input(model.architecture(), x)  # the input's hiding commitment
    y, proof = zkcnn.prove(committed, None, input_commitment=hidden)
    committed.save_private(private)  # each proof spends budget: save after proving
    print(f"output {y.tolist()}, proof {len(proof)} bytes")
    print(f"model commitment: {committed.revealed} of {committed.budget} mask values revealed")
    print(f"input commitment: {hidden.revealed} of {hidden.budget} mask values revealed")

# The verifier: the architecture, the model's and the input's commitments, y and the proof.
zkcnn.verify(committed.architecture, committed.commitment, hidden.commitment, y, proof)
print("valid: the committed model, on the committed input, outputs y")
