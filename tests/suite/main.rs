//! The integration tests, in one binary (one link instead of ten, and the library's generic code
//! instantiated once): `cargo test --test suite <module>::` runs one module.

mod accuracy;
mod activation;
mod batch;
mod cli;
mod columns;
mod conv_paths;
mod gkr;
mod layers;
mod leakage;
mod maxpool;
mod model;
mod mul;
mod network;
mod onnx;
mod onnx_lowering;
mod pcs;
mod pcs_joint;
mod range;
mod saturate;
mod shards;
mod soundness;
mod sumcheck;
mod weights;
mod zk_accuracy;
mod zk_batch;
mod zk_committed_batch;
mod zk_dataset;
mod zk_proof_files;
mod zk_shards;
