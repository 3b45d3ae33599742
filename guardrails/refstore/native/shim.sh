#!/bin/sh
# git-guardrails native hook: @HOOK@
# Installed by `git-guardrails install`; `git-guardrails uninstall` removes it and puts back the
# hook that was here before (kept as @HOOK@.legacy, which runs first).
# guardrails-shim-version: 4
# Cheap while no agent session is active: no Python starts unless some worktree of this
# repository has a session record (<git-dir>/guardrails/session.json).
GUARDRAILS_PYTHON='@PYTHON@'
GUARDRAILS_COMMON='@COMMON@'
hook='@HOOK@'
# preparing (2.54+) and aborted: nothing to do, and nothing to start (git runs the hook for
# every state of every transaction)
if [ "$hook" = reference-transaction ] && [ ! -x "$0.legacy" ]; then
	case ${1:-} in prepared | committed) ;; *) exit 0 ;; esac
fi
# The journal's format and rotation size come from guardrails/refstore/journal.py, written here
# by `git guardrails install` (a test checks an installed shim against it): do not edit.
# guardrails-journal: @JOURNAL_ID@
journal_file='@JOURNAL@'
journal_max=${@JOURNAL_MAX_ENV@:-@JOURNAL_MAX@}
# the one character set the fast path writes into JSON as it is (no escapes needed); a path,
# ref or task name with anything else goes to Python
plain='abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._+@:,=~ -'

# Append "$1" (whole lines) to the journal "$j" as guardrails.state.append_line does: one
# write under flock(2) on the journal file itself, a torn last line ended first. Fails (and
# writes nothing) when the journal is due for rotation -- its size plus the new lines past
# $journal_max -- or was rotated while this waited for the lock, or when the checked-commits
# record "$2" (if given) is past its trim size: Python then appends, rotates under the same
# lock, and trims.
journal_append() {
	command exec 9>> "$j" || return 1
	if ! flock -x 9 || ! [ "$j" -ef /dev/fd/9 ]; then
		exec 9>&-
		return 1
	fi
	# the journal's size and, when a checked-commits record is kept here, that record's
	# size too, in one wc (stdin first, then the record: the first field of each line)
	if [ -n "${2:-}" ]; then
		sizes=$(wc -c - "$2" < "$j" 2>/dev/null)
	else
		sizes=$(wc -c < "$j")
	fi
	size= cksize=0
	while read -r s _rest; do
		if [ -z "$size" ]; then size=$s; else cksize=$s; break; fi
	done <<SIZES
$sizes
SIZES
	case $size$cksize in '' | *[!0-9]*) exec 9>&-; return 1 ;; esac
	if [ $((size + ${#1})) -gt "$journal_max" ] || [ "$cksize" -gt @CHECKED_MAX@ ]; then
		exec 9>&-  # due for rotation, or the checked-commits record for its trim: Python
		return 1
	fi
	if [ "$size" -gt 0 ] && [ -n "$(tail -c 1 "$j")" ]; then
		set -- "
$1"
	fi
	printf '%s' "$1" >&9
	set -- $?
	exec 9>&-
	return "$1"
}

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
	# the shell's own read, no process (`prepared` runs while git holds the ref locks: under
	# reftable the one tables.list.lock of every worktree)
	while IFS= read -r l || [ -n "$l" ]; do
		input="$input$l
"
	done
	input=${input%"
"}
fi
if [ -x "$0.legacy" ]; then
	if [ "$hook" = reference-transaction ]; then
		printf '%s\n' "$input" | "$0.legacy" "$@" || exit $?
	else
		"$0.legacy" "$@" || exit $?
	fi
fi
[ -n "$active" ] || exit 0
if [ "$hook" = reference-transaction ]; then
	case $1 in prepared | committed) ;; *) exit 0 ;; esac  # preparing (2.54+), aborted
	# a transaction that moves nothing, as `git commit`'s deletion of a pseudo-ref that is not
	# there (0 0 AUTO_MERGE): nothing to refuse or journal
	moves=
	while read -r o n r; do
		[ -n "$r" ] || continue
		[ "$o" = "$n" ] && case $r in */*) ;; *) continue ;; esac
		moves=1
	done <<UPDATES
$input
UPDATES
	[ -n "$moves" ] || exit 0
fi

# the git command running this hook; maintenance only re-stores refs (pack-refs fires one
# transaction per ref it packs and prunes), so it needs no look at all. Not in `prepared`:
# git holds the ref locks then (under reftable the one tables.list.lock of every worktree),
# and nothing prepared decides depends on the command (Python asks when it runs)
sub=
amend=
now=
if [ "$hook" = reference-transaction ] && [ "$1" = committed ] && [ -n "$active" ] &&
	[ -r "/proc/$PPID/cmdline" ]; then
	first=1 skip=
	# one awk for the git command line (NUL-separated) and the journal entry's time (POSIX
	# awk: srand() returns the seed it had, the time of day); an awk that does not split at
	# NULs, or none, gets the plain way: tr, then date
	cmdline=$(awk -v RS='\0' 'BEGIN { srand(); print srand() } { print }' \
		"/proc/$PPID/cmdline" 2>/dev/null)
	now=${cmdline%%"
"*}
	cmdline=${cmdline#"$now"}
	cmdline=${cmdline#"
"}
	a=${cmdline%%"
"*}
	case $now in '' | *[!0-9]*) now= ;; esac
	case ${a##*/} in git | git-*) ;; *) now= ;; esac
	[ -n "$now" ] || cmdline=$(tr '\0' '\n' < "/proc/$PPID/cmdline" 2>/dev/null)
	case "
