"""The templates themselves, read as text: mistakes Django would render without a word."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def template_files() -> list[Path]:
    folders = [ROOT / "templates", *sorted(ROOT.glob("*/templates"))]
    return sorted(path for folder in folders for path in folder.rglob("*.html"))


def test_the_templates_are_found() -> None:
    names = {path.name for path in template_files()}
    assert {"base.html", "tasks.html"} <= names


def test_no_one_line_comment_runs_over_two_lines() -> None:
    # Django's {# ... #} ends on its own line; one left open is printed as text on the page.
    # Longer comments are written with {% comment %} ... {% endcomment %}.
    unclosed = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in template_files()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "{#" in line and "#}" not in line[line.index("{#") :]
    ]
    assert unclosed == []
