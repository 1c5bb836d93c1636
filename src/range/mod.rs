//! Range checks by a logUp lookup argument proven with a GKR over fractions.
