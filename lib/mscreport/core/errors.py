"""The project's one error type, and the Problem it carries.

A Problem prints as ``FILE:ROW:COLUMN: message`` (ROW is the 1-based data row, the header not
counted; ``-`` where the problem concerns the whole file or no single column).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as possible."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        row = "-" if self.row is None else str(self.row)
        column = safe_field(self.column or "-")
        return f"{safe_field(self.file)}:{row}:{column}: {' '.join(str(self.message).splitlines())}"


def safe_field(text: str) -> str:
    """A file or column name as one unambiguous field of ``FILE:ROW:COLUMN: message``: a name
    with a colon, a line break or another control character is printed JSON-quoted (so a
    file named ``x.csv:1:id: fake`` or holding a newline cannot forge a message line)."""
    text = str(text)
    if ":" in text or '"' in text or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        import json

        return json.dumps(text)
    return text


class InputError(Exception):
    """Bad input (cohort file or parameter): carries every Problem found, never a traceback."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
