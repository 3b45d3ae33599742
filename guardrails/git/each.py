"""One read-only git command in each of many directories (``git status`` in every worktree),
a few at a time: as many as the CPUs this process may use, each started as the oldest one
ends. No threads: :func:`git.start` returns at once, and the processes run side by side while
this one waits for the oldest."""
from __future__ import annotations

import os
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Optional

from guardrails import git


def cpus() -> int:
    """The CPUs this process may run on (its affinity mask, else the machine's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def run_each(args: Sequence[str], dirs: Sequence[str],
             env: Optional[Mapping[str, Optional[str]]] = None,
             width: Optional[int] = None) -> list[git.Completed]:
    """``git -C DIR *args`` for each of ``dirs``, at most ``width`` (default: :func:`cpus`)
    at once; the completed processes in the order of ``dirs`` (exit codes are not checked)."""
    width = max(1, width or cpus())
    running: deque[git.Running] = deque()
    done: list[git.Completed] = []
    try:
        for d in dirs:
            running.append(git.start(*args, cwd=d, env=env))
            if len(running) >= width:
                done.append(running.popleft().wait())
        while running:
            done.append(running.popleft().wait())
    finally:
        for proc in running:  # an error or an interrupt: collect what was started
            try:
                proc.wait()
            except OSError:
                pass
    return done
