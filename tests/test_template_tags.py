"""Every template closes the elements it opens: a kept part can be joined with any
page (eshop/layout.py), and a template can be read on its own."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).parents[1] / "templates"
CHECKED = {
    "article",
    "aside",
    "details",
    "div",
    "dl",
    "fieldset",
    "footer",
    "form",
    "header",
    "main",
    "nav",
    "ol",
    "section",
    "table",
    "tbody",
    "thead",
    "ul",
}
JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)


class Tags(HTMLParser):
    """Opened and closed elements of ``CHECKED``, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in CHECKED:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in CHECKED:
            return
        if not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
        else:
            self.open.pop()


def unbalanced(source: str) -> list[str]:
    """What does not balance in a template's literal HTML (Jinja left out)."""
    tags = Tags()
    tags.feed(JINJA.sub(" ", source))
    tags.close()
    return tags.errors + [f"<{tag}> never closed" for tag in tags.open]


@pytest.mark.parametrize(
    "path",
    sorted(TEMPLATES.rglob("*.html")),
    ids=lambda path: str(path.relative_to(TEMPLATES)),
)
def test_a_template_closes_what_it_opens(path):
    assert unbalanced(path.read_text(encoding="utf-8")) == []


def test_an_element_closed_in_another_template_is_found():
    assert unbalanced("<article><div>{{ main }}</div>") == ["<article> never closed"]
    assert unbalanced("{{ main }}</div>\n</article>") == [
        "</div> closes nothing",
        "</article> closes nothing",
    ]
