"""asyncmigrate._files: which files a scan (or a rewrite) reads."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from asyncmigrate._files import iter_python_files


def make_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def listed(*paths: Path | str, cwd: Path) -> list[str]:
    return sorted(Path(p).relative_to(cwd).as_posix() for p in iter_python_files(paths))


GITIGNORE = """\
# generated code
/build2/
logs/
*_gen.py
!keep_gen.py
a/**/z.py
docs/gen
[f]oo.py
\\#hash.py
"""

TREE = {
    ".gitignore": GITIGNORE,
    "top.py": "",
    "a/x.py": "",
    "a/b/y.py": "",
    "a/b/c/z.py": "",
    "a/z.py": "",
    "a/b/c/foo.py": "",
    "build2/q.py": "",
    "sub/build2/kept.py": "",
    "logs/x/l.py": "",
    "docs/gen/g.py": "",
    "docs/generated.py": "",
    "src/pkg/m.py": "",
    "src/pkg/keep_gen.py": "",
    "src/pkg/m_gen.py": "",
    "src/.gitignore": "!/foo.py\n",
    "src/foo.py": "",
    "sp ace/s.py": "",
    "#hash.py": "",
    "notes.txt": "",
}


def test_gitignore_rules_agree_with_git(tmp_path: Path) -> None:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed: the oracle for gitignore semantics is missing")
    make_tree(tmp_path, TREE)
    subprocess.run([git, "init", "-q", str(tmp_path)], check=True)
    out = subprocess.run(
        [git, "ls-files", "--others", "--cached", "--exclude-standard", "-z"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    expected = sorted(p for p in out.split("\0") if p.endswith(".py"))
    assert listed(tmp_path, cwd=tmp_path) == expected
    # The hand-checked answer, so that this test does not only trust git.
    assert expected == [
        "a/b/y.py",
        "a/x.py",
        "docs/generated.py",
        "sp ace/s.py",
        "src/foo.py",
        "src/pkg/keep_gen.py",
        "src/pkg/m.py",
        "sub/build2/kept.py",
        "top.py",
    ]


def test_gitignore_of_parent_folders_applies_to_a_subfolder(tmp_path: Path) -> None:
    make_tree(tmp_path, TREE)
    (tmp_path / ".git").mkdir()
    assert listed(tmp_path / "src", cwd=tmp_path) == [
        "src/foo.py",
        "src/pkg/keep_gen.py",
        "src/pkg/m.py",
    ]


def test_gitignore_outside_a_repository_applies_from_the_walked_folder(tmp_path: Path) -> None:
    make_tree(tmp_path, {"outer/.gitignore": "*.py\n", "outer/tree/.gitignore": "b.py\n"})
    make_tree(tmp_path, {"outer/tree/a.py": "", "outer/tree/b.py": ""})
    # No .git anywhere above: outer/.gitignore is not consulted, tree/.gitignore is.
    assert listed(tmp_path / "outer" / "tree", cwd=tmp_path) == ["outer/tree/a.py"]


def test_skips_virtualenvs_build_folders_and_caches(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        {
            "app.py": "",
            ".venv/lib/x.py": "",
            "venv/lib/x.py": "",
            "myenv/pyvenv.cfg": "home = /usr/bin\n",
            "myenv/lib/site.py": "",
            "build/lib/app.py": "",
            "dist/app.py": "",
            "pkg.egg-info/x.py": "",
            "__pycache__/x.py": "",
            ".git/hooks/x.py": "",
            ".tox/py/x.py": "",
            "node_modules/x.py": "",
            "lib/site-packages/x.py": "",
            "pkg/mod.py": "",
            "pkg/mod.pyc": "",
            "pkg/data.json": "",
        },
    )
    assert listed(tmp_path, cwd=tmp_path) == ["app.py", "pkg/mod.py"]


def test_explicit_paths_are_used_even_when_excluded(tmp_path: Path) -> None:
    make_tree(
        tmp_path, {".gitignore": "gen.py\nbuild/\n", "gen.py": "", "build/b.py": "", "a.py": ""}
    )
    (tmp_path / ".git").mkdir()
    assert listed(tmp_path / "gen.py", tmp_path / "build", cwd=tmp_path) == ["build/b.py", "gen.py"]


def test_each_file_once_in_a_stable_order(tmp_path: Path) -> None:
    make_tree(tmp_path, {"b/2.py": "", "b/1.py": "", "a.py": "", "c/3.py": ""})
    found = [
        p.relative_to(tmp_path).as_posix() for p in iter_python_files([tmp_path, tmp_path / "b"])
    ]
    assert found == ["a.py", "b/1.py", "b/2.py", "c/3.py"]


def test_missing_path_raises_before_anything_is_yielded(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("", encoding="utf-8")
    with pytest.raises(FileNotFoundError) as info:
        iter_python_files([tmp_path, tmp_path / "missing"])
    assert info.value.filename == str(tmp_path / "missing")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="the platform has no symlinks")
def test_symlinked_folders_are_not_followed(tmp_path: Path) -> None:
    make_tree(tmp_path, {"pkg/a.py": ""})
    (tmp_path / "pkg" / "loop").symlink_to(tmp_path, target_is_directory=True)
    assert listed(tmp_path, cwd=tmp_path) == ["pkg/a.py"]


def test_an_explicit_folder_inside_ignored_territory_is_walked(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        {
            ".gitignore": ".venv/\n*.log\n",
            ".venv/.gitignore": "*\n",
            ".venv/lib/site-packages/pkg/a.py": "",
            ".venv/lib/site-packages/pkg/.gitignore": "b.py\n",
            ".venv/lib/site-packages/pkg/b.py": "",
            ".venv/lib/site-packages/pkg/sub/c.py": "",
        },
    )
    (tmp_path / ".git").mkdir()
    pkg = tmp_path / ".venv" / "lib" / "site-packages" / "pkg"
    assert listed(pkg, cwd=pkg) == ["a.py", "sub/c.py"]
    assert listed(tmp_path, cwd=tmp_path) == []
