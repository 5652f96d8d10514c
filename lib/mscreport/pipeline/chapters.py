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
    question = re.search(r"^# \*\*Question:?\*\*:?\s*(.+?)\n#\s*\n", text, re.M | re.S)
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


# ---------------------------------------------------------------- chapters that apply to the study
DOSE_TOPIC, PUBLISHED_TOPIC_NAME = "dose", "published"
LEFT_OUT_REASONS = {
    DOSE_TOPIC: "the cohort file has no dose_cells and no msc_source column",
    PUBLISHED_TOPIC_NAME: "there are no published figures to compare with: the cohort is not the reconstruction "
                          "of the paper and parameter published_path names no figures file",
}


def chapter_facts(cohort) -> dict:
    """What decides which chapters apply to a validated cohort: ``dose`` (a ``dose_cells`` or
    ``msc_source`` column), ``published`` (a published-figures file to compare with:
    ``published.published_file`` of parameter ``published_path``)."""
    from mscreport.analysis.published import published_file  # lazy: the build process imports no analysis before validating

    return {"dose": bool(cohort.has("dose_cells") or cohort.has("msc_source")),
            "published": published_file(cohort.params.get("published_path", ""), cohort.reconstruction) is not None}


def chapters_left_out(chapters, facts: dict | None) -> dict[str, str]:
    """The chapters that do not apply to the study, by name, each with its reason: the dose
    chapter without dose data, the published-figures chapter without figures to compare with.
    ``facts``: ``chapter_facts`` (None: every chapter applies)."""
    if not facts:
        return {}
    out = {}
    for c in chapters:
        if c.topic == DOSE_TOPIC and not facts.get("dose", True):
            out[c.name] = LEFT_OUT_REASONS[DOSE_TOPIC]
        elif c.topic == PUBLISHED_TOPIC_NAME and not facts.get("published", True):
            out[c.name] = LEFT_OUT_REASONS[PUBLISHED_TOPIC_NAME]
    return out


def left_out_sentence(chapters, left_out: dict[str, str]) -> str:
    """The index's one line on the chapters left out and why ('' when none is)."""
    if not left_out:
        return ""
    titles = {c.name: c.title for c in chapters}
    parts = [f"\u201c{titles.get(name, name)}\u201d ({why})" for name, why in left_out.items()]
    return "Left out of this report, as they do not apply to this study: " + "; ".join(parts) + "."
