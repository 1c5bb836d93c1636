"""zkcnn: proofs of CNN inference with GKR, sum-check and a Basefold commitment.

A model's owner imports (or loads) a quantized CNN, commits to its weights once and publishes
the architecture and the commitment; a prover proves "the committed model, on input x,
outputs y"; anyone with the architecture and the commitment verifies the proof in
milliseconds, without the weights::

    import numpy as np, zkcnn

    model = zkcnn.import_onnx("model.onnx", calibration=np.load("calibration.npy"))
    committed = model.commit()              # hiding: zero-knowledge proofs
    committed.save_private("model.private")  # SECRET; save again after proofs
    y, proof = zkcnn.prove(committed, x)
    zkcnn.verify(committed.architecture, committed.commitment, x, y, proof)  # or raises

Proofs are zero-knowledge by default: they reveal nothing of the weights (nor of the input,
when it is committed with ``commit_input`` and verifiers get its commitment in place of
``x``). A hiding commitment serves a budget of proofs (at least 64; a committed input's, 8);
``Model.commit(transparent=True)`` makes transparent proofs, without a budget.

Commitments and proofs are the bytes of the files that the ``zkcnn`` command line writes, so
either side reads the other's. Every error is a ``ZkcnnError``; a proof that is not accepted
raises a ``VerifyError`` subclass (``ProofFormatError``, ``CommitmentError``,
``RejectedError``, ``StatementError``). Each exception has ``kind``, the library's error
variant in snake case.
"""

from ._zkcnn import (
    PROOF_FORMAT_VERSION,
    CommitmentError,
    CommittedInput,
    CommittedModel,
    InputError,
    Model,
    ModelError,
    ProofFormatError,
    RejectedError,
    StatementError,
    VerifyError,
    ZkcnnError,
    __version__,
    commit_input,
    import_onnx,
    prove,
    prove_accuracy,
    prove_batch,
    shard_manifest,
    verify,
    verify_accuracy,
    verify_shards,
)

__all__ = [
    "PROOF_FORMAT_VERSION",
    "CommitmentError",
    "CommittedInput",
    "CommittedModel",
    "InputError",
    "Model",
    "ModelError",
    "ProofFormatError",
    "RejectedError",
    "StatementError",
    "VerifyError",
    "ZkcnnError",
    "__version__",
    "commit_input",
    "import_onnx",
    "prove",
    "prove_accuracy",
    "prove_batch",
    "shard_manifest",
    "verify",
    "verify_accuracy",
    "verify_shards",
]
