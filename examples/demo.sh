#!/usr/bin/env bash
# `make demo`: two coding agents in two worktrees of a scratch repository, told as a story. Each
# step says what an agent tried, what stopped it and which layer did: the agent's pre-tool hook
# (`git guardrails agent-hook claude`), a git hook run by pre-commit (`guardrails`,
# `require-checks`), the native ref hook (`git guardrails install`: reference-transaction), or
# CI (`git guardrails ci`, in examples/demo-review.sh) once the agent turns hooks off.
#
# Needs git and the project's venv on PATH (pre-commit, python). Everything lives in .demo/;
# the hook environment pre-commit builds is kept in .demo/cache/ (PRE_COMMIT_HOME) and reused
# while the snapshot of this checkout is unchanged, so a second run takes seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEMO="${DEMO_DIR:-$ROOT/.demo}"   # DEMO_DIR: tests run it elsewhere
CACHE="$DEMO/cache"
mkdir -p "$DEMO"
find "$DEMO" -mindepth 1 -maxdepth 1 ! -name cache -exec rm -rf {} +
mkdir -p "$DEMO/home" "$CACHE"

BOLD="" PLAIN=""
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; fi

# A self-contained environment: no user git config, no agent markers from the calling shell.
export HOME="$DEMO/home" XDG_CONFIG_HOME="$DEMO/home/.config" GIT_CONFIG_NOSYSTEM=1
export PRE_COMMIT_HOME="$CACHE/pre-commit" PIP_CACHE_DIR="$CACHE/pip" NO_COLOR=1
export GIT_AUTHOR_NAME="Demo Human" GIT_AUTHOR_EMAIL="human@example.com"
export GIT_COMMITTER_NAME="Demo Human" GIT_COMMITTER_EMAIL="human@example.com"
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE SKIP PREK_SKIP GUARDRAILS_BASE \
      CLAUDECODE CODEX_THREAD_ID GEMINI_CLI CURSOR_AGENT OPENCODE AI_AGENT AGENT 2>/dev/null || true

START=$SECONDS
say() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$PLAIN"; }
indent() { sed 's/^/   | /'; }
tried() { printf '   tried:      %s\n' "$*"; }
stopped() { printf '   %sstopped by: %s%s\n' "$BOLD" "$*" "$PLAIN"; }
passed() { printf '   accepted:   %s\n' "$*"; }
# A Claude Code PreToolUse payload, answered the way Claude Code runs the hook (exit 2 = block).
pretool() {  # pretool TOOL KEY VALUE
  python -c 'import json, os, sys
print(json.dumps({"hook_event_name": "PreToolUse", "tool_name": sys.argv[1],
                  "tool_input": {sys.argv[2]: sys.argv[3]}, "cwd": os.getcwd()}))' "$@" \
    | CLAUDECODE=1 git guardrails agent-hook claude
}

command -v pre-commit >/dev/null || {
  echo "demo: pre-commit is not on PATH; run it through the venv: make demo" >&2; exit 2; }

say "1. Snapshot this checkout (uncommitted changes included) as the hook repository"
SNAP="$DEMO/hook-repo"
python - "$ROOT" "$SNAP" <<'PY'
import os, shutil, subprocess, sys
root, dest = sys.argv[1:]
out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                     cwd=root, capture_output=True, check=True).stdout
for rel in (os.fsdecode(p) for p in out.split(b"\0") if p):
    src = os.path.join(root, rel)
    # only what the package is built from: editing the demo or the docs reuses the cache
    if rel.startswith(("tests/", "bench/", ".demo/", "examples/", "docs/")) or not os.path.isfile(src):
        continue
    os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
    shutil.copy2(src, os.path.join(dest, rel))
PY
git -C "$SNAP" init -q
git -C "$SNAP" add -A
# A fixed date: the same files give the same commit, so pre-commit's cached environment for
# (this path, this SHA) is reused on the next run; any change to the checkout builds a new one.
GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
  git -C "$SNAP" commit -q --no-verify -m "snapshot for the demo"
SHA="$(git -C "$SNAP" rev-parse HEAD)"
echo "   $SNAP @ ${SHA:0:12}"

say "2. A repository on main with a policy of two tasks: auth and billing"
REPO="$DEMO/repo"
git init -q -b main "$REPO"
cd "$REPO"
mkdir -p src/auth src/billing docs
printf 'def login(user):\n    return user\n' > src/auth/login.py
printf 'def invoice(total):\n    return total\n' > src/billing/invoice.py
printf '# Billing\n' > docs/billing.md
printf 'demo\n' > README.md
cp "$ROOT/examples/.guardrails.toml" .guardrails.toml
cat > .pre-commit-config.yaml <<EOF
default_install_hook_types: [pre-commit, prepare-commit-msg]
repos:
- repo: $SNAP
  rev: $SHA
  hooks:
  - id: guardrails
  - id: require-checks
EOF
git add -A
git commit -q --no-verify -m "project with a guardrails policy"
sed -n '/^\[tasks/,$p' .guardrails.toml | grep -E '^\[tasks|^branch|^allow' | indent

