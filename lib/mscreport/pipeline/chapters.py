"""The chapter notebooks: where they are, their order, titles and the questions they answer.

Chapters are ``notebooks/NN_name.py`` (jupytext py:percent), read in NN order.
"""

from __future__ import annotations

import dataclasses
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
    def number(self) -> int | None:
        """The chapter's number, from its file name (03_change: 3): the same in every build,
        also when chapters before it are left out, so "chapter 7" always names one page."""
        head = self.name.partition("_")[0]
        return int(head) if head.isdigit() else None

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


_CELL = re.compile(r"^# %%.*$", re.M)
_STUDY_TAG = re.compile(r"\bstudy-[a-z0-9-]+")


def study_source(text: str, tags) -> str:
    """A chapter's source with the cells of other studies left out: a cell tagged with any
    ``study-*`` tag not in ``tags`` (``inputs.study.Study.tags``) is dropped, as the pages drop it."""
    tags = set(tags)
    starts = [m.start() for m in _CELL.finditer(text)] + [len(text)]
    kept = [text[: starts[0]]]
    for a, b in zip(starts, starts[1:]):
        header = text[a:text.find("\n", a) if text.find("\n", a) != -1 else b]
        if set(_STUDY_TAG.findall(header)) <= tags:
            kept.append(text[a:b])
    return "".join(kept)


def for_study(chapters: list[ChapterInfo], tags) -> list[ChapterInfo]:
    """``chapters`` with the title and question of the cells that apply to this study (a user's
    trial reads "after the start of treatment", not the paper's "after the infusion");
    unchanged when ``tags`` is None."""
    if tags is None:
        return chapters
    out = []
    for c in chapters:
        title, question = _title_and_question(study_source(c.source.read_text(encoding="utf-8"), tags))
        out.append(dataclasses.replace(c, title=title or c.title, question=question or c.question))
    return out


def chapter_on(chapters, topic: str) -> ChapterInfo | None:
    """The chapter of ``chapters`` on ``topic`` (``ChapterInfo.topic``); None when there is none."""
    return next((c for c in chapters if c.topic == topic), None)


# ---------------------------------------------------------------- chapters that apply to the study
DOSE_TOPIC, PUBLISHED_TOPIC_NAME, TRAJECTORY_TOPIC = "dose", "published", "trajectory"
LEFT_OUT_REASONS = {
    DOSE_TOPIC: "the cohort file has no dose_cells and no msc_source column",
    TRAJECTORY_TOPIC: "the cohort file has one row per patient, so there are no repeated measurements to follow "
                      "over time; a file with one row per measurement gives this chapter",
    PUBLISHED_TOPIC_NAME: "there are no published figures to compare with: the cohort is not the reconstruction "
                          "of the paper and parameter published_path names no figures file",
}


def chapter_facts(cohort) -> dict:
    """What decides which chapters apply to a validated cohort: ``dose`` (a ``dose_cells`` or
    ``msc_source`` column), ``published`` (a published-figures file to compare with:
    ``published.published_file`` of parameter ``published_path``), ``trajectory`` (repeated
    measurements: a long file; the bundled reconstruction, one row per patient, keeps the
    chapter as the lesson's pointer to its long twin)."""
    from mscreport.analysis.published import published_file  # lazy: the build process imports no analysis before validating

    return {"dose": bool(cohort.has("dose_cells") or cohort.has("msc_source")),
            "published": published_file(cohort.params.get("published_path", ""), cohort.reconstruction) is not None,
            "trajectory": getattr(cohort, "longitudinal", None) is not None or bool(cohort.reconstruction)}


def chapters_left_out(chapters, facts: dict | None) -> dict[str, str]:
    """The chapters that do not apply to the study, by name, each with its reason: the dose
    chapter without dose data, the published-figures chapter without figures to compare with,
    the course-over-time chapter without repeated measurements.
    ``facts``: ``chapter_facts`` (None: every chapter applies)."""
    if not facts:
        return {}
    out = {}
    for c in chapters:
        if c.topic == DOSE_TOPIC and not facts.get("dose", True):
            out[c.name] = LEFT_OUT_REASONS[DOSE_TOPIC]
        elif c.topic == PUBLISHED_TOPIC_NAME and not facts.get("published", True):
            out[c.name] = LEFT_OUT_REASONS[PUBLISHED_TOPIC_NAME]
        elif c.topic == TRAJECTORY_TOPIC and not facts.get("trajectory", True):
            out[c.name] = LEFT_OUT_REASONS[TRAJECTORY_TOPIC]
    return out


def left_out_sentence(chapters, left_out: dict[str, str]) -> str:
    """The index's one line on the chapters left out and why ('' when none is)."""
    if not left_out:
        return ""
    titles = {c.name: c.title for c in chapters}
    parts = [f"\u201c{titles.get(name, name)}\u201d ({why})" for name, why in left_out.items()]
    return "Left out of this report, as they do not apply to this study: " + "; ".join(parts) + "."
