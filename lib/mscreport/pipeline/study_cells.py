"""A chapter's cells for the study as it is: cells tagged ``study-*`` are kept only when the
build's study has every such tag (``inputs.study.Study.tags``), and the tag is then removed,
so that a kept cell renders exactly as an untagged one. A chapter states the paper's story in
cells tagged ``study-paper`` and the user's cohort's in cells tagged ``study-own`` (likewise
``study-msc``/``study-not-msc``, ``study-controlled``/``study-single-arm``,
``study-t2d``/``study-not-t2d``; a chapter's "Per arm" sections ``study-arms``: left out of a
report without an arm column); run outside a build (nbval, Jupyter) every cell is shown."""

from __future__ import annotations

from mscreport.inputs.study import STUDY_TAGS


def select_study_cells(nb, applies) -> None:
    """Drop, in place, the cells of a notebook whose ``study-*`` tags are not all in ``applies``
    (a set of tags, or None: keep every cell), and strip those tags from the cells kept."""
    if applies is None:
        return
    applies = set(applies)
    kept = []
    for cell in nb.cells:
        tags = list(cell.get("metadata", {}).get("tags", []))
        study = [t for t in tags if t in STUDY_TAGS]
        if not study:
            kept.append(cell)
            continue
        if not set(study) <= applies:
            continue
        rest = [t for t in tags if t not in STUDY_TAGS]
        if rest:
            cell["metadata"]["tags"] = rest
        else:
            cell["metadata"].pop("tags", None)
        kept.append(cell)
    nb.cells = kept
