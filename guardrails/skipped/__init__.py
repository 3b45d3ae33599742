"""Skipped hooks: the attestation, require-checks, shell-command analysis."""
