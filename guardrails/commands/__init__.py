"""One module per ``git-guardrails`` subcommand; see guardrails.cli.COMMANDS."""
