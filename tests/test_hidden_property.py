"""Issue 24: a hypothesis property. Small cohorts (2 to 12 patients, random strata, dose groups,
sources and missing values) built into the chapters' tables, opening answers and figures show
no value of a patient in a hidden group: neither in the text nor among the coordinates drawn."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings, strategies as st
from pagetext import visible_text
from test_hidden_stays_hidden import COLS, drawn_points

from mscreport.analysis import trust
from mscreport.analysis.dose import analyse_dose, dose_scatter_figure
from mscreport.analysis.paired import analyse_overall, analyse_strata
from mscreport.core import disclosure
from mscreport.display import figures
from mscreport.display.fmt import fmt_change, fmt_hba1c, html_table
from mscreport.display.tables import paired_table
from mscreport.inputs.cohort import load_cohort
from mscreport.report import opening

patient = st.tuples(st.integers(640, 1190), st.integers(-250, 60), st.sampled_from([2e8, 2e9, None]),
                    st.sampled_from(["UC", "BM", None]), st.integers(3, 60))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(patient, min_size=2, max_size=12))
def test_no_hidden_patient_in_tables_or_figures(tmp_path, patients):
    rows = [(f"P{i}", b / 100, (b + d) / 100, dose, src, months, None) for i, (b, d, dose, src, months) in enumerate(patients)]
    path = tmp_path / "c.csv"
    pd.DataFrame(rows, columns=COLS).to_csv(path, index=False)
    c = load_cohort(path, None)
    f = c.frame
    hidden_mask = disclosure.hidden_rows(f) | (np.zeros(len(f), bool) if not disclosure.too_few(len(f)) else True)
    if not hidden_mask.any():
        return
    overall, by_stratum = analyse_overall(c), analyse_strata(c)
    text = visible_text(html_table(paired_table({"all patients": overall, **by_stratum}, disclosure.hidden_groups(f)), index=True))
    answers = [opening.chapter_answer(name, c) for name in ("cohort", "severity", "change")]  # the chapters' opening answers
    text += " " + " ".join(a[0] for a in answers if a)
    points = (drawn_points(trust.oldham_plot(f, 2000)) + drawn_points(trust.durability_figure(c))
              + drawn_points(figures.qq_plot(f["change"], 2000, disclosure.drawable_rows(f)))
              + drawn_points(figures.paired_plot(f, 2000)))
    fig = dose_scatter_figure(c, analyse_dose(c))
    points += drawn_points(fig) if fig is not None else []
    ys = {round(p[1], 9) for p in points}
    for _, r in f[hidden_mask].iterrows():
        same = np.isclose(f["change"].to_numpy(float), r["change"]) & ~hidden_mask  # a shown patient with the same change
        assert round(r["change"], 9) not in ys or np.isclose(r["change"], 0.0) or same.any(), r["patient_id"]
        # a lone hidden patient's own numbers in the text (rare coincidences aside: same value shown by another)
        if (f["change"].round(2) == round(r["change"], 2)).sum() == 1:
            assert f"{fmt_change(r['change'])} " not in text or len(f) > 2
