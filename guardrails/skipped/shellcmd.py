"""Does a shell command skip git hooks? Parsed with ``shlex`` (never a regex over the whole
string), so ``git commit -m "do not use --no-verify"`` is allowed and ``git commit -nm x`` is not.

Understood: ``;`` ``&&`` ``||`` ``|`` ``&`` newlines, ``( )`` and ``$( )`` and backticks,
here-documents (their body is data), environment assignments (``SKIP=x git …``, ``env``,
``export``), wrappers (``sudo``, ``env``, ``command``, ``exec``, ``nohup``, ``time``, ``nice``,
``timeout``, ``xargs``), ``bash -c``/``sh -c``/``eval`` strings (parsed again), git's global
options (``-C``, ``-c``, ``--config-env``, ``--git-dir`` …) and git's abbreviated long options.
"""
from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator

from guardrails.git import GLOBAL_OPTS_WITH_VALUE

SHELLS = ("sh", "bash", "zsh", "dash", "ksh", "fish")
WRAPPERS = ("sudo", "env", "command", "exec", "nohup", "time", "nice", "timeout", "xargs",
            "builtin", "doas", "stdbuf", "ionice", "chronic")
INTERPRETERS = ("python", "python3", "node", "perl", "ruby", "deno", "bun")
# subcommands whose --no-verify skips a hook (`-n` means --no-verify only for commit)
VERIFY_SUBCOMMANDS = ("commit", "push", "merge", "cherry-pick", "rebase", "am", "revert", "pull")
# git commit's short options that take a value (the rest of the cluster, or the next word)
COMMIT_VALUE_SHORT = "mFCctS"  # -S[keyid] and -u[mode] take only an attached value
COMMIT_VALUE_LONG = ("--message", "--file", "--reuse-message", "--reedit-message", "--fixup",
                     "--squash", "--author", "--date", "--template", "--cleanup",
                     "--pathspec-from-file", "--trailer")
SKIP_VARS = ("SKIP", "PREK_SKIP", "HUSKY", "HUSKY_SKIP_HOOKS", "PRE_COMMIT_ALLOW_NO_CONFIG",
             "LEFTHOOK", "LEFTHOOK_EXCLUDE", "OVERCOMMIT_DISABLE")
MARKERS = ("--no-verify", "hookspath", "skip=", "husky", "pre_commit_allow_no_config")

_ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)
_HEREDOC = re.compile(r"<<(-?)[ \t]*(['\"]?)([A-Za-z0-9_.-]+)\2")


def _strip_heredocs(cmd: str) -> str:
    """Drop here-document bodies: they are data (a commit message), not commands."""
    lines = cmd.split("\n")
    out: list[str] = []
    pending: list[tuple[bool, str]] = []
    for line in lines:
        if pending:
            dash, word = pending[0]
            if (line.lstrip("\t") if dash else line) == word:
                pending.pop(0)
            continue
        out.append(line)
        pending += [(m.group(1) == "-", m.group(3)) for m in _HEREDOC.finditer(line)]
    return "\n".join(out)


def _words(cmd: str) -> list[str]:
    lex = shlex.shlex(cmd.replace("`", " ; "), posix=True, punctuation_chars=";&|()<>\n")
    lex.whitespace = " \t\r"
    lex.whitespace_split = True
    lex.commenters = "#"
    return list(lex)


def simple_commands(cmd: str) -> Iterator[list[str]]:
    """The simple commands of a command line, as word lists (operators removed)."""
    words = _words(_strip_heredocs(cmd))
    current: list[str] = []
    for w in words:
        if w and all(c in ";&|()\n" for c in w):
            if current:
                yield current
            current = []
        elif w and all(c in "<>" for c in w):
            current.append(w)
        elif w == "$":  # "$(" : the "(" follows as an operator
            continue
        else:
            current.append(w[:-1] if w.endswith("$") and w != "$" else w)
    if current:
        yield current


def _hookspath_assignments(env: dict[str, str]) -> list[str]:
    found = []
    for k, v in env.items():
        if k.startswith("GIT_CONFIG_KEY_") and v.strip().lower() == "core.hookspath":
            found.append(f"{k}={v} (GIT_CONFIG_* overrides core.hooksPath)")
        if k == "GIT_CONFIG_PARAMETERS" and "core.hookspath" in v.lower():
            found.append("GIT_CONFIG_PARAMETERS sets core.hooksPath")
    return found


def _env_reasons(env: dict[str, str]) -> list[str]:
    reasons = []
    for k, v in env.items():
        if k in ("SKIP", "PREK_SKIP"):
            reasons.append(f"{k}={v} skips pre-commit/prek hooks")
        elif (k == "HUSKY" and v.strip() == "0") or k in SKIP_VARS[3:]:
            reasons.append(f"{k}={v} turns hooks off")
    return reasons + _hookspath_assignments(env)


