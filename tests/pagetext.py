"""What a reader sees of a rendered page: its text, without style, script or embedded images
(the privacy tests look for patients' values in it)."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("style", "script")

    def handle_endtag(self, tag):
        self.skip -= tag in ("style", "script")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The page's text, whitespace collapsed, with the minus sign written as '-'."""
    t = _Text()
    t.feed(html)
    return re.sub(r"\s+", " ", " ".join(t.parts)).replace("\u2212", "-")
