"""The one error type for usage, configuration and environment problems (exit 2)."""
from __future__ import annotations


class GuardrailsError(Exception):
    """Something is wrong before any check could run.

    ``message`` says what failed and why; ``fix`` is the exact command (or edit) that fixes it.
    Hooks and commands print both and exit 2.
    """

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        if self.fix:
            return f"{self.message}\n  fix: {self.fix}"
        return self.message
