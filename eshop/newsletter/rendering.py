"""Campaign bodies: the owner writes Markdown; subscribers get sanitized HTML and a
plain-text twin. Raw HTML and images are dropped: no remote pixel can track a reader."""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a",
    "blockquote",
    "br",
    "code",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}

_markdown = MarkdownIt("commonmark", {"html": False})
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def markdown_to_html(body_markdown: str) -> str:
    """Render Markdown to HTML that keeps only harmless tags and link schemes."""
    return nh3.clean(
        _markdown.render(body_markdown),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def markdown_to_text(body_markdown: str) -> str:
    """Markdown reads well as it is; only links and images are spelled out."""
    text = _IMAGE.sub(r"\1", body_markdown)
    text = _LINK.sub(r"\1 (\2)", text)
    return text.strip() + "\n"
