#!/bin/sh
# git-guardrails native hook: @HOOK@
# Installed by `git-guardrails install` (pre-commit only with `install --pre-commit`);
# `git-guardrails uninstall` removes it and puts back the hook that was here before (kept as
# @HOOK@.legacy, which runs first).
# guardrails-shim-version: 2
# The commit's own ref-store hooks, in shell for the common case of an agent's commit in a
# session; Python starts only when something needs judging (a lock, a gc, a missing object, a
# commit not on its branch), and then decides exactly as the hook ids of .pre-commit-hooks.yaml:
#   pre-commit: ref-store-guard. No lock file this commit can meet, no gc running and every
#     staged object in the object store -> exit 0 here. Anything else, or no session in this
#     worktree (an agent marker or `enforce = "always"` is Python's to judge) -> the hook.
#   post-commit: verify-commit. The commit git just made is its branch's tip and every object
#     it introduced exists -> exit 0 here; else Python says what was lost and journals it. A
#     commit outside any session costs this script alone.
GUARDRAILS_PYTHON='@PYTHON@'
hook='@HOOK@'

rc=0
if [ -x "$0.legacy" ]; then
	"$0.legacy" "$@" || rc=$?
fi
[ "$hook" = pre-commit ] && [ $rc -ne 0 ] && exit $rc  # refused by the hook that was here

gd=${GIT_DIR:-}
[ -n "$gd" ] || { [ -d .git ] && gd=.git; }
session=
[ -n "$gd" ] && [ -e "$gd/guardrails/session.json" ] && session=1
[ -n "$session" ] || [ "$hook" = pre-commit ] || exit $rc

