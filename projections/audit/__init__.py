"""The auditors' log: a Merkle tree over the stored events, signed checkpoints, proofs, verification."""
