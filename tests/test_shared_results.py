"""Analyses several chapters ask for (overall, strata, dose) are computed once per build:
the cohort a chapter loads from the build's snapshot keeps them in the snapshot folder
(``snapshot.shared_result``) for the chapters after it, with the warnings they gave."""

from __future__ import annotations

import dataclasses
import warnings

import pytest

from mscreport.analysis import dose
from mscreport.analysis import paired
from mscreport.inputs.cohort import load_cohort
from mscreport.core.paths import DEFAULT_COHORT
from mscreport.inputs.snapshot import SHARED_DIR, load_snapshot, save_snapshot
from mscreport.inputs.shared import shared_result


@pytest.fixture()
def snapshot(tmp_path):
    return save_snapshot(load_cohort(DEFAULT_COHORT), tmp_path / "snapshot")


def test_a_later_chapter_loads_what_an_earlier_one_computed(snapshot, monkeypatch):
    calls = []
    real = dose._analyse_dose
    monkeypatch.setattr(dose, "_analyse_dose", lambda c: calls.append(1) or real(c))
    first_chapter, second_chapter = load_snapshot(snapshot), load_snapshot(snapshot)
    computed = dose.analyse_dose(first_chapter)
    loaded = dose.analyse_dose(second_chapter)
    assert calls == [1] and loaded == computed and loaded is not computed
    assert [p.name for p in (snapshot / SHARED_DIR).glob("*/*.pickle")] == ["analyse_dose.pickle"]
    for analyse in (paired.analyse_overall, paired.analyse_strata):
        one, two = analyse(first_chapter), analyse(second_chapter)
        assert one == two and [p.name for p in (snapshot / SHARED_DIR).glob("*/*.pickle")].count(
            f"{analyse.__name__}.pickle") == 1
    strata = paired.analyse_strata(second_chapter)
    assert strata.hidden_by_arms == paired.analyse_strata(first_chapter).hidden_by_arms
    assert strata == paired.analyse_strata(load_cohort(DEFAULT_COHORT))  # the same as without a build


def test_a_cohort_outside_a_build_or_replaced_keeps_its_results_to_itself(snapshot, monkeypatch):
    calls = []
    real = dose._analyse_dose
    monkeypatch.setattr(dose, "_analyse_dose", lambda c: calls.append(1) or real(c))
    dose.analyse_dose(load_cohort(DEFAULT_COHORT))
    dose.analyse_dose(load_cohort(DEFAULT_COHORT))
    chapter = load_snapshot(snapshot)
    severe = dataclasses.replace(chapter, frame=chapter.frame[chapter.frame["stratum"] == "severe"])
    assert dose.analyse_dose(severe).n_with_dose < dose.analyse_dose(chapter).n_with_dose  # one arm, one stratum...
    assert len(calls) == 4 and [p.name for p in (snapshot / SHARED_DIR).glob("*/*")] == ["analyse_dose.pickle"]


def test_the_warnings_of_a_shared_analysis_are_given_in_every_chapter(tmp_path):
    def compute():
        for _ in range(3):  # the same warning from one place: shown once, as Python's default filter does
            warnings.warn("few patients in one group", RuntimeWarning)
        return 42

    for _chapter in range(2):  # the first computes, the second loads: both give the warning once
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            assert shared_result(tmp_path, "k", compute) == 42
        assert [(str(w.message), w.category) for w in caught] == [("few patients in one group", RuntimeWarning)]


def test_a_snapshot_written_again_never_serves_the_results_of_the_one_before(tmp_path):
    """Reviewer's finding: the same folder, another cohort (other parameters), must not find the
    first cohort's strata."""
    from mscreport.inputs.params import resolve_params

    folder = tmp_path / "snapshot"
    save_snapshot(load_cohort(DEFAULT_COHORT), folder)
    first = paired.analyse_strata(load_snapshot(folder))
    other = load_cohort(DEFAULT_COHORT, resolve_params(values={"severe_above": 10.0}))
    save_snapshot(other, folder)
    served = paired.analyse_strata(load_snapshot(folder))
    assert served == paired.analyse_strata(other) and served["severe"].n != first["severe"].n
    assert len(list((folder / SHARED_DIR).iterdir())) == 1  # the first snapshot's results were removed


def _warns():
    warnings.warn("few patients in one group", RuntimeWarning)


def test_a_replayed_warning_counts_as_shown_in_its_module(tmp_path):
    """Python's default filter shows a warning once per place: after the replay, the same warning
    from the same place is not shown again, as after the computation itself."""
    def compute():
        _warns()
        return 1

    for _chapter in range(2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.resetwarnings()
            warnings.simplefilter("default")
            globals().pop("__warningregistry__", None)
            shared_result(tmp_path, "w", compute)
            _warns()  # the chapter's own later call from the same place
        assert len(caught) == 1, [str(w.message) for w in caught]


def _ask_shared(folder: str, log: str) -> int:
    """A chapter's process asking for a shared result that takes a while to compute."""
    import time
    from pathlib import Path

    def compute():
        with open(log, "a") as fh:
            fh.write("computed\n")
        time.sleep(1.0)
        return 42

    return shared_result(Path(folder), "slow", compute)


def test_two_chapters_asking_at_once_compute_it_once(tmp_path):
    """Issue 25: at 1e7 rows chapters 3 and 7 both fitted the MMRM at once (7.7 and 7.3 GiB).
    A lock per result: the second waits for the first, then loads what it wrote."""
    import multiprocessing

    log = tmp_path / "log.txt"
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        got = pool.starmap(_ask_shared, [(str(tmp_path), str(log)), (str(tmp_path), str(log))])
    assert got == [42, 42]
    assert log.read_text().count("computed") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.txt", "slow.pickle"]  # no lock file left
