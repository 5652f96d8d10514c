"""What the report says it is about: its title and the study it describes.

The bundled reconstructed cohort is framed as the reanalysis of Matsuoka et al.; a user's
cohort is framed as their own study (parameters ``report_title`` and ``study_description``).
Whether a cohort is the bundled one is decided by its content (``paths.is_bundled_cohort``),
never by its file name.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from mscreport.core.paths import is_bundled_cohort

PAPER_TITLE = "HbA1c after a single intravenous MSC infusion in type 2 diabetes"
PAPER_DESCRIPTION = ("A literate, reproducible reanalysis of Matsuoka et al., *J Biomed Res Environ Sci* "
                     "2025;6(4):320-327 (doi:10.37871/jbres2087, CC BY 4.0).")
OWN_TITLE = "HbA1c from baseline to follow-up"
FRAMING_TEXT = ("report_title", "study_description")  # free-text parameters, shown as the title and lead


@dataclass(frozen=True)
class Framing:
    """The report's title and lead paragraph (Markdown with *emphasis* and `code` only), and
    whether the cohort is the bundled one."""

    title: str
    description: str
    bundled: bool


def frame_report(params: dict, data_sha256: str, data_name: str) -> Framing:
    """The framing of a build: from the parameters, the cohort file's SHA-256 and its name."""
    bundled = is_bundled_cohort(data_sha256)
    title = (params.get("report_title") or "").strip() or (PAPER_TITLE if bundled else OWN_TITLE)
    description = (params.get("study_description") or "").strip() or (
        PAPER_DESCRIPTION if bundled else
        f"A literate, reproducible analysis of HbA1c before and after treatment in the cohort file `{data_name}`.")
    return Framing(title, description, bundled)


def inline_html(text: str) -> str:
    """A framing text as HTML: escaped, with Markdown's *emphasis* and `code` only."""
    out = html.escape(text, quote=True)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return re.sub(r"\*([^*]+)\*", r"<em>\1</em>", out)
