#!/usr/bin/env bash
# The end of the demo's story (called by examples/demo.sh with its scratch repository):
# before merging agent work, read what each agent did — `git-guardrails review` — and let the
# CI gate judge every commit — `git-guardrails ci`. One agent is caught straying outside its
# task, the other caught committing with its hooks turned off.
#
# usage: examples/demo-review.sh SCRATCH_REPO   (main on `main`, agent worktrees on branches
#        that tasks of its .guardrails.toml cover; git-guardrails and python on PATH)
set -euo pipefail

repo=${1:?usage: examples/demo-review.sh SCRATCH_REPO}
cd "$repo"
base=main
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then b=$'\033[1m'; r=$'\033[0m'; else b=; r=; fi
say() { printf '\n%s==> %s%s\n' "$b" "$*" "$r"; }
# ci and review exit 1 when they find problems: that is the point here, not a failure.
show() { local rc=0; printf '%s$ %s%s\n' "$b" "$*" "$r"; "$@" || rc=$?; [ "$rc" -le 1 ] || exit "$rc"; }

# The agent branches (those a task of main's policy covers), each with its worktree, what its
# task allows, and a path outside it: "branch<TAB>worktree<TAB>in-scope path<TAB>stray path".
plan=$(python - "$base" <<'PY'
import sys
from guardrails import git
from guardrails.scope import policy
from guardrails.scope.patterns import Matcher

base = sys.argv[1]
repo = git.discover()
pol = policy.load_at(repo, f"refs/heads/{base}", base)
if pol is None:
    sys.exit(f"no {policy.FILENAME} on {base}")
wts, path = {}, None
for field in git.zsplit(git.out("worktree", "list", "--porcelain", "-z", cwd=repo.toplevel)):
    f = git.decode_path(field)
    if f.startswith("worktree "):
        path = f[len("worktree "):]
    elif f.startswith("branch refs/heads/") and path:
        wts[f[len("branch refs/heads/"):]] = path
locked = Matcher(pol.locked)
names = ["notes.md", "README.md", "Makefile", "requirements.txt", "src/unrelated.py",
         "docs/notes.md", "tests/notes.py"]
for branch, wt in sorted(wts.items()):
    task = pol.task_for_branch(branch)
    if task is None or pol.is_protected(branch):
        continue
    allow = Matcher(task.allow)
    inside = [p.lstrip("/").replace("/**", "/hooks-off.md").replace("**/", "")
              .replace("*", "hooks-off") for p in task.allow if not p.startswith("!")]
    inside = [p for p in inside if allow.match(p) and not locked.match(p)]
    stray = [p for p in names if not allow.match(p) and not locked.match(p)]
    if inside and stray:
        print(f"{branch}\t{wt}\t{inside[0]}\t{stray[0]}")
PY
)
mapfile -t agents <<<"$plan"
if [ "${#agents[@]}" -lt 2 ] || [ -z "${agents[1]:-}" ]; then
    echo "demo-review: need two agent worktrees on task branches in $repo" >&2
    exit 2
fi
IFS=$'\t' read -r branch_a wt_a _ stray_a <<<"${agents[0]}"
IFS=$'\t' read -r branch_b wt_b inside_b _ <<<"${agents[1]}"
trailer=$'\n\nCo-Authored-By: Claude <noreply@anthropic.com>'

say "The end of the story: before merging, read what the agents did — and let CI judge it."

# Agent A strays: unless its branch already has a commit outside its task, it commits one with
# --no-verify (Aider's default); when a hook refuses that, it falls back to turning hooks off.
report=$(git-guardrails ci --base "$base" --head "$branch_a" --format json 2>/dev/null || true)
if ! grep -q '"rule": "scope-outside-allow"' <<<"$report"; then
    say "$branch_a edits $stray_a, outside its task, and commits it with --no-verify"
    printf 'a change nobody asked for\n' >>"$wt_a/$stray_a"
    git -C "$wt_a" add -- "$stray_a"
    if git -C "$wt_a" commit -q --no-verify -m "tidy $stray_a while I was there$trailer" \
            >"$repo/.git/demo-out.txt" 2>&1; then
        echo "   went through: no hook refused it (are the hooks installed? git-guardrails doctor)"
    else
        sed 's/^/   | /' "$repo/.git/demo-out.txt"
        echo "   ${b}stopped by: the git hook prepare-commit-msg (require-checks)${r}"
        echo "   falls back to turning hooks off: git -c core.hooksPath=/dev/null commit"
        git -C "$wt_a" -c core.hooksPath=/dev/null commit -q -m "tidy $stray_a$trailer"
        echo "   went through: with hooks off no local layer runs (not even the native ref hook)"
    fi
    rm -f "$repo/.git/demo-out.txt"
fi

# Agent B skips its hooks: unless the demo already made such a commit (one without the
# attestation trailer the hooks add, while the hooks do add it elsewhere), its tool commits
# with hooks disabled.
attested() { git log --no-merges --format='%(trailers:key=Guardrails-Checked,valueonly,separator=%x2C)' "$@" | grep -c . || true; }
total_b=$(git rev-list --count --no-merges "$base..$branch_b")
if [ "$(attested --branches)" -gt 0 ] && [ "$(attested "$base..$branch_b")" -lt "$total_b" ]; then
    say "$branch_b already has a commit its hooks never attested"
elif ! grep -q '(hooks off)$' <<<"$(git log --format=%s "$base..$branch_b")"; then
    say "$branch_b's tool turns hooks off for its commit: git -c core.hooksPath=/dev/null commit"
    mkdir -p "$(dirname "$wt_b/$inside_b")"
    printf 'committed with hooks off\n' >>"$wt_b/$inside_b"
    git -C "$wt_b" add -- "$inside_b"
    git -C "$wt_b" -c core.hooksPath=/dev/null commit -q -m "update $inside_b (hooks off)$trailer"
    echo "   went through: inside its task, but no hook checked it, so it carries no attestation"
fi

say "The review ritual for $branch_a: its log, its diff, and what it changed outside its task"
show git-guardrails review "$branch_a" --base "$base"

say "The same for $branch_b: look at the attestation column — its hooks never ran"
show git-guardrails review "$branch_b" --base "$base"

say "What CI says (policy from the merge-base, every commit, whatever the local hooks did)"
echo "   the last layer: hooks off or not, CI recomputes every attestation and judges every commit"
show git-guardrails ci --base "$base" --head "$branch_a"
show git-guardrails ci --base "$base" --head "$branch_b"
