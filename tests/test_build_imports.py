"""What a cold build's processes import (issue 11.1: the build's CPU is its speed on 2 cores).

* The build process assembles the chapters' records and writes the index: it needs neither
  scipy/statsmodels (the analyses run in the kernels) nor nbformat (the records arrive as plain
  data, not nbformat's ``NotebookNode``, whose unpickling would import nbformat and, through
  jsonschema, ``rfc3987_syntax``: 1.2 CPU s of grammar compilation).
* A worker tells jsonschema that ``rfc3987_syntax`` is absent; nbformat still reads, validates
  and writes notebooks.
Each test has a control showing that the thing it rules out would otherwise happen.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import nbformat
import pytest

from mscreport.core.paths import REPO_ROOT
from mscreport.core.jsondata import jsonable
from mscreport.pipeline.render import extract_records


def _python(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, cwd=REPO_ROOT,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_records_leave_the_worker_as_plain_data():
    node = nbformat.from_dict({"a": [{"b": 1.5, "c": {"d": None}}], "e": "x"})
    assert type(node) is not dict and type(node["a"][0]) is not dict  # control: nbformat's own type
    out = jsonable(node)
    assert out == {"a": [{"b": 1.5, "c": {"d": None}}], "e": "x"}
    assert type(out) is dict and type(out["a"][0]) is dict and type(out["a"][0]["c"]) is dict

    from mscreport.core.mime import RESULT_MIME

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[nbformat.from_dict(
        {"output_type": "display_data", "metadata": {},
         "data": {RESULT_MIME: {"key": "overall", "value": {"n": 61, "ci": [1.0, 2.0]}}}})])])
    records = extract_records(nb)
    assert records == {"overall": {"n": 61, "ci": [1.0, 2.0]}} and type(records["overall"]) is dict


def test_a_worker_skips_rfc3987_syntax_and_nbformat_still_validates():
    probe = """
        import json, sys
        {setup}
        import nbformat
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# t")])
        nbformat.validate(nb)
        bad = nbformat.from_dict({{"cells": 1}})
        try:
            nbformat.validate(bad)
            refused = False
        except nbformat.ValidationError:
            refused = True
        print(json.dumps({{"imported": sys.modules.get("rfc3987_syntax") is not None, "refused": refused}}))
    """
    control = _python(probe.format(setup="pass"))
    if not control["imported"]:
        pytest.skip("rfc3987_syntax is not installed here: nothing to skip")
    skipped = _python(probe.format(setup="from mscreport.pipeline.engine import skip_slow_optional_imports; "
                                         "skip_slow_optional_imports()"))
    assert skipped == {"imported": False, "refused": True}


@pytest.mark.slow
def test_the_build_process_imports_no_analysis_and_no_nbformat(tmp_path):
    out = tmp_path / "report"
    probe = f"""
        import json, sys
        from mscreport.cli import main
        assert main(["build", "--force", "--output", {str(out)!r}]) == 0
        print(json.dumps({{m: m in sys.modules for m in ("scipy", "statsmodels", "nbformat", "rfc3987_syntax", "pandas")}}))
    """
    seen = _python(probe)
    assert (out / "index.html").is_file()
    assert seen["pandas"]  # control: the probe sees what the build imported (validation needs pandas)
    assert seen == {"scipy": False, "statsmodels": False, "nbformat": False, "rfc3987_syntax": False, "pandas": True}


def test_printed_text_split_across_messages_is_one_output_area():
    """A kernel may deliver one cell's printed text in one message or several (timing):
    the page must not depend on it."""
    from mscreport.pipeline.render import coalesce_streams

    def stream(name, text):
        return nbformat.from_dict({"output_type": "stream", "name": name, "text": text})

    display = nbformat.from_dict({"output_type": "display_data", "metadata": {}, "data": {"text/plain": "x"}})
    split = [stream("stdout", "a\n"), stream("stdout", "b\n"), stream("stderr", "w\n"), display, stream("stdout", "c\n")]
    whole = [stream("stdout", "a\nb\n"), stream("stderr", "w\n"), display, stream("stdout", "c\n")]
    assert len(split) != len(whole)  # control: the split form is what a kernel may send
    assert coalesce_streams(split) == whole
    assert coalesce_streams(whole) == whole
