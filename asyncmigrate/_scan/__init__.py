"""The engine behind ``asyncmigrate scan`` (private; the command line is the public surface).

``_catalogue`` holds the pattern ids and hints, ``_visitor`` finds them in one module with the
standard library's ``ast``, ``_runner`` walks a tree (``asyncmigrate._files``), pre-filters and
parses files in worker processes, ``_report`` renders text or JSON, ``_progress`` draws the bar
on a terminal. Nothing here needs libcst.
"""

from __future__ import annotations

from ._catalogue import PATTERNS, RECIPES_PAGE, Pattern, select_patterns
from ._model import FileResult, Finding, ScanResult
from ._progress import PROGRESS_MIN_FILES, ProgressBar
from ._report import SCHEMA_VERSION, render_json, render_text, to_json
from ._runner import LEGACY_WORDS, PARALLEL_MIN_FILES, TRIGGER, scan_file, scan_paths

__all__ = [
    "LEGACY_WORDS",
    "PARALLEL_MIN_FILES",
    "PATTERNS",
    "PROGRESS_MIN_FILES",
    "RECIPES_PAGE",
    "SCHEMA_VERSION",
    "TRIGGER",
    "FileResult",
    "Finding",
    "Pattern",
    "ProgressBar",
    "ScanResult",
    "render_json",
    "render_text",
    "scan_file",
    "scan_paths",
    "select_patterns",
    "to_json",
]
