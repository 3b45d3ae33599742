#!/usr/bin/env bash
# `make demo`: two coding agents in two worktrees of a scratch repository. One stays inside its
# task and its commit is accepted; the other strays into the first one's files and is refused.
# Needs git and the project's venv on PATH (pre-commit, python). Everything lives in .demo/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEMO="$ROOT/.demo"
rm -rf "$DEMO"
mkdir -p "$DEMO/home"

BOLD="" PLAIN=""
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; fi

# A self-contained environment: no user git config, no agent markers from the calling shell.
export HOME="$DEMO/home" XDG_CONFIG_HOME="$DEMO/home/.config" GIT_CONFIG_NOSYSTEM=1
export PRE_COMMIT_HOME="$DEMO/pre-commit-home" NO_COLOR=1
export GIT_AUTHOR_NAME="Demo Human" GIT_AUTHOR_EMAIL="human@example.com"
export GIT_COMMITTER_NAME="Demo Human" GIT_COMMITTER_EMAIL="human@example.com"
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE SKIP PREK_SKIP GUARDRAILS_BASE \
      CLAUDECODE CODEX_THREAD_ID GEMINI_CLI CURSOR_AGENT OPENCODE AI_AGENT AGENT 2>/dev/null || true

say() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$PLAIN"; }
indent() { sed 's/^/   | /'; }

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
    if rel.startswith(("tests/", "bench/", ".demo/")) or not os.path.isfile(src):
        continue
    os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
    shutil.copy2(src, os.path.join(dest, rel))
PY
git -C "$SNAP" init -q
git -C "$SNAP" add -A
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
default_install_hook_types: [pre-commit, prepare-commit-msg, post-checkout]
repos:
- repo: $SNAP
  rev: $SHA
  hooks:
  - id: guardrails
  - id: require-checks
  - id: record-baseline
EOF
git add -A
git commit -q --no-verify -m "project with a guardrails policy"
sed -n '/^\[tasks/,$p' .guardrails.toml | grep -E '^\[tasks|^branch|^allow' | indent

say "3. Install the hooks once (pre-commit); they serve every worktree"
pre-commit install | indent
echo "   building the hook environment (first run only) ..."
pre-commit install-hooks >/dev/null

say "4. Two linked worktrees, one per task branch, each with a session (git guardrails worktree add)"
git guardrails worktree add "$DEMO/wt-auth" agent/auth --agent claude-code 2>&1 | indent
git guardrails worktree add "$DEMO/wt-billing" agent/billing --agent claude-code 2>&1 | indent
git worktree list | indent

say "5. The auth agent changes src/auth/login.py and commits (CLAUDECODE=1 marks an agent)"
cd "$DEMO/wt-auth"
printf 'def login(user):\n    return user.strip()\n' > src/auth/login.py
git add src/auth/login.py
CLAUDECODE=1 git commit -m "auth: strip user names" 2>&1 | indent
echo "   accepted: $(git log --oneline -1)"

say "6. The billing agent changes its invoice code, and strays into src/auth/login.py"
cd "$DEMO/wt-billing"
printf 'def invoice(total):\n    return round(total, 2)\n' > src/billing/invoice.py
printf 'def login(user):\n    return "admin"\n' > src/auth/login.py
git add -A
if CLAUDECODE=1 git commit -m "billing: round totals" > "$DEMO/refused.txt" 2>&1; then
  cat "$DEMO/refused.txt"; echo "demo: the stray commit was accepted, which is a bug" >&2; exit 1
fi
indent < "$DEMO/refused.txt"
echo "   refused: nothing was committed (HEAD is still $(git log --format=%h -1), main's commit)"

say "7. The billing agent follows the hint: unstage the stray file, commit again"
git restore --staged -- src/auth/login.py 2>&1 | indent
git restore -- src/auth/login.py 2>&1 | indent   # post-checkout runs here too: record-baseline leaves it alone
CLAUDECODE=1 git commit -m "billing: round totals" 2>&1 | indent
echo "   accepted: $(git log --oneline -1)"

say "Done. Scratch repository: $REPO (worktrees: $DEMO/wt-auth, $DEMO/wt-billing)"

if [ -f "$ROOT/examples/demo-review.sh" ]; then
  bash "$ROOT/examples/demo-review.sh" "$REPO"
fi
