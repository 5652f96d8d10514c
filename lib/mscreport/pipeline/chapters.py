"""The chapter notebooks: where they are, their order, titles and the questions they answer.

Chapters are ``notebooks/NN_name.py`` (jupytext py:percent), read in NN order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from mscreport.core.paths import NOTEBOOKS_DIR


@dataclass(frozen=True)
class ChapterInfo:
    name: str  # file stem, e.g. 03_change
    source: Path
    title: str
    question: str

    @property
    def html_name(self) -> str:
        return f"{self.name}.html"

    @property
    def topic(self) -> str:
        """The name without its number (03_change: change): how a page refers to a chapter
        whatever its place in the order."""
        return self.name.partition("_")[2]


def _title_and_question(text: str) -> tuple[str, str]:
    """The chapter's '# Title' and its '**Question:** ...' paragraph (to the next blank line)."""
    title = re.search(r"^# # (.+)$", text, re.M)
    question = re.search(r"^# \*\*Question:?\*\*:?\s*(.+?)\n(?:#\s*)?\n", text, re.M | re.S)  # to a blank line or the cell end
    q = " ".join(line.lstrip("#").strip() for line in question.group(1).splitlines()) if question else ""
    q = q.replace("`", "")
    return (title.group(1).strip() if title else "", q[:1].upper() + q[1:])


def list_chapters(directory: Path = NOTEBOOKS_DIR) -> list[ChapterInfo]:
    """Every chapter, in reading order."""
    out = []
    for path in sorted(directory.glob("[0-9][0-9]_*.py")):
        title, question = _title_and_question(path.read_text(encoding="utf-8"))
        out.append(ChapterInfo(path.stem, path, title or path.stem, question))
    return out


def chapter_on(chapters, topic: str) -> ChapterInfo | None:
    """The chapter of ``chapters`` on ``topic`` (``ChapterInfo.topic``); None when there is none."""
    return next((c for c in chapters if c.topic == topic), None)
