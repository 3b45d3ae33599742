"""Coding agents: which process or commit is an agent's, and the agents' pre-tool hooks."""
