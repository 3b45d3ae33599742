"""What a change may touch: the trusted policy, gitignore patterns, the change model."""
