"""What `asyncmigrate scan` finds: every pattern, alias forms, look-alikes, function counts.

Fixture files under fixtures/scan/ carry a `# expect: pattern-id` marker at the end of each line
where a finding is expected; a file without markers must produce no finding at all.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from asyncmigrate._scan import (
    LEGACY_WORDS,
    PATTERNS,
    TRIGGER,
    scan_file,
    scan_paths,
    select_patterns,
)
from asyncmigrate._scan._visitor import scan_source

FIXTURES = Path(__file__).parent / "fixtures" / "scan"
MARKER = re.compile(r"#\s*expect:\s*([a-z-]+(?:\s*,\s*[a-z-]+)*)\s*$")
ALL = frozenset(PATTERNS)
PARSEABLE = sorted(
    p
    for p in FIXTURES.rglob("*.py")
    if p.parent.name != "broken" and p.name != "no_triggers_py2.py"
)


def expected_markers(path: Path) -> set[tuple[int, str]]:
    found = set()
    text = path.read_bytes().decode("utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), 1):
        match = MARKER.search(line)
        if match:
            found.update((number, pid.strip()) for pid in match.group(1).split(","))
    return found


def findings_of(source: str) -> list[tuple[int, str]]:
    # Line 1 is the empty line after the opening quotes of the snippet.
    result = scan_source("snippet.py", textwrap.dedent(source).encode())
    assert result.error is None, result.error
    return [(f.line, f.pattern) for f in result.findings]


@pytest.mark.parametrize("path", PARSEABLE, ids=lambda p: p.name)
def test_fixture_findings_match_their_markers(path: Path) -> None:
    result = scan_file(str(path))
    assert result is not None
    assert result.error is None
    got = {(f.line, f.pattern) for f in result.findings}
    assert got == expected_markers(path)


def test_every_pattern_has_a_fixture() -> None:
    marked = {pid for path in FIXTURES.rglob("*.py") for _, pid in expected_markers(path)}
    assert marked == set(PATTERNS)


def test_negatives_file_is_really_full_of_lookalikes() -> None:
    # The negatives fixture only proves something if the pre-filter lets it through.
    negatives = FIXTURES / "negatives.py"
    assert TRIGGER.search(negatives.read_bytes())
    result = scan_file(str(negatives))
    assert result is not None
    assert result.findings == []
    assert result.native == 1
    assert result.legacy == {}


def test_whole_fixture_tree_matches_markers_and_reports_broken_files() -> None:
    result = scan_paths([FIXTURES], selected=ALL, jobs=1)
    got = {(Path(path), f.line, f.pattern) for path, f in result.findings}
    expected = {
        (path, line, pid) for path in FIXTURES.rglob("*.py") for line, pid in expected_markers(path)
    }
    assert got == expected
    errors = {Path(f.path).name: (f.error_kind, f.error_line) for f in result.errors}
    assert errors == {
        "latin1_undeclared.py": ("encoding", 3),
        "python2.py": ("syntax", 2),
        "syntax_error.py": ("syntax", 2),
    }
    python2 = next(f for f in result.errors if f.path.endswith("python2.py"))
    assert "Python 2" in (python2.error or "")
    # no_triggers_py2.py holds none of the trigger words: never parsed, so never an error.
    assert result.files_seen == len(list(FIXTURES.rglob("*.py")))
    assert result.files_parsed == result.files_seen - 1 - len(result.errors)


def test_prefilter_tiers_are_exercised_by_the_fixtures() -> None:
    plain = (FIXTURES / "modern_plain.py").read_bytes()
    assert TRIGGER.search(plain)
    assert not LEGACY_WORDS.search(plain)  # counted without name resolution
    assert not TRIGGER.search((FIXTURES / "no_triggers_py2.py").read_bytes())  # never parsed
    result = scan_file(str(FIXTURES / "modern_plain.py"))
    assert result is not None
    assert (result.native, result.legacy, result.findings) == (2, {}, [])


def test_prefilter_changes_nothing_but_the_work_done() -> None:
    with_filter = scan_paths([FIXTURES], selected=ALL, jobs=1)
    without = scan_paths([FIXTURES], selected=ALL, jobs=1, prefilter=False)
    assert with_filter.findings == without.findings
    assert (with_filter.native, with_filter.legacy_by_kind) == (
        without.native,
        without.legacy_by_kind,
    )
    # Without the filter the Python 2 file with no trigger word is parsed and fails too.
    extra = {f.path for f in without.errors} - {f.path for f in with_filter.errors}
    assert {Path(p).name for p in extra} == {"no_triggers_py2.py"}


def test_worker_processes_give_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    from asyncmigrate._scan import _runner

    monkeypatch.setattr(_runner, "PARALLEL_MIN_FILES", 1)
    parallel = scan_paths([FIXTURES], selected=ALL, jobs=2)
    serial = scan_paths([FIXTURES], selected=ALL, jobs=1)
    assert parallel.findings == serial.findings
    assert [(f.path, f.error) for f in parallel.files] == [(f.path, f.error) for f in serial.files]
    assert parallel.legacy_by_kind == serial.legacy_by_kind


def test_function_counts_behind_the_progress_figure() -> None:
    counts = {}
    for path in PARSEABLE:
        result = scan_file(str(path))
        assert result is not None
        counts[path.name] = (result.native, result.legacy)
    assert counts["modern.py"] == (3, {})
    assert counts["tornado_patterns.py"] == (
        1,
        {
            "gen.coroutine": 3,
            "gen.engine": 1,
            "web.asynchronous": 1,
            "return_future": 1,
            "callback": 1,
            "gen_test": 1,
        },
    )
    assert counts["twisted_patterns.py"] == (0, {"inlineCallbacks": 2})
    assert counts["python_patterns.py"] == (0, {"generator-send": 2, "asyncio.coroutine": 1})


def test_a_local_coroutine_decorator_is_not_tornados() -> None:
    assert (
        findings_of(
            """
            def coroutine(f):
                return f

            @coroutine
            def job():
                yield [1]
            """
        )
        == []
    )


def test_class_attribute_shadowing_an_import_is_not_reported() -> None:
    found = findings_of(
        """
        from tornado.gen import coroutine

        class Jobs:
            def coroutine(self, f):
                return f

            @coroutine
            def run(self):
                pass

        @coroutine
        def outside():
            yield
        """
    )
    assert found == [(12, "gen-coroutine")]


def test_callback_keyword_must_be_exact() -> None:
    found = findings_of(
        """
        def f(http, url, cb):
            http.fetch(url, streaming_callback=cb, header_callback=cb)
            http.fetch(url, on_message_callback=cb, callback_url=url, callbacks=[cb])
            http.fetch(url, callback=cb)
        """
    )
    assert found == [(5, "callback-argument")]


def test_a_chain_is_one_finding_at_its_start() -> None:
    found = findings_of(
        """
        def f(d):
            (d.addCallback(a)
              .addErrback(b)
              .addBoth(c))
        """
    )
    assert found == [(3, "deferred-callbacks")]


def test_add_callback_needs_a_loop_or_tornado() -> None:
    assert findings_of("registry.add_callback(f)\n") == []
    assert findings_of("self.io_loop.add_callback(f)\n") == [(1, "ioloop-add-callback")]
    assert findings_of("import tornado.ioloop\nhub.add_callback(f)\n") == [
        (2, "ioloop-add-callback")
    ]


def test_each_needs_a_cursor_or_motor() -> None:
    assert findings_of("items.each(f)\n") == []
    assert findings_of("my_cursor.each(f)\n") == [(1, "motor-cursor-each")]
    assert findings_of("db.c.find().each(f)\n") == [(1, "motor-cursor-each")]
    assert findings_of("import motor\nthings.each(f)\n") == [(2, "motor-cursor-each")]


def test_yielded_lists_count_only_inside_a_coroutine_runner() -> None:
    found = findings_of(
        """
        from tornado import gen

        @gen.coroutine
        def outer():
            def inner():
                yield [1]
            yield [inner()]
        """
    )
    assert found == [(4, "gen-coroutine"), (8, "yield-list")]


def test_select_and_ignore() -> None:
    assert select_patterns(["gen-task"], None) == {"gen-task"}
    twisted = select_patterns(["twisted"], ["return-value"])
    assert "inline-callbacks" in twisted
    assert "return-value" not in twisted
    assert "gen-coroutine" not in twisted
    with pytest.raises(ValueError, match="nope"):
        select_patterns(["nope"], None)
    result = scan_paths([FIXTURES / "twisted_patterns.py"], selected=frozenset({"defer-later"}))
    assert [f.pattern for _, f in result.findings] == ["defer-later"]
    # The progress figure does not depend on the selection.
    assert result.legacy == 2


def test_a_file_that_cannot_be_read_is_an_error_not_a_crash(tmp_path: Path) -> None:
    gone = tmp_path / "gone.py"  # listed by a walk, then removed before it is read
    result = scan_file(str(gone))
    assert result is not None
    assert (result.error_kind, result.error) == ("read", "No such file or directory")
