"""Git's automatic maintenance while agent sessions are active.

``git commit`` (and merge, rebase, fetch …) runs ``git maintenance run --auto``; since git 2.54
that is a geometric repack plus ``pack-refs --auto`` that ignores ``pre-auto-gc`` and races the
other worktrees' writes. While any session is active the repository config says
``gc.auto=0`` and ``maintenance.auto=false``: ``suspend`` (called by ``start``) records the values
it replaces in ``<common>/guardrails/maintenance.json``; ``restore`` (called by ``finish``) puts
them back once the last session has ended.

``maintenance.auto=false`` stops only the ``git maintenance run --auto`` that commands start.
Scheduled (background) maintenance (``git maintenance start``/``register``: cron, systemd or
launchd run ``git for-each-repo … maintenance run --schedule=…``) ignores it and ``pre-auto-gc``
alike, and so does an explicit ``git maintenance run``: while sessions are active each task that
rewrites refs or deletes objects is switched off in the repository config too
(``maintenance.<task>.enabled=false``; git before 2.29 has no such tasks and ignores the keys).
``git guardrails gc`` names its tasks explicitly and is not affected.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Optional

from guardrails import git, state

# Tasks of `git maintenance` that pack, prune or rewrite refs (gc, pack-refs: the rollback race
# of two concurrent pack-refs; reflog-expire, worktree-prune, loose-objects, the repacks).
# commit-graph, prefetch and rerere-gc touch neither refs nor reachable objects.
TASKS = ("gc", "pack-refs", "geometric-repack", "incremental-repack", "loose-objects",
         "reflog-expire", "worktree-prune")
# How long an agent's own `git commit` waits for a ref lock another process holds, in ms. Git's
# defaults (100 ms for reftable's tables.list.lock and a loose ref's lock) are shorter than a
# stack compaction or pack-refs takes beside a dozen writers: under reftable every commit of
# every worktree takes the one tables.list.lock, and "fatal: cannot lock references" failed
# 8 of 60 commits beside `git guardrails gc` (bench.parallel_agents, git 2.55). The hooks run
# before the commit's ref update and cannot wait for it; the config can. 60 s, not 10: git
# polls a held lock with a backoff that grows to about 1 s between tries, so beside sixteen
# writers taking turns a writer that has waited a while seldom finds the lock free, and 10 s
# still failed 1 to 17 of 320 commits at 16 x 20 (docs/git-versions.md).
LOCK_TIMEOUT_MS = "60000"
KEYS = (("gc.auto", "0"), ("maintenance.auto", "false"),
        *((f"maintenance.{t}.enabled", "false") for t in TASKS),
        ("reftable.locktimeout", LOCK_TIMEOUT_MS), ("core.filesreflocktimeout", LOCK_TIMEOUT_MS))
STATE = "maintenance.json"


def _state_path(repo: git.Repo) -> str:
    return repo.common_path("guardrails", STATE)


def _local(repo: git.Repo) -> dict[str, str]:
    """The repository's own values of KEYS, in one ``git config --local``."""
    pattern = "^(" + "|".join(k.replace(".", r"\.") for k, _ in KEYS) + ")$"
    return git.config(repo.toplevel, pattern, local=True)


def automatic(cfg: Mapping[str, str]) -> list[str]:
    """Which automatic maintenance is on, given config as ``{lowercase key: value}``."""
    on: list[str] = []
    gc_auto = cfg.get("gc.auto", "").strip()
    if gc_auto != "0":
        on.append(f"gc.auto={gc_auto or '6700 (default)'}")
    m_auto = cfg.get("maintenance.auto", "").strip().lower()
    if m_auto not in ("false", "no", "off", "0"):
        on.append(f"maintenance.auto={m_auto or 'true (default)'}")
    strategy = cfg.get("maintenance.strategy", "").strip()
    enabled = [t for t in TASKS if cfg.get(f"maintenance.{t}.enabled", "").strip().lower()
               not in ("false", "no", "off", "0")]
    explicit = [t for t in enabled if cfg.get(f"maintenance.{t}.enabled", "").strip()]
    if strategy and enabled:
        on.append(f"maintenance.strategy={strategy} (scheduled maintenance runs "
                  f"{', '.join(enabled[:3])}{' …' if len(enabled) > 3 else ''})")
    elif explicit:
        on.append(f"maintenance.{explicit[0]}.enabled=true")
    return on


