"""One lock for guardrails' own writes to shared state (worktree add, session start/finish,
gc): an flock on a file in the common git dir, so every worktree sees the same lock.

The kernel drops an flock when its holder dies, so a killed holder never leaves it stuck; the
file records who holds it (pid, command, since when) for the message a waiter prints.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator

from guardrails.errors import GuardrailsError

DEFAULT_TIMEOUT = 60.0


def lock_path(common_dir: str, name: str = "guardrails") -> str:
    return os.path.join(common_dir, "guardrails", f"{name}.lock")


def holder(path: str) -> str:
    """Who holds (or last held) the lock, for messages."""
    try:
        with open(path) as f:
            info = json.load(f)
        age = time.time() - float(info["since"])
        return f"pid {info['pid']} ({info['what']}) for {age:.0f}s"
    except (OSError, ValueError, KeyError, TypeError):
        return "an unknown process"


@contextlib.contextmanager
def hold(common_dir: str, what: str, name: str = "guardrails",
         timeout: float = DEFAULT_TIMEOUT) -> Iterator[None]:
    """Hold the lock for the duration of the ``with`` block, waiting up to ``timeout`` s."""
    path = lock_path(common_dir, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        delay = 0.01
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise GuardrailsError(
                        f"timed out after {timeout:.0f}s waiting for {path}, held by "
                        f"{holder(path)}",
                        "wait for that command to finish and try again "
                        "(the lock is released when its holder exits)",
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.25)
        info = {"pid": os.getpid(), "what": what or " ".join(sys.argv), "since": time.time()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
