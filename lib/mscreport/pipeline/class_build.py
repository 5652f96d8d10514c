"""What a class build adds to its output folder (``mscreport build --class``; recognised by the
class cohort's bytes, ``inputs.class_cohort``): the teacher's guide
(``teaching/teacher_guide.html``, ``report.teacher_guide``), the student and answer workbooks
(``workbooks/student/``, ``workbooks/with_answers/``) set to read the class cohort with the
class build's parameters, a link to the guide on the index, and on each teaching page links to
its two workbooks and the guide."""

from __future__ import annotations

import re
from pathlib import Path

from mscreport.core.hashing import file_sha256
from mscreport.core.paths import TEACHING_DIRNAME
from mscreport.inputs.class_cohort import CLASS_COHORT, CLASS_FILE, CLASS_PARAMS
from mscreport.inputs.params import PARAMS_BY_NAME, absolute_file
from mscreport.pipeline.workbooks import write_workbooks
from mscreport.report.teacher_guide import GUIDE_NAME, WORKBOOKS_DIRNAME, guide_page, list_exercises

GUIDE_LINK = ("<p class=\"msc-teacher\"><strong>Class build.</strong> <a href=\"{teaching}/{guide}\">Teacher's guide</a> "
              "(objectives, run sheet, key points, glossary); workbooks for students in <code>{workbooks}/student/</code>, "
              "with answers in <code>{workbooks}/with_answers/</code>.</p>")


def is_class_build(data_sha256: str) -> bool:
    """True when the build's cohort is the class cohort (the same bytes)."""
    return CLASS_COHORT.is_file() and data_sha256 == file_sha256(CLASS_COHORT)


def _class_parameters(source: str, params: dict) -> str:
    """A parameters cell with data_path and the class build's parameters (as resolved for the
    build) as its defaults, each line's type and comment kept."""
    values = {"data_path": f"data/{CLASS_FILE}",  # a parameter given as text keeps the build's value, else the class's
              **{k: params[k] if isinstance(params.get(k), str) and not _same_file(k, params[k], v) else v
                 for k, v in CLASS_PARAMS.items()}}
    for name, value in values.items():
        value = "" if value is None else str(value)
        source = re.sub(rf"^({re.escape(name)}: str = )\"[^\"\n]*\"", lambda m: m.group(1) + repr_double(value),
                        source, flags=re.M)
    return source


def _same_file(name: str, value: str, class_value: str) -> bool:
    """Whether a file parameter's value (made absolute on reading) is the class build's own file,
    which a workbook then names as the class build does (``data/...``, found wherever it runs)."""
    spec = PARAMS_BY_NAME.get(name)
    return bool(spec is not None and spec.is_file and value == absolute_file(class_value, "-p"))


def repr_double(text: str) -> str:
    """A Python string literal in double quotes."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_class_workbooks(folder: Path, chapters, params: dict) -> None:
    """Both workbook editions of every chapter, reading the class cohort."""
    import nbformat

    for path in write_workbooks(folder, chapters):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if "parameters" in cell.get("metadata", {}).get("tags", []):
                cell.source = _class_parameters(cell.source, params)
        nbformat.write(nb, path)


def _link_teaching_page(page: Path, name: str) -> None:
    """Add the workbook and guide links to a teaching page's navigation bar."""
    text = page.read_text(encoding="utf-8")
    links = (f" · <a href=\"../{WORKBOOKS_DIRNAME}/student/{name}.ipynb\">Student workbook</a>"
             f" · <a href=\"../{WORKBOOKS_DIRNAME}/with_answers/{name}.ipynb\">Answer workbook</a>"
             f" · <a href=\"{GUIDE_NAME}\">Teacher's guide</a></nav>")
    page.write_text(re.sub(r"</nav>", lambda _: links, text, count=1), encoding="utf-8")


def add_class_material(report: Path, chapters, params: dict, css: str) -> None:
    """The class build's additions, written into the staged report folder ``report``."""
    teaching = report / TEACHING_DIRNAME
    exercises = {c.name: list_exercises(c.source.read_text(encoding="utf-8")) for c in chapters}
    (teaching / GUIDE_NAME).write_text(guide_page(chapters, css, exercises), encoding="utf-8")
    write_class_workbooks(report / WORKBOOKS_DIRNAME, chapters, params)
    for c in chapters:
        page = teaching / c.html_name
        if page.is_file():
            _link_teaching_page(page, c.name)
    index = report / "index.html"
    text = index.read_text(encoding="utf-8")
    link = GUIDE_LINK.format(teaching=TEACHING_DIRNAME, guide=GUIDE_NAME, workbooks=WORKBOOKS_DIRNAME)
    index.write_text(text.replace("<h2 id=\"chapters\">", link + "<h2 id=\"chapters\">", 1), encoding="utf-8")
