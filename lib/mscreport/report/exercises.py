"""What the chapters' exercises need from the library: nothing that gives an answer away.

The exercises live in the chapters (cells tagged ``teaching``): a question in Markdown, for a
"predict, then run" exercise a code cell whose ``### BEGIN SOLUTION`` / ``### END SOLUTION``
region computes the answer from the open patient table, and an autograded cell that checks it
against the analysis (``lesson.check_answered`` and, between ``### BEGIN HIDDEN TESTS`` /
``### END HIDDEN TESTS``, ``lesson.check_close``); an answer in words is its own Markdown cell
tagged ``solution``. The student workbooks (``pipeline.workbooks``) drop the solutions and the
hidden tests, so no answer text is in a student's notebook or in this library.
"""

from __future__ import annotations


def larger_fall_larger_p(moderate, severe) -> bool:
    """Whether the severe stratum has the larger mean fall (more negative mean change) and yet
    the larger p-value than the moderate one (chapter 3's exercise 3.3 asks about it)."""
    values = (moderate.mean_change, severe.mean_change, moderate.p, severe.p)
    if any(v is None or v != v for v in values):
        return False
    return severe.mean_change < moderate.mean_change and severe.p > moderate.p