fast=$session
# anything unusual: Python finds the repository the careful way
[ -z "${GIT_WORK_TREE:-}${GIT_COMMON_DIR:-}" ] || fast=
common=$gd
if [ -n "$fast" ] && [ -f "$gd/commondir" ]; then
	read -r c < "$gd/commondir" || fast=
	case $c in
	/*) common=$c ;;
	*) common=$gd/$c ;;
	esac
fi
head=
[ -z "$fast" ] || read -r head < "$gd/HEAD" || fast=
branch=
case $head in
'ref: refs/heads/.invalid') ;;  # reftable: HEAD is in the stack
'ref: refs/heads/'*) branch=${head#ref: refs/heads/} ;;
*) fast= ;;  # detached, or not a branch: Python looks
esac

if [ "$hook" = pre-commit ] && [ -n "$fast" ]; then
	# the waits and the threshold are Python's to read (and to refuse when they are not numbers)
	[ -z "${GUARDRAILS_LOCK_WAIT:-}${GUARDRAILS_GC_WAIT:-}${GUARDRAILS_STALE_AFTER:-}" ] || fast=
	# locks this commit meets whoever holds them (guardrails.refstore.locks: COMMON_LOCKS,
	# gc.pid, WORKTREE_LOCKS; a test keeps the lists equal). This worktree's index.lock is the
	# running `git commit`'s own (git sets GIT_INDEX_FILE for its hooks).
	held() {
		for f in config.lock shallow.lock gc.pid.lock objects/maintenance.lock \
			objects/info/commit-graph.lock objects/info/commit-graphs/commit-graph-chain.lock \
			objects/pack/multi-pack-index.lock \
			objects/pack/multi-pack-index.d/multi-pack-index-chain.lock \
			objects/info/alternates.lock gc.pid; do
			[ ! -e "$common/$f" ] || return 0
		done
		for f in HEAD.lock config.worktree.lock; do
			[ ! -e "$gd/$f" ] || return 0
		done
		[ -n "${GIT_INDEX_FILE:-}" ] || [ ! -e "$gd/index.lock" ] || return 0
		[ -z "$branch" ] || [ ! -e "$common/refs/heads/$branch.lock" ] || return 0
		return 1
	}
	# true when a name matching *.lock (what find -name matches: dot names too) is one of
	# the paths given or anywhere under them, not following symbolic links, or when the walk
	# passes 256 entries; false when there is surely none
	any_lock() {
		al_n=0
		for al_p in "$@"; do
			case ${al_p##*/} in *.lock) [ ! -e "$al_p" ] || return 0 ;; esac
		done
		while [ $# -gt 0 ]; do
			al_d=$1
			shift
			[ -d "$al_d" ] && [ ! -L "$al_d" ] || continue
			for al_p in "$al_d"/* "$al_d"/.*; do
				case ${al_p##*/} in . | ..) continue ;; esac
				[ -e "$al_p" ] || [ -L "$al_p" ] || continue  # a pattern that matched nothing
				al_n=$((al_n + 1))
				[ "$al_n" -le 256 ] || return 0
				case ${al_p##*/} in *.lock) return 0 ;; esac
				[ ! -d "$al_p" ] || [ -L "$al_p" ] || set -- "$@" "$al_p"
			done
		done
		return 1
	}
	# a lock held for a moment is waited for here as the guard would; still there after
	# ~0.4 s, or no sub-second sleep: Python waits, judges and names it
	set -- 0.02 0.05 0.1 0.2
	while [ -n "$fast" ] && held; do
		[ $# -gt 0 ] && sleep "$1" 2>/dev/null || fast=
		[ $# -eq 0 ] || shift
	done
	# this worktree's own ref locks, at any age; another branch's ref lock, packed-refs.lock
	# or a reftable lock (held for milliseconds by every writer; git waits for it) only once
	# it is stale (60 s)
	set --
	for d in "$gd/refs/worktree" "$gd/refs/bisect" "$gd/refs/rewritten"; do
		[ ! -d "$d" ] || set -- "$@" "$d"
	done
	if [ -n "$fast" ] && [ $# -gt 0 ] && [ -n "$(find "$@" -name '*.lock' -print -quit 2>/dev/null)" ]; then
		fast=
	fi
	set -- "$common/refs"
	for d in "$common/packed-refs.lock" "$common/reftable" "$gd/reftable"; do
		[ ! -e "$d" ] || set -- "$@" "$d"
	done
	# find judges the age, and only runs when the shell's own globs meet a *.lock among those
	# (or more than 256 entries: a store of many loose refs is find's to walk)
	if [ -n "$fast" ] && any_lock "$@" &&
		[ -n "$(find "$@" -name '*.lock' -mmin +1 -print -quit 2>/dev/null)" ]; then
		fast=
	fi
	# every staged object still exists (a concurrent prune can remove a blob between `git add`
	# and `git commit`): git add writes loose objects, one test -e each; anything else (packed,
	# missing, no HEAD yet, a failed git) goes to Python, which asks `git cat-file`. One git
	# process and no pipe: the -z records arrive with their NULs dropped by the command
	# substitution (":m1 m2 o1 o2 S" and the path run together), so they are split at each
	# ":" and only the fixed-format fields at the start of a piece are read; a path holding
	# ":" and something shaped like a record only adds a check. The assignment's status is
	# git's; the braces keep a shell that warns of the dropped NULs (bash) quiet.
	if [ -n "$fast" ]; then
		{ staged=$(git diff-index --cached -z --no-renames --raw HEAD -- 2>/dev/null); } \
			2>/dev/null || fast=
	fi
	if [ -n "$fast" ]; then
		_rec() { m1=${1:-} m2=${2:-} o2=${4:-}; }
		set -f
		ifs=$IFS
		IFS=:
		for r in $staged; do
			IFS=' '
			_rec $r
			case $m1 in [0-7][0-7][0-7][0-7][0-7][0-7]) ;; *) continue ;; esac
			case $m2:$o2 in
			160000:* | 000000:* | *:*[!0-9a-f]* | *:) continue ;;
			esac
			case $o2 in *[!0]*) ;; *) continue ;; esac
			[ -e "$common/objects/${o2%"${o2#??}"}/${o2#??}" ] || { fast=; break; }
		done
		IFS=$ifs
		set +f
	fi
	[ -z "$fast" ] || exit 0
fi

if [ "$hook" = post-commit ] && [ -n "$fast" ]; then
	# reftable: HEAD's value is the commit (the stack is updated atomically). files: the
	# commit git just made is the newest entry of this worktree's HEAD reflog, HEAD@{0} (a
	# branch rolled back by a concurrent pack-refs does not touch it; without a reflog git
	# would answer HEAD's value, so none goes to Python); it must be the branch's loose ref (a
	# packed one: Python asks git). One git process: rev-list prints that commit first, then
	# every object it introduced, a missing one as ?<oid>.
	rev=HEAD
	[ -z "$branch" ] || rev='HEAD@{0}'
	[ -z "$branch" ] || [ -s "$gd/logs/HEAD" ] || fast=
	out=
	if [ -n "$fast" ]; then
		out=$(git rev-list --objects --missing=print "$rev" --not "$rev^@" 2>/dev/null) || fast=
		case $out in '?'* | *'
?'*) fast= ;; esac
	fi
	if [ -n "$fast" ] && [ -n "$branch" ]; then
		made=${out%%"
"*}
		tip=
		[ ! -f "$common/refs/heads/$branch" ] || read -r tip < "$common/refs/heads/$branch"
		case $made in '' | *[!0-9a-f]*) fast= ;; esac
		[ "$tip" = "$made" ] || fast=
	fi
	[ -z "$fast" ] || exit $rc
fi
case $hook in
pre-commit) entry=ref_store_guard ;;
post-commit) entry=verify_commit ;;
*) exit $rc ;;
esac

@RUN_PYTHON@
run_python "guardrails_hooks.$entry" "nothing checked"
prc=$?
[ $prc -ne 97 ] || exit $rc
# git ignores post-commit's status; pre-commit's is the guard's verdict
[ "$hook" = pre-commit ] && exit $prc
exit $rc
