"""The shared ref store: git's lock files, the ref guard, the journal, maintenance and gc,
the native hooks."""
