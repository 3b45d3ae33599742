"""human-commits = "signed": which commits of a range a human signed.

A commit counts as a human's only when git verifies its ssh signature against the
``allowed-signers`` file read from the merge-base (like the policy: never the branch's own copy,
which an agent could edit). Verification is git's own (``%G?`` = ``G``), with
``gpg.ssh.allowedSignersFile`` pointing at a temporary copy of that blob, in one ``git log``
for the whole range. OpenPGP and X.509 signatures are not trusted (their programs are set to
``false``: CI's keyring is not the policy), so they never verify.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence

from guardrails import git
from guardrails.errors import GuardrailsError
from guardrails.scope.policy import Policy

# Only "G" ("a good (valid) signature") verifies; U (good, unknown key), B, X, Y, R, E, N do not.
GOOD = "G"


def allowed_signers(repo: git.Repo, pol: Policy, merge_base: str) -> bytes:
    """The allowed-signers blob at the merge-base (GuardrailsError, exit 2, when it is not
    there: a "signed" policy without its keys cannot tell a human from an agent)."""
    path = pol.allowed_signers or ""
    (blob,) = git.cat_file(repo, [f"{merge_base}:{path}"])
    if blob is None or blob.type != "blob":
        raise GuardrailsError(
            f".guardrails.toml ({pol.source}): allowed-signers = \"{path}\" is not a file at "
            f"the merge-base {merge_base[:12]}, so no commit can be verified as a human's",
            f"commit the ssh allowed_signers file at {path} on {pol.base} (docs/ci.md, "
            "\"Signed human commits\"), or set human-commits = \"any\"")
    return blob.data


def verified(repo: git.Repo, pol: Policy, merge_base: str, oids: Sequence[str]) -> frozenset[str]:
    """The commits among ``oids`` whose signature git verifies against the merge-base's
    allowed signers."""
    if not oids:
        return frozenset()
    data = allowed_signers(repo, pol, merge_base)
    fd, tmp = tempfile.mkstemp(prefix="guardrails-allowed-signers-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        out = git.out("-c", f"gpg.ssh.allowedSignersFile={tmp}", "-c", "gpg.format=ssh",
                      "-c", "gpg.ssh.program=ssh-keygen", "-c", "gpg.openpgp.program=false",
                      "-c", "gpg.x509.program=false", "-c", "log.showSignature=false",
                      "log", "--no-walk=unsorted", "--stdin", "--format=%H %G?",
                      cwd=repo.toplevel, input="".join(o + "\n" for o in oids).encode())
    finally:
        os.unlink(tmp)
    good = set()
    for line in out.decode(errors="replace").splitlines():
        oid, _, status = line.partition(" ")
        if status.strip() == GOOD:
            good.add(oid)
    return frozenset(good)
