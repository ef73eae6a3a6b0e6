"""A one-line progress bar on stderr, shown only for large trees and only on a terminal.

When stderr is a pipe or a file (CI logs, ``2>log``) nothing is written: a bar redrawn with
carriage returns is noise there.
"""

from __future__ import annotations

from typing import TextIO

__all__ = ["PROGRESS_MIN_FILES", "ProgressBar"]

#: Trees with fewer files to parse than this finish too fast for a bar to help.
PROGRESS_MIN_FILES = 50
WIDTH = 30


class ProgressBar:
    """Draws ``scanning [#####.....]  120/400 files`` on ``stream``, if it is a terminal."""

    def __init__(self, stream: TextIO, *, enabled: bool = True) -> None:
        self.stream = stream
        self.wanted = enabled and _isatty(stream)
        self.active = False
        self.total = 0
        self.done = 0
        self._drawn = -1

    def start(self, total: int) -> None:
        self.total = total
        self.active = self.wanted and total >= PROGRESS_MIN_FILES
        self._draw()

    def advance(self) -> None:
        self.done += 1
        self._draw()

    def close(self) -> None:
        if self.active:
            self.stream.write("\r" + " " * (WIDTH + 40) + "\r")
            self.stream.flush()
            self.active = False

    def _draw(self) -> None:
        if not self.active:
            return
        filled = WIDTH * self.done // self.total
        if filled == self._drawn and self.done != self.total:
            return  # redraw only when the bar moves, so big trees do not flood the terminal
        self._drawn = filled
        bar = "#" * filled + "." * (WIDTH - filled)
        self.stream.write(f"\rscanning [{bar}] {self.done:>6}/{self.total} files")
        self.stream.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
