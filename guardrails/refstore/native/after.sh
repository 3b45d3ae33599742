#!/bin/sh
# git-guardrails native hook: @HOOK@
# Installed by `git-guardrails install`; `git-guardrails uninstall` removes it and puts back the
# hook that was here before (kept as @HOOK@.legacy, which runs first).
# guardrails-shim-version: 2
# Runs after the fact and never fails git: it starts Python only when there is work.
#   post-checkout: `git worktree add` making a new worktree (previous HEAD null, a branch
#     checkout) -> record-baseline records a session if a task covers the branch; any other
#     checkout, switch or restore costs this shell script alone.
#   post-commit: a commit in a worktree with a session -> verify-commit (the commit is on its
#     branch, its objects exist); a human's commit outside any session costs nothing more.
GUARDRAILS_PYTHON='@PYTHON@'
hook='@HOOK@'

rc=0
if [ -x "$0.legacy" ]; then
	"$0.legacy" "$@" || rc=$?
fi
case $hook in
post-checkout)
	[ "$3" = 1 ] || exit $rc
	case $1 in *[!0]* | '') exit $rc ;; esac  # not the null id: an ordinary checkout
	[ -z "${GUARDRAILS_SESSION_PENDING:-}" ] || exit $rc  # `git guardrails worktree add`
	entry=record_baseline
	;;
post-commit)
	[ -n "${GIT_DIR:-}" ] && [ -e "$GIT_DIR/guardrails/session.json" ] || exit $rc
	entry=verify_commit
	;;
*) exit $rc ;;
esac
@RUN_PYTHON@
run_python "guardrails_hooks.$entry" "nothing checked" "$@"
exit $rc
