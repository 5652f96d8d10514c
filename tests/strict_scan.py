"""What a strict page must not show (issue 24, ``disclosure=strict``): a count of patients that is
neither 0 nor a multiple of 5, and any minimum, maximum or range. Reads what a reader sees: the
page's text, its tables cell by cell (columns of counts), and the text drawn in its SVG figures."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import unquote

from pagetext import visible_text

COUNT_WORDS = r"(?:patients?|rows?|measurements?|persons?|participants?|analysed|excluded|completers|events?)"
_NUM = r"(\d[\d,]*)(?![\d.,]*\d)(?!\s*%)"
COUNT_PATTERNS = [re.compile(rf"\bn\s*=\s*{_NUM}"), re.compile(rf"\b(?:n|n_\w+|df)\s+{_NUM}(?=\s|$)"), re.compile(rf"\b{_NUM}\s+{COUNT_WORDS}\b"),
                  re.compile(rf"\b{COUNT_WORDS}\s*(?:n\s*)?[:=]\s*{_NUM}"), re.compile(rf"\b{_NUM}\s+of\s+{_NUM}\s+{COUNT_WORDS}\b")]
# the rule's own words, and the published paper's numbers (its assumed stratum sizes), which are no count of this file
ALLOWED = re.compile(r"fewer than \d+ patients|at least \d+ patients|beyond the range|\u2264 7|assumed \d+ patients"
                     r"|p = [\d.]+ with n = \d+|At n = \d+, the two-sided"
                     r"|needs \d+ patients per arm")  # a design's sample size, no count of this file
EXTREMES = re.compile(r"\b(min(?:imum)?|max(?:imum)?|range)\b\s*[:=]?\s*[\[(]?\s*[\-\u2212]?\d", re.I)
COUNT_HEADERS = re.compile(r"^(n|patients|n \(.*\)|.*: n|events|no entry|rows|analysed|excluded.*)$", re.I)


class _Tables(HTMLParser):
    """Cells of every table as (header, text)."""

    def __init__(self):
        super().__init__()
        self.cells: list[tuple[str, str]] = []
        self.headers: list[str] = []
        self.row: list[str] = []
        self.cur: list[str] | None = None
        self.in_head = False

    def handle_starttag(self, tag, attrs):
        if tag == "thead":
            self.in_head, self.headers = True, []
        elif tag in ("td", "th"):
            self.cur = []
        elif tag == "tr":
            self.row = []

    def handle_endtag(self, tag):
        if tag == "thead":
            self.in_head = False
        elif tag in ("td", "th") and self.cur is not None:
            text = " ".join("".join(self.cur).split())
            if self.in_head:
                self.headers.append(text)
            else:
                col = len(self.row)
                self.row.append(text)
                self.cells.append((self.headers[col] if col < len(self.headers) else "", text))
            self.cur = None

    def handle_data(self, data):
        if self.cur is not None:
            self.cur.append(data)


def svg_texts(html: str) -> list[str]:
    """The text drawn in each inline SVG figure (data: URIs, text kept as text)."""
    out = []
    for uri in re.findall(r'src="data:image/svg\+xml,([^"]*)"', html):
        svg = unquote(uri)
        out += [re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S)]
    return out


def bad_counts(text: str) -> list[str]:
    """Counts in ``text`` that are neither 0 nor a multiple of 5."""
    bad = []
    for pat in COUNT_PATTERNS:
        for m in pat.finditer(text):
            for g in m.groups():
                n = int(g.replace(",", ""))
                if n % 5:
                    bad.append(text[max(0, m.start() - 40):m.end() + 10])
    return bad


def strict_violations(html: str) -> list[str]:
    """Every count not a multiple of 5 (0 allowed, "≤ 7" allowed) and every minimum, maximum or
    range a strict page shows, as short excerpts."""
    text = ALLOWED.sub("", visible_text(html))
    found = bad_counts(text) + [text[max(0, m.start() - 40):m.end() + 10] for m in EXTREMES.finditer(text)]
    parser = _Tables()
    parser.feed(html)
    for header, cell in parser.cells:
        if COUNT_HEADERS.match(header):
            for num in re.findall(r"(?<![\d.])\d[\d,]*(?![\d.])", cell.replace("\u2264 7", "")):
                if int(num.replace(",", "")) % 5:
                    found.append(f"[{header}] {cell}")
    for t in svg_texts(html):
        found += [f"[figure] {b}" for b in bad_counts(ALLOWED.sub("", t))]
    return found
