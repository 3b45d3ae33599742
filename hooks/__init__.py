"""Hook entry points, one thin module per hook id (installed as the ``guardrails_hooks``
package)."""

import sys as _sys

# Hooks run in an environment the runner builds for them (a virtualenv in PRE_COMMIT_HOME or
# PREK_HOME). prek's installer (uv) does not precompile bytecode, and with
# PYTHONDONTWRITEBYTECODE=1 (common in containers) Python would then compile every module of
# guardrails from source on every commit. Writing .pyc files into that private
# environment, never into a source tree, makes every run after the first one load them.
if _sys.prefix != _sys.base_prefix:
    _sys.dont_write_bytecode = False
