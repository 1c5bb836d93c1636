"""zkcnn: proofs of CNN inference with GKR, sum-check and a Basefold commitment.

A model's owner imports (or loads) a quantized CNN, commits to its weights once and publishes
the architecture and the commitment; a prover proves "the committed model, on input x,
outputs y"; anyone with the architecture and the commitment verifies the proof in
milliseconds, without the weights::

    import numpy as np, zkcnn

    model = zkcnn.import_onnx("model.onnx", calibration=np.load("calibration.npy"))
    committed = model.commit()
    y, proof = zkcnn.prove(committed, x)
    zkcnn.verify(committed.architecture, committed.commitment, x, y, proof)  # or raises

Commitments and proofs are the bytes of the files that the ``zkcnn`` command line writes, so
either side reads the other's. Every error is a ``ZkcnnError``; a proof that is not accepted
raises a ``VerifyError`` subclass (``ProofFormatError``, ``CommitmentError``,
``RejectedError``, ``StatementError``). Each exception has ``kind``, the library's error
variant in snake case.
"""

from ._zkcnn import (
    PROOF_FORMAT_VERSION,
    CommitmentError,
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
    import_onnx,
    prove,
    verify,
)

__all__ = [
    "PROOF_FORMAT_VERSION",
    "CommitmentError",
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
    "import_onnx",
    "prove",
    "verify",
]