say "3. Install the layers once per clone; they serve every worktree"
echo "   git hooks (pre-commit install) and native hooks (git guardrails install: ref updates, gc,"
echo "   post-checkout and post-commit):"
pre-commit install | indent
git guardrails install 2>&1 | indent
cached=$(python - "$PRE_COMMIT_HOME/db.db" "$SNAP" "$SHA" <<'PY'
import os, sqlite3, sys
db, repo, rev = sys.argv[1:]
if os.path.exists(db):  # pre-commit's store: one row per (repo, rev) it has cloned and built
    with sqlite3.connect(db) as c:
        row = c.execute("SELECT path FROM repos WHERE repo = ? AND ref = ?", (repo, rev)).fetchone()
        print("yes" if row and os.path.isdir(row[0]) else "")
PY
)
if [ -n "$cached" ]; then
  echo "   reusing the hook environment cached in ${PRE_COMMIT_HOME#"$ROOT/"}"
else
  echo "   building the hook environment (once per snapshot; cached in ${PRE_COMMIT_HOME#"$ROOT/"}) ..."
fi
pre-commit install-hooks >/dev/null
pre-commit gc >/dev/null   # drop environments of earlier snapshots

say "4. Two linked worktrees, one per task branch, each with a session (git guardrails worktree add)"
git guardrails worktree add "$DEMO/wt-auth" agent/auth --agent claude-code 2>&1 | indent
git guardrails worktree add "$DEMO/wt-billing" agent/billing --agent claude-code 2>&1 | indent
git worktree list | indent

say "5. The auth agent changes src/auth/login.py, inside its task, and commits"
cd "$DEMO/wt-auth"
tried "edit src/auth/login.py; git commit (CLAUDECODE=1 marks the process as an agent)"
printf 'def login(user):\n    return user.strip()\n' > src/auth/login.py
git add src/auth/login.py
CLAUDECODE=1 git commit -m "auth: strip user names" 2>&1 | indent
passed "$(git log --oneline -1)  (require-checks added its Guardrails-Checked trailer)"

say "6. The billing agent asks Claude Code to edit src/auth/login.py, the auth task's file"
cd "$DEMO/wt-billing"
tried "the Edit tool on src/auth/login.py"
if pretool Edit file_path src/auth/login.py > "$DEMO/out.txt" 2>&1; then
  cat "$DEMO/out.txt"; echo "demo: the pre-tool hook allowed an edit outside the task" >&2; exit 1
fi
indent < "$DEMO/out.txt"
stopped "the pre-tool hook (Claude Code PreToolUse: git guardrails agent-hook claude); the file is untouched"

say "7. It writes the file anyway (a shell redirect, a tool without the hook) and commits"
tried "echo ... > src/auth/login.py; git add -A; git commit"
printf 'def invoice(total):\n    return round(total, 2)\n' > src/billing/invoice.py
printf 'def login(user):\n    return "admin"\n' > src/auth/login.py
git add -A
if CLAUDECODE=1 git commit -m "billing: round totals" > "$DEMO/out.txt" 2>&1; then
  cat "$DEMO/out.txt"; echo "demo: the stray commit was accepted, which is a bug" >&2; exit 1
fi
indent < "$DEMO/out.txt"
stopped "the git hook pre-commit (the guardrails hook, run by pre-commit); nothing was committed (HEAD is still $(git log --format=%h -1), main's commit)"

say "8. The billing agent follows the hint: unstage the stray file, commit again"
tried "git restore --staged -- src/auth/login.py; git restore -- src/auth/login.py; git commit"
git restore --staged -- src/auth/login.py 2>&1 | indent
git restore -- src/auth/login.py 2>&1 | indent   # post-checkout (native) exits at once: no new worktree
CLAUDECODE=1 git commit -m "billing: round totals" 2>&1 | indent
passed "$(git log --oneline -1)"

say "9. The billing agent tries to skip the hooks: git commit --no-verify"
printf '# Billing\n\nTotals are rounded to cents.\n' > docs/billing.md
git add docs/billing.md
tried "the Bash tool: git commit --no-verify -m 'docs: rounding'"
if pretool Bash command "git commit --no-verify -m 'docs: rounding'" > "$DEMO/out.txt" 2>&1; then
  cat "$DEMO/out.txt"; echo "demo: the pre-tool hook allowed --no-verify" >&2; exit 1
fi
indent < "$DEMO/out.txt"
stopped "the pre-tool hook; the command never ran"
tried "the same command from a shell Claude Code does not watch"
if CLAUDECODE=1 git commit --no-verify -m "docs: rounding" > "$DEMO/out.txt" 2>&1; then
  cat "$DEMO/out.txt"; echo "demo: --no-verify went through, which is a bug" >&2; exit 1
fi
indent < "$DEMO/out.txt"
stopped "the git hook prepare-commit-msg (require-checks: --no-verify skips pre-commit, not this one)"
git reset -q -- docs/billing.md && git checkout -q -- docs/billing.md >/dev/null 2>&1   # tidy up (quietly)

say "10. The billing agent moves main to its own commit, past every commit hook"
tried "git update-ref refs/heads/main HEAD"
if CLAUDECODE=1 git update-ref refs/heads/main HEAD > "$DEMO/out.txt" 2>&1; then
  cat "$DEMO/out.txt"; echo "demo: main was moved by an agent, which is a bug" >&2; exit 1
fi
indent < "$DEMO/out.txt"
stopped "the native ref hook (reference-transaction, from git guardrails install); main is still $(git rev-parse --short main)"

say "So far every attempt was stopped locally (in $((SECONDS - START)) s). Scratch repository: $REPO"
echo "   Next the agents fall back to turning the hooks off, which no local hook can stop: CI can."

if [ -f "$ROOT/examples/demo-review.sh" ]; then
  bash "$ROOT/examples/demo-review.sh" "$REPO"
fi
echo
echo "demo: finished in $((SECONDS - START)) s"
