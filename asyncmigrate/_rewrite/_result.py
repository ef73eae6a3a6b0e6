"""What a rewrite produces: a result value per file, never an exception.

A transform returns :class:`Success` (possibly with no change), :class:`Failure` (the file could
not be handled: it does not parse, does not compile, or the output would not compile) or
:class:`Skip` (nothing in it to convert). Each carries the :class:`Trap` s met, so that nothing
is converted or left alone silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Trap:
    """A place the rewrite did not convert (``converted=False``) or converted with a caveat."""

    path: str
    line: int
    id: str
    reason: str
    converted: bool = False

    def format(self) -> str:
        action = "converted, check" if self.converted else "left unchanged"
        return f"{self.path}:{self.line}: {self.id}: {self.reason} ({action})"


@dataclass(frozen=True, order=True)
class Converted:
    """One function converted: where, what it is called and by which conversion."""

    path: str
    line: int
    name: str
    conversion: str
    #: ``module``, ``class:START:END`` or ``local:START:END`` (see ``Unit.def_info``).
    scope: str = "module"


@dataclass
class Success:
    path: str
    old: str
    new: str
    converted: list[Converted] = field(default_factory=list)
    traps: list[Trap] = field(default_factory=list)
    encoding: str = "utf-8"

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass
class Failure:
    path: str
    reason: str
    traps: list[Trap] = field(default_factory=list)
    converted: list[Converted] = field(default_factory=list)
    changed = False


@dataclass
class Skip:
    path: str
    reason: str
    traps: list[Trap] = field(default_factory=list)
    converted: list[Converted] = field(default_factory=list)
    changed = False


Result = Success | Failure | Skip
