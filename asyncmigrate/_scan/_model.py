"""The plain data a scan produces (picklable: worker processes send it back)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["FileResult", "Finding", "ScanResult"]


@dataclass(frozen=True)
class Finding:
    """One legacy pattern at one place."""

    pattern: str
    line: int  # 1-based
    column: int  # 1-based
    symbol: str | None  # enclosing class/function, dotted ("Handler.get"), None at module level
    code: str  # the source line, stripped (at most 160 characters)


@dataclass
class FileResult:
    """What one parsed file holds, or why it could not be parsed."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    native: int = 0  # async def functions
    legacy: dict[str, int] = field(default_factory=dict)  # legacy function kind -> count
    error_kind: str | None = None  # "syntax", "encoding", "read" or "internal" (scanner failed)
    error: str | None = None
    error_line: int | None = None


@dataclass
class ScanResult:
    """The whole scan: every file seen, the parsed ones, their findings and errors."""

    paths: list[str]
    selected: frozenset[str]
    files_seen: int = 0
    files: list[FileResult] = field(default_factory=list)  # parsed or failed, in path order

    @property
    def files_parsed(self) -> int:
        return sum(1 for f in self.files if f.error_kind is None)

    @property
    def errors(self) -> list[FileResult]:
        return [f for f in self.files if f.error_kind is not None]

    @property
    def findings(self) -> list[tuple[str, Finding]]:
        return [(f.path, finding) for f in self.files for finding in f.findings]

    @property
    def native(self) -> int:
        return sum(f.native for f in self.files)

    @property
    def legacy_by_kind(self) -> dict[str, int]:
        kinds: dict[str, int] = {}
        for f in self.files:
            for kind, count in f.legacy.items():
                kinds[kind] = kinds.get(kind, 0) + count
        return dict(sorted(kinds.items()))

    @property
    def legacy(self) -> int:
        return sum(self.legacy_by_kind.values())

    @property
    def progress(self) -> float | None:
        """Native share of all coroutine-style functions, 0.0-1.0; None when there are none."""
        total = self.native + self.legacy
        return self.native / total if total else None

    @property
    def clean(self) -> bool:
        return not self.findings and not self.errors