$cmdline
" in *"
--amend
"*) amend=1 ;; esac
	while IFS= read -r a; do
		if [ -n "$first" ]; then
			first=
			case ${a##*/} in git-*) sub=${a##*/git-}; break ;; esac
			continue
		fi
		if [ -n "$skip" ]; then skip=; continue; fi
		case $a in
		-c | -C | --git-dir | --work-tree | --namespace | --exec-path | --config-env) skip=1 ;;
		-*) ;;
		*) sub=$a; break ;;
		esac
	done <<ARGS
$cmdline
ARGS
fi

case $sub in pack-refs | gc | maintenance | repack) exit 0 ;; esac

case $hook in
pre-auto-gc)
	# a finding as guardrails.report renders it (rule ids: guardrails/rules.py)
	printf '%s\n' "error[refstore-auto-gc-deferred] automatic gc deferred: agent session(s) active in:$active" \
		"  fix: git guardrails gc (when they have finished), or git guardrails gc --wait" \
		"guardrails: 1 error(s), 0 warning(s)" >&2
	exit 1
	;;
esac

# Fast path, no Python: the common case of an agent commit -- this worktree's session moving
# only its own branch and HEAD. Anything else (another ref, a rollback to look at, a record of
# checked trees to compare, a path or name needing JSON escapes) goes to Python below.
zero=0000000000000000000000000000000000000000
# Outside a session (a human's commit, switch, reset …) Python journals only the moves of some
# session's branch (reftx.py: a rollback is seen from anywhere). True when $input moves one, or
# when a session record cannot be read here (Python looks then).
session_branch_moved() {
	others=
	for f in "$common"/guardrails/session.json "$common"/worktrees/*/guardrails/session.json; do
		[ -e "$f" ] || continue
		b=
		# the shell's own read (no process per session): the record's "branch" line
		while IFS= read -r l || [ -n "$l" ]; do
			l=${l#"${l%%[! ]*}"}
			l=${l%,}
			case $l in
			*'\'*) ;;
			'"branch": "'?*'"') b=${l#'"branch": "'}; b=${b%'"'} ;;
			esac
		done 2>/dev/null < "$f"
		case $b in '' | *'"'*) return 0 ;; esac  # none, or not plain: Python reads it
		others="$others refs/heads/$b "
	done
	while read -r o n r; do
		[ -n "$r" ] || continue
		case $o$n in *[!0]*) [ "$o" != "$n" ] || continue ;; esac  # 0 0: a delete, no old value
		case $others in *" $r "*) return 0 ;; esac
	done <<UPDATES
$input
UPDATES
	return 1
}
# this worktree's git dir, absolute (no subshell: only file tests and reads use it)
case ${GIT_DIR:-} in
'') gd= ;;
/*) gd=$GIT_DIR ;;
*) gd=$PWD/$GIT_DIR ;;
esac
[ -z "$gd" ] || [ -d "$gd" ] || gd=
rec=$gd/guardrails/session.json
if [ -z "$gd" ] && [ "$hook" = reference-transaction ] && [ -d "$PWD/.git" ] \
	&& [ "$PWD/.git" -ef "$common" ] && [ ! -e "$common/guardrails/session.json" ]; then
	# the main worktree, where git exports no GIT_DIR, without a session of its own
	[ "$1" != prepared ] || exit 0
	session_branch_moved || exit 0
fi
if [ -n "$gd" ] && [ "$hook" = reference-transaction ]; then
	if [ ! -e "$rec" ] && [ "$1" = prepared ]; then
		exit 0  # not a session: only sessions are refused anything
	fi
	if [ ! -e "$rec" ] && ! session_branch_moved; then
		exit 0  # not a session, and no session's branch moved: nothing to journal
	fi
	fast=
	checked_here=1
	matched=
	# the runners skip the checks for these: Python looks closer (and names them)
	[ -z "${SKIP:-}${PREK_SKIP:-}${PRE_COMMIT_ALLOW_NO_CONFIG:-}" ] || checked_here=
	if [ "$1" = prepared ] && [ ! -e "$gd/guardrails/checked.json" ] &&
		[ -x "${0%/*}/pre-commit" ] && {
		[ -e .pre-commit-config.yaml ] || git cat-file -e HEAD:.pre-commit-config.yaml 2>/dev/null
	}; then
		# a pre-commit stage is installed with a config that may name the checks, and it never
		# recorded a check here (reftx.checks_expected: without a config, no check records;
		# `committed` journals the same either way)
		checked_here=
	fi
	if [ -n "$checked_here" ] && [ -e "$gd/guardrails/checked.json" ]; then
		# the skipped-hooks record names the git process whose pre-commit checks ran
		# ("git": "<pid>:<start time>"); this hook's parent is the git command itself
		checked_here=
		pstat= pstart= rgit=
		read -r pstat 2>/dev/null < "/proc/$PPID/stat"
		pstat=${pstat##*) }
		set -f
		_start() { pstart=${20:-}; }  # field 22 of /proc/<pid>/stat
		_start $pstat
		set +f
		while IFS= read -r l || [ -n "$l" ]; do
			case $l in *'"git": "'*)
				v=${l#*'"git": "'}
				v=${v%%'"'*}
				case $v in *[!0-9:]* | :* | *:) ;; *:*) rgit=$v ;; esac
			esac
		done < "$gd/guardrails/checked.json"
		[ -n "$pstart" ] && [ "$rgit" = "$PPID:$pstart" ] && checked_here=1 matched=1
	fi
	if [ -e "$rec" ] && [ -n "$checked_here" ]; then
		branch= task=
		while IFS= read -r l || [ -n "$l" ]; do
			l=${l#"${l%%[! ]*}"}
			l=${l%,}
			v=${l#*: }
			case $v in *'\'* | '"'*'"'*'"'*) continue ;; esac
			case $l in
			'"branch": "'?*'"') v=${v#'"'}; branch=${v%'"'} ;;
			'"task": null' | '"task": "'*'"') task=$v ;;
			esac
		done < "$rec"
		[ -n "$branch" ] && [ -n "$task" ] && fast=1
		t=${task#\"}
		case $PWD${t%\"}$sub in *[!$plain]*) fast= ;; esac
	fi
	if [ -n "$fast" ]; then
		tipf=$gd/guardrails/tip
		lines=
		newtip=
		while read -r o n r; do
			[ -n "$r" ] || continue
			[ "$o" = "$n" ] && [ "$o" != "$zero" ] && continue  # 0 0: a delete without an old value
			case $r in
			*[!$plain]*) fast= ;;
			HEAD) ;;
			"refs/heads/$branch")
				# only a plain commit surely moves the branch forward; a reset, rebase,
				# amend or update-ref may move it back: Python tells a rewrite (journaled as
				# such) from a rollback
				[ "$1" = prepared ] || { [ "$sub" = commit ] && [ -z "$amend" ]; } || fast=
				if [ "$1" = committed ] && [ "$n" != "$zero" ]; then
					if [ -f "$tipf" ] && [ "$tipf" -nt "$rec" ] && [ "$o" != "$zero" ]; then
						read -r last lastref < "$tipf" || last=
						if [ "$lastref" = "$r" ] && [ "$last" != "$o" ] && [ "$last" != "$n" ]; then
							fast=  # moved without a ref update: Python looks closer
						fi
					fi
					newtip="$n $r"
				fi
				;;
			refs/worktree/*) ;;
			*) fast= ;;
			esac
			[ "$r" = HEAD ] || lines="$lines$o $n $r
"
		done <<UPDATES
$input
UPDATES
		if [ -n "$fast" ] && [ "$1" = prepared ]; then
			exit 0
		fi
		j=$common/$journal_file
		case $journal_max in
		*[!0123456789]* | '' | ????????????????*)
			fast=  # not a plain number: Python reads it (journal.py)
			;;
		*) [ "$journal_max" -ge @JOURNAL_MIN@ ] || journal_max=@JOURNAL_MIN@ ;;
		esac
		command -v flock > /dev/null 2>&1 || fast=  # Python takes the journal's lock
		# the checked-commits record is trimmed by Python past @CHECKED_MAX@ bytes: its size is
		# read with the journal's, under the journal's lock (journal_append)
		ck=
		[ -z "$matched" ] || [ ! -e "$gd/guardrails/checked-commits" ] ||
			ck=$gd/guardrails/checked-commits
		if [ -n "$fast" ] && [ "$1" = committed ]; then
			[ -n "$now" ] || now=$(date +%s)
			out=
			while read -r o n r; do
				[ -n "$r" ] || continue
				out="$out@JOURNAL_LINE@
"
			done <<LINES
$lines
LINES
			[ -d "${j%/*}" ] || mkdir -p "${j%/*}"
			[ -z "$out" ] || journal_append "$out" "$ck" || fast=  # Python appends (and rotates)
		fi
		if [ -n "$fast" ] && [ "$1" = committed ]; then
			[ -z "$newtip" ] || printf '%s\n' "$newtip" > "$tipf"
			if [ -n "$matched" ] && [ -n "$newtip" ]; then
				# checked-commits: this commit's tree was seen by the checks (reftx.py)
				printf '%s %s\n' "${newtip%% *}" "$now" >> "$gd/guardrails/checked-commits"
			fi
			exit 0
		fi
	fi
fi

@RUN_PYTHON@
printf '%s\n' "$input" | run_python guardrails.refstore.native.reftx "ref updates are NOT checked" "$@"
rc=$?
[ $rc -ne 97 ] || exit 0
exit $rc