# what the repository's config said before the first session: a value git accepts, or None
# (not set). Anything else in the file (an agent's edit) is never written back into config.
_INT = re.compile(r"-?[0-9]{1,12}[kKmMgG]?\Z")
_BOOL = re.compile(r"(?i)(true|false|yes|no|on|off|[0-9]{1,3})?\Z")


def _value(pattern: re.Pattern[str]) -> state.Validator:
    def check(v: object) -> str:
        if not isinstance(v, str) or not pattern.match(v):
            raise state.Invalid("not a value git accepts for this key")
        return v
    return check


def _pattern(key: str) -> re.Pattern[str]:
    return _INT if key == "gc.auto" or key.endswith("timeout") else _BOOL


SCHEMA = state.Schema("maintenance", 1, {
    key: (state.optional(_value(_pattern(key))), None) for key, _ in KEYS})


def _fix(repo: git.Repo) -> str:
    """Back to git's defaults for every key suspend sets (each ``--unset-all``; one that is
    not set is fine), then the record goes."""
    from guardrails.findings import shell_path

    top = shell_path(repo.toplevel)
    return "; ".join([*(f"git -C {top} config --local --unset-all {key}" for key, _ in KEYS),
                      f"rm -rf -- {shell_path(_state_path(repo))}"])


def recorded(repo: git.Repo) -> Optional[dict[str, Optional[str]]]:
    """The values recorded before the first session; None when nothing is recorded.
    StateError (with the fix that puts git's defaults back) when the record is unusable."""
    return state.read(_state_path(repo), SCHEMA, fix=_fix(repo))


def suspend_command(cfg: Mapping[str, str]) -> str:
    """The git commands that set what ``suspend`` sets, for the keys not set so already."""
    return " && ".join(f"git config {key} {value}" for key, value in KEYS
                       if cfg.get(key.lower(), "").strip().lower() != value) or "true"


def suspend(repo: git.Repo) -> bool:
    """Turn automatic maintenance off for the repository; record what it was the first time.
    Idempotent. Returns True when a setting was changed."""
    path = _state_path(repo)
    current = _local(repo)
    try:
        known = recorded(repo) is not None
    except state.StateError:
        known = True  # keep the broken record for its finding: what it had is unknown
    if not known:
        previous = {key: _valid_or_none(current.get(key), key) for key, _ in KEYS}
        state.write(path, previous, SCHEMA)
    changed = False
    for key, value in KEYS:
        if current.get(key) != value:
            git.run("config", "--local", key, value, cwd=repo.toplevel, write=True)
            changed = True
    return changed


def _valid_or_none(value: Optional[str], key: str) -> Optional[str]:
    if value is None:
        return None
    return value if _pattern(key).match(value) else None


def restore(repo: git.Repo, force: bool = False) -> bool:
    """Put the recorded values back when no session is active any more (or ``force``).
    Returns True when the values were restored. A record that cannot be used raises
    StateError (its fix puts git's defaults back) and changes nothing: gc stays off rather
    than getting a value nobody set."""
    from guardrails.sessions import session

    if not os.path.lexists(_state_path(repo)):
        return False
    if session.all_sessions(repo) and not force:
        return False
    previous = recorded(repo)
    if previous is None:
        return False
    for key, _ in KEYS:
        old = previous.get(key)
        if old is None:
            git.run("config", "--local", "--unset-all", key, cwd=repo.toplevel, write=True,
                    ok=(0, 5))
        else:
            git.run("config", "--local", "--", key, old, cwd=repo.toplevel, write=True)
    state.remove(_state_path(repo))
    return True
