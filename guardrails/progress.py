"""Progress on a terminal for the long commands (ci, review, check --range): one line on
stderr, redrawn in place, what is being done and for how long; erased before the report.

Only where a person watches: stderr is a terminal (not ``TERM=dumb``) and the report is text
(never with json, sarif, github, markdown or html: those are read by programs and pages).
Nothing shows for a run shorter than ``$GUARDRAILS_PROGRESS_DELAY`` seconds (default 0.5),
so a quick run prints nothing extra. ``threading`` is imported only once a Progress starts;
ci imports even this module only on a terminal, keeping its start-up path as it was.
"""
from __future__ import annotations

import os
import sys
import time
from typing import IO, Optional

DELAY = 0.5  # seconds before the line first shows
TICK = 0.1  # seconds between redraws
SPIN = "|/-\\"


def wanted(fmt: str, stream: Optional[IO[str]] = None) -> bool:
    """Whether a run reporting in ``fmt`` shows progress on ``stream`` (stderr)."""
    stream = stream or sys.stderr
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return fmt == "text" and tty and os.environ.get("TERM") != "dumb"


def _delay() -> float:
    try:
        value = float(os.environ.get("GUARDRAILS_PROGRESS_DELAY", DELAY))
    except ValueError:
        return DELAY
    return value if value >= 0 else DELAY


class Progress:
    """``step(label)`` as the work goes; ``done()`` (always: try/finally) erases the line."""

    def __init__(self, prefix: str, stream: Optional[IO[str]] = None,
                 delay: Optional[float] = None) -> None:
        import threading

        self.prefix = prefix
        self.stream = stream or sys.stderr
        self.label = "starting"
        self.start = time.monotonic()
        self.delay = _delay() if delay is None else delay
        self.shown = False
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def step(self, label: str) -> None:
        """Say what is being done now: drawn at once when the line shows already (or is due),
        so each step is seen however short; between steps the timer goes on."""
        self.label = label
        if time.monotonic() - self.start >= self.delay:
            self._draw(">")

    def __call__(self, label: str) -> None:
        self.step(label)

    def _run(self) -> None:
        if self._stop.wait(self.delay):
            return
        n = 0
        while True:
            self._draw(SPIN[n % len(SPIN)])
            n += 1
            if self._stop.wait(TICK):
                return

    def _width(self) -> int:
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            return 80
        return columns if columns > 0 else 80  # a terminal that says no size

    def _draw(self, spin: str) -> None:
        line = f"{self.prefix}: {spin} {self.label} ({time.monotonic() - self.start:.1f}s)"
        line = line[:max(10, self._width() - 1)]  # one row: a wrapped line is not redrawn
        with self._lock:
            if self._stop.is_set():
                return
            try:
                self.stream.write(f"\r{line}\033[K")
                self.stream.flush()
            except (OSError, ValueError):
                return
            self.shown = True

    def done(self) -> None:
        with self._lock:
            self._stop.set()
        self._thread.join()
        if self.shown:
            try:
                self.stream.write("\r\033[K")
                self.stream.flush()
            except (OSError, ValueError):
                pass
