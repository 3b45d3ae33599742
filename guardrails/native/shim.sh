#!/bin/sh
# git-guardrails native hook: @HOOK@
# Installed by `git-guardrails install`; `git-guardrails uninstall` removes it and puts back the
# hook that was here before (kept as @HOOK@.legacy, which runs first).
# guardrails-shim-version: 1
# Cheap while no agent session is active: no Python starts unless some worktree of this
# repository has a session record (<git-dir>/guardrails/session.json).
GUARDRAILS_PYTHON='@PYTHON@'
GUARDRAILS_COMMON='@COMMON@'
hook='@HOOK@'

common=
if [ -n "${GIT_DIR:-}" ]; then
	if [ -f "$GIT_DIR/commondir" ]; then
		read -r c < "$GIT_DIR/commondir"
		case $c in
		/*) common=$c ;;
		*) common=$GIT_DIR/$c ;;
		esac
	else
		common=$GIT_DIR
	fi
fi
[ -d "$common" ] || common=$GUARDRAILS_COMMON

active=
for f in "$common"/guardrails/session.json "$common"/worktrees/*/guardrails/session.json; do
	if [ -e "$f" ]; then
		n=${f%/guardrails/session.json}
		case $n in
		"$common") n=main ;;
		*) n=${n##*/} ;;
		esac
		active="$active $n"
	fi
done

input=
if [ "$hook" = reference-transaction ] && { [ -x "$0.legacy" ] || [ -n "$active" ]; }; then
	input=$(cat)
fi
if [ -x "$0.legacy" ]; then
	if [ "$hook" = reference-transaction ]; then
		printf '%s\n' "$input" | "$0.legacy" "$@" || exit $?
	else
		"$0.legacy" "$@" || exit $?
	fi
fi
[ -n "$active" ] || exit 0

case $hook in
pre-auto-gc)
	echo "git-guardrails: automatic gc deferred: agent session(s) active in:$active." >&2
	echo "  run \`git guardrails gc\` when they have finished (or \`git guardrails gc --wait\`)." >&2
	exit 1
	;;
esac

py=$GUARDRAILS_PYTHON
[ -x "$py" ] || py=$(command -v python3 2>/dev/null)
if [ -z "$py" ]; then
	echo "git-guardrails: $hook: no Python found ($GUARDRAILS_PYTHON is gone); ref updates are NOT checked. Fix: git guardrails install" >&2
	exit 0
fi
printf '%s\n' "$input" | "$py" -I -c 'import sys
try:
    from guardrails.native.reftx import main
except ImportError:
    sys.exit(3)
sys.exit(main(sys.argv[1:]))' "$@"
rc=$?
if [ $rc -eq 3 ]; then
	echo "git-guardrails: $hook: cannot import guardrails with $py; ref updates are NOT checked. Fix: git guardrails install" >&2
	exit 0
fi
exit $rc
