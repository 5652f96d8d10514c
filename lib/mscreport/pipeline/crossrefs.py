"""Chapter cross-references as links: every "chapter N" / "Chapter N" (and each number of
"chapters 4 and 5", "chapters 1 to 3") in a page's prose becomes a link to that chapter's
page, N being the chapter's file number (``05_trust.py`` is chapter 5). A chapter left out of
the build is not linked (its mention stays plain text). Done once, on the rendered HTML of
every page (``render.render_pages``, ``render.write_index``): code, preformatted text, style,
script and text already inside a link are left as they are.
"""

from __future__ import annotations

import re

# "chapter 5", "Chapter 5", "chapters 4 and 5", "chapters 1, 2 or 3", "chapters 1 to 3"
_MENTION = re.compile(r"\b([Cc]hapters?)(\s|&nbsp;|\u00a0)(\d{1,2})((?:(?:,\s*|\s+(?:and|or|to)\s+|\s*[-\u2013]\s*)\d{1,2}\b)*)\b")
_NUMBER = re.compile(r"\d{1,2}")
# verbatim blocks and tags: never rewritten (a link's text is inside <a ...>...</a>)
_VERBATIM = re.compile(r"(<(pre|style|code|textarea|script|a|title|summary)\b.*?</\2\s*>|<[^>]+>)", re.S | re.I)


def chapter_targets(chapters) -> dict[int, str]:
    """{chapter number: page file name} of the chapters in this build (``ChapterInfo``s whose
    name starts with its two-digit number)."""
    targets = {}
    for c in chapters:
        number = c.name.partition("_")[0]
        if number.isdigit():
            targets[int(number)] = c.html_name
    return targets


def _link(number: str, text: str, targets: dict[int, str]) -> str:
    href = targets.get(int(number))
    return text if href is None else f"<a class=\"msc-xref\" href=\"{href}\">{text}</a>"


def _link_mention(m: re.Match, targets: dict[int, str]) -> str:
    word, space, first, rest = m.group(1), m.group(2), m.group(3), m.group(4)
    head = _link(first, f"{word}{space}{first}", targets)
    tail = _NUMBER.sub(lambda n: _link(n.group(0), n.group(0), targets), rest)
    return head + tail


def link_chapter_mentions(page: str, targets: dict[int, str]) -> str:
    """``page`` with every chapter mention in its text (between tags, outside code, pre,
    style, script, summary and existing links) linked to the chapter's page in ``targets``
    (``chapter_targets``; a number not in it stays plain text)."""
    if not targets:
        return page
    parts = _VERBATIM.split(page)
    out = []
    i = 0
    while i < len(parts):
        out.append(_MENTION.sub(lambda m: _link_mention(m, targets), parts[i]))  # text between tags
        if i + 1 < len(parts):
            out.append(parts[i + 1])  # a tag or a verbatim block, unchanged
        i += 3  # split() yields text, whole match, inner group 2
    return "".join(out)
