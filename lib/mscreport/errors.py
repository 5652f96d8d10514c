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
        column = self.column or "-"
        return f"{self.file}:{row}:{column}: {self.message}"


class InputError(Exception):
    """Bad input (cohort file or parameter): carries every Problem found, never a traceback."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
