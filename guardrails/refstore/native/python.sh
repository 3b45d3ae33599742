# run_python MODULE UNCHECKED [ARGS...]: main(ARGS) of guardrails' MODULE in the Python that
# `git guardrails install` found (GUARDRAILS_PYTHON, else python3 on PATH); its exit status.
# Without that Python, or with one that cannot import guardrails, it warns (a finding, rule
# refstore-native-hooks; UNCHECKED says what went unchecked) and returns 97: a broken guard
# must not stop git. Written into each native hook by `git guardrails install`.
run_python() {
	gg_module=$1 gg_unchecked=$2
	shift 2
	gg_py=$GUARDRAILS_PYTHON
	[ -x "$gg_py" ] || gg_py=$(command -v python3 2>/dev/null)
	if [ -z "$gg_py" ]; then
		gg_why="no Python found ($GUARDRAILS_PYTHON is gone)"
	else
		"$gg_py" -I -c 'import sys
try:
    from '"$gg_module"' import main
except ImportError:
    sys.exit(97)
sys.exit(main(sys.argv[1:]))' "$@"
		gg_status=$?
		[ "$gg_status" -eq 97 ] || return "$gg_status"
		gg_why="cannot import guardrails with $gg_py"
	fi
	# a finding as guardrails.report renders it (rule ids: guardrails/rules.py)
	printf '%s\n' "warning[refstore-native-hooks] $hook: $gg_why; $gg_unchecked" \
		"  fix: git guardrails install" "guardrails: 0 error(s), 1 warning(s)" >&2
	return 97
}