def git_reasons(args: list[str]) -> list[str]:
    """``args``: the words after ``git``."""
    reasons: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-c",) and i + 1 < len(args):
            if args[i + 1].split("=", 1)[0].strip().lower() == "core.hookspath":
                reasons.append(f"git -c {args[i + 1]} redirects the hooks")
            i += 2
            continue
        if a.startswith("-c") and len(a) > 2 and "=" in a:
            if a[2:].split("=", 1)[0].lower() == "core.hookspath":
                reasons.append(f"git {a} redirects the hooks")
            i += 1
            continue
        if a.startswith("--config-env"):
            val = a.split("=", 1)[1] if "=" in a else (args[i + 1] if i + 1 < len(args) else "")
            if val.split("=", 1)[0].lower() == "core.hookspath":
                reasons.append(f"git --config-env {val} redirects the hooks")
            i += 1 if "=" in a else 2
            continue
        if a in GLOBAL_OPTS_WITH_VALUE:
            i += 2
            continue
        if a.startswith("-"):
            i += 1
            continue
        break
    if i >= len(args):
        return reasons
    sub, rest = args[i], args[i + 1:]
    if sub == "config":
        vals = [r for r in rest if not r.startswith("-")]
        if vals and vals[0].lower() == "core.hookspath" and len(vals) >= 2 \
                and "--unset" not in rest and "--unset-all" not in rest:
            reasons.append(f"git config core.hooksPath {vals[1]} moves the hooks away")
        return reasons
    if sub not in VERIFY_SUBCOMMANDS:
        return reasons
    no_verify = False
    j = 0
    while j < len(rest):
        a = rest[j]
        if a == "--":
            break
        if a.startswith("--"):
            name = a.split("=", 1)[0]
            if len(name) > len("--no-ver") and "--no-verify".startswith(name):
                no_verify = True
            elif len(name) > len("--ver") and "--verify".startswith(name):
                no_verify = False
            elif sub == "commit" and "=" not in a and any(
                    v.startswith(name) and len(name) > 3 for v in COMMIT_VALUE_LONG):
                j += 1  # the value is the next word (a message that mentions --no-verify)
            j += 1
            continue
        if sub == "commit" and a.startswith("-") and len(a) > 1:
            for k, ch in enumerate(a[1:]):
                if ch == "n":
                    no_verify = True
                elif ch in COMMIT_VALUE_SHORT:
                    if k == len(a) - 2 and ch in "mFCct":
                        j += 1  # value in the next word
                    break
                elif ch in "uS":
                    break
        j += 1
    if no_verify:
        reasons.append(f"git {sub} --no-verify skips the {sub} hooks")
    return reasons


def _strip_wrappers(words: list[str]) -> tuple[list[str], dict[str, str]]:
    """Remove leading assignments and wrappers; return the command and the assignments."""
    env: dict[str, str] = {}
    i = 0
    while i < len(words):
        w = words[i]
        m = _ASSIGN.match(w)
        if m:
            env[m.group(1)] = m.group(2)
            i += 1
            continue
        base = os.path.basename(w)
        if base in WRAPPERS:
            i += 1
            # options of the wrapper (and their values for the common ones)
            while i < len(words) and words[i].startswith("-"):
                opt = words[i]
                i += 1
                if base in ("sudo", "doas") and opt in ("-u", "-g", "-C", "-D", "-h", "-p"):
                    i += 1
                elif base == "env" and opt in ("-u", "-C", "--unset", "--chdir"):
                    i += 1
                elif base == "xargs" and opt in ("-I", "-n", "-L", "-P", "-d", "-s", "-E",
                                                 "-a"):
                    i += 1
                elif base in ("nice", "ionice") and opt in ("-n", "-c"):
                    i += 1
            if base == "timeout" and i < len(words):
                i += 1  # the duration
            continue
        break
    return words[i:], env


def reasons(cmd: str, depth: int = 0) -> list[str]:
    """Why ``cmd`` skips hooks; empty when it does not. Unparseable commands that contain a
    skip marker count as skipping (fail closed)."""
    if depth > 4:
        return []
    try:
        commands = list(simple_commands(cmd))
    except ValueError as e:
        low = cmd.lower()
        if any(m in low for m in MARKERS):
            return [f"cannot parse the command ({e}) and it mentions a hook-skipping option"]
        return []
    found: list[str] = []
    for words in commands:
        words = [w for w in words if w not in ("!", "{", "}")]
        if not words:
            continue
        if words[0] in ("export", "declare", "typeset", "local", "readonly"):
            env = {m.group(1): m.group(2) for w in words[1:] if (m := _ASSIGN.match(w))}
            found += _env_reasons(env)
            continue
        rest, env = _strip_wrappers(words)
        found += _env_reasons(env)
        if not rest:
            continue
        prog = os.path.basename(rest[0])
        if prog == "git":
            found += git_reasons(rest[1:])
        elif prog in SHELLS or prog == "eval":
            script = None
            if prog == "eval":
                script = " ".join(rest[1:])
            else:
                for k, a in enumerate(rest[1:], 1):
                    if a.startswith("-") and not a.startswith("--") and "c" in a[1:]:
                        script = rest[k + 1] if k + 1 < len(rest) else None
                        break
            if script:
                found += reasons(script, depth + 1)
        elif prog.rstrip("0123456789.") in INTERPRETERS:
            code = " ".join(rest[1:]).lower()
            if "--no-verify" in code or "hookspath" in code:
                found.append(f"{prog} code that runs git with hooks skipped")
    return found
