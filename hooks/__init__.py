"""Hook entry points, one thin module per hook id (installed as the ``guardrails_hooks``
package)."""
