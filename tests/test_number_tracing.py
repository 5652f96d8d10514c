"""Every number a reader page shows is in results.json (issue 9): the index says so, and this
test keeps it true.

Each reader page (index and chapters) is parsed; from every generated part (the output of a
code cell: tables and sentences; on the index, its tables and the sentence on the published
figures) each number is read as displayed and looked up among the numbers of results.json
at the display's rounding. A number is found when some value v of results.json, shown the
way the report shows numbers, prints as it:

* as v or -v (a "fall" or "reduction" is -change), at the number's decimals;
* followed by "%" (a share of patients, or the confidence level): also 100 v, and the level
  100 (1 - alpha);
* followed by "mmol/mol": the level (v - 2.15) / 0.0915 or the difference v / 0.0915;
* a whole number: an integer value (a count), exactly;
* in e-notation ("1e9", "1.5e9"): v to 3 significant digits.

Left out, each for a stated reason: static Markdown cells (the chapters' prose, which names
no result), figure images, alt text and captions (drawn, not tabulated), code and file
fingerprints (`<code>`), table and figure numbers ("Table 3."), "chapter N", "type 2
diabetes", the p-value display bound "< 0.001", the suppression label "n < 3", the
"published" column of chapter 6 (the paper's print, quoted) and the table of the
reconstruction's assumptions (quoted from data/published_results.yaml).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from mscreport.display.fmt import SUPPRESSED, fmt_cells
from mscreport.core.units import ngsp_difference_to_ifcc, ngsp_to_ifcc

MINUS = "\u2212"
NUMBER = re.compile(r"(?<![\w.])(" + MINUS + r")?(\d+(?:,\d{3})*(?:\.\d+)?(?:e[+-]?\d+)?)(?![\w])")
EXEMPT = [re.compile(p) for p in (r"\b[Tt]able \d+\.", r"\b[Ff]igure \d+\.", r"\bchapters? \d+(?: (?:to|and) \d+)?",
                                  r"\btype 2 diabetes", r"<\s*0\.001", r"\bR's\b")]
PERCENT_INTERVAL = re.compile(r"^[\d.,\s" + MINUS + r"]*\]\s*%(?! points)")  # "[61.6, 83.2] %": an interval of a share
QUOTED_TABLES = ("Assumptions of the reconstructed cohort",)
QUOTED_COLUMNS = ("published",)


# ------------------------------------------------------------------ what results.json holds
def result_values(obj) -> list[float]:
    """Every number in results.json (booleans and strings left out), recursively."""
    if isinstance(obj, dict):
        return [v for x in obj.values() for v in result_values(x)]
    if isinstance(obj, list):
        return [v for x in obj for v in result_values(x)]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return []
    return [float(obj)] if isinstance(obj, (int, float)) and math.isfinite(obj) else []


class Lookup:
    """The displayed forms of every value in results.json."""

    def __init__(self, results: dict, max_decimals: int = 6):
        values = set(result_values({k: v for k, v in results.items() if k != "provenance"}))
        for v in results["params"].values():  # a parameter given as a list of numbers in text (omop_concepts, visits)
            if isinstance(v, str) and re.fullmatch(r"[0-9.]+(\s*,\s*[0-9.]+)*", v.strip()):
                values |= {float(x) for x in v.split(",")}
        alpha = results["params"]["alpha"]
        self.integers = {v for v in values if v == int(v)}
        self.plain, self.percent, self.mmol, self.cells = set(), set(), set(), set()
        for v in values:
            for d in range(max_decimals + 1):
                for w in (v, -v):
                    self.plain.add(f"{w:.{d}f}")
                    self.percent.add(f"{100 * w:.{d}f}")
                    self.mmol.add(f"{ngsp_to_ifcc(w):.{d}f}")
                    self.mmol.add(f"{ngsp_difference_to_ifcc(w):.{d}f}")
            if v:
                self.cells.update({fmt_cells(abs(v)), f"{abs(v):.3g}", f"{abs(v):.4g}"})
        for d in range(3):
            self.percent.add(f"{100 * (1 - alpha):.{d}f}")

    def finds(self, sign: str, digits: str, after: str) -> bool:
        text = ("-" if sign else "") + digits.replace(",", "")
        if "e" in digits:
            return digits in self.cells
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        canonical = f"{float(text):.{decimals}f}"
        tail = after.lstrip()
        if tail.startswith("mmol/mol"):
            return canonical in self.mmol
        if (tail.startswith("%") or PERCENT_INTERVAL.match(after)) and canonical in self.percent:
            return True
        if decimals == 0:
            return float(text) in self.integers or float(text) in {abs(v) for v in self.integers}
        return canonical in self.plain


# ------------------------------------------------------------------ what a page shows
def generated_texts(page: str, index: bool) -> list[str]:
    """The generated parts of a reader page as text, with the left-out parts removed."""
    soup = BeautifulSoup(page, "html.parser")
    for tag in soup.select("figure, img, code, details.msc-params"):
        tag.decompose()
    for table in soup.find_all("table"):
        caption = table.caption.get_text(" ") if table.caption else ""
        if any(q in caption for q in QUOTED_TABLES):
            table.decompose()
            continue
        heads = [th.get_text(" ").strip() for th in table.select("thead th")]
        drop = [i for i, h in enumerate(heads) if h in QUOTED_COLUMNS]
        for row in table.select("tbody tr"):
            cells = row.find_all(["td", "th"])
            for i in drop:
                if i < len(cells):
                    cells[i].decompose()
    if index:
        parts = soup.select("table.msc-table") + [p for p in soup.find_all("p") if "published figures agree" in p.get_text()
                                                  or "msc-headline" in (p.get("class") or [])]  # the headline sentence
    else:
        parts = soup.select(".jp-OutputArea-output")
    texts = []
    for part in parts:
        text = " ".join(part.get_text(" ").split()).replace(SUPPRESSED, "")
        for pattern in EXEMPT:
            text = pattern.sub(" ", text)
        texts.append(text)
    return texts


def untraced_numbers(page: str, results: dict, index: bool = False) -> list[str]:
    """Each number the page shows that results.json does not hold, with its context."""
    lookup = Lookup(results)
    missing = []
    for text in generated_texts(page, index):
        for m in NUMBER.finditer(text):
            if not lookup.finds(m.group(1), m.group(2), text[m.end():m.end() + 30]):
                missing.append(f"{m.group(0)!r} in ...{text[max(0, m.start() - 60):m.end() + 20]}...")
    return missing


def check_report(out: Path) -> tuple[int, list[str]]:
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    pages = [out / "index.html"] + sorted(p for p in out.glob("*.html") if p.name != "index.html")
    problems, shown = [], 0
    for page in pages:
        html = page.read_text(encoding="utf-8")
        texts = generated_texts(html, page.name == "index.html")
        shown += sum(len(NUMBER.findall(t)) for t in texts)
        problems += [f"{page.name}: {p}" for p in untraced_numbers(html, results, page.name == "index.html")]
    return shown, problems


# ------------------------------------------------------------------ the tracer itself (fast)
RESULTS = {"params": {"alpha": 0.05}, "overall": {"n": 61, "mean_change": -0.7868852, "p": 0.0122,
                                                  "baseline_mean": 7.49, "proportion": 0.7377}}


def _page(sentence: str) -> str:
    return f"<div class=\"jp-OutputArea-output\"><p>{sentence}</p></div><div class=\"jp-MarkdownCell\"><p>0.5 %</p></div>"


def test_the_tracer_finds_numbers_in_their_displayed_forms():
    shown = (f"Across all 61 patients, 7.49 % (58 mmol/mol), a change of {MINUS}0.79 % points ({MINUS}8.6 mmol/mol), "
             "a fall of 0.787, p = 0.0122, 73.8 % below target, 95% CI, p < 0.001, Table 3. See chapter 5.")
    assert untraced_numbers(_page(shown), RESULTS) == []


@pytest.mark.parametrize("wrong", ["0.61", f"{MINUS}0.80 % points", "62 patients", "59 mmol/mol", "73.9 %", "13"])
def test_the_tracer_flags_a_number_not_in_results(wrong):
    assert len(untraced_numbers(_page(f"the value {wrong} here"), RESULTS)) == 1


def test_static_prose_quoted_tables_and_fingerprints_are_left_out():
    page = ("<div class=\"jp-OutputArea-output\"><table><caption>Table 9. Assumptions of the reconstructed cohort</caption>"
            "<tbody><tr><td>13.2</td></tr></tbody></table><code>sha 1234abcd</code></div>"
            "<div class=\"jp-MarkdownCell\">a typed 0.6-0.8</div>")
    assert untraced_numbers(page, RESULTS) == []


# ------------------------------------------------------------------ the built reports
@pytest.mark.slow
def test_every_number_on_the_bundled_cohorts_pages_is_in_results_json(built_report):
    shown, problems = check_report(built_report)
    assert shown > 300  # the pages really were read
    assert not problems, f"{len(problems)} shown number(s) not in results.json:\n" + "\n".join(problems[:60])


@pytest.mark.slow
def test_every_number_on_the_teaching_cohorts_pages_is_in_results_json(built_teaching_report):
    results = json.loads((built_teaching_report / "results.json").read_text(encoding="utf-8"))
    assert results["safety"]["events"] >= 1 and results["attrition"]["n_no_followup"] >= 1  # exercised
    assert results["strata"]["severe"]["n"] >= 3 and results["dose"]["high"]["n"] >= 3
    shown, problems = check_report(built_teaching_report)
    assert shown > 300
    assert not problems, f"{len(problems)} shown number(s) not in results.json:\n" + "\n".join(problems[:60])
