"""Display formats (issue: HbA1c with 2 decimals in both units, p < 0.001 or 3 significant
digits, intervals as [low, high]). Expected strings are written by hand from the rules."""

from mscreport.display import fmt


def test_hba1c_in_both_units():
    assert fmt.fmt_hba1c(7.0) == "7.00 % (53 mmol/mol)"  # (7 - 2.15) / 0.0915 = 53.005: whole mmol/mol
    assert fmt.fmt_hba1c(7.49) == "7.49 % (58 mmol/mol)"  # 5.34 / 0.0915 = 58.36
    assert fmt.fmt_hba1c(None) == "n/a"


def test_change_is_in_percent_points_with_its_sign():
    assert fmt.fmt_change(-1.0) == "\u22121.00 % points (\u221210.9 mmol/mol)"  # slope only: 1 / 0.0915 = 10.93
    assert fmt.fmt_change(-0.79) == "\u22120.79 % points (\u22128.6 mmol/mol)"  # 0.79 / 0.0915 = 8.63


def test_proportions_as_percent():
    assert fmt.fmt_percent(0.0) == "0.0 %"
    assert fmt.fmt_percent(40 / 61) == "65.6 %"
    assert fmt.fmt_percent_ci(0.0, 0.0586812) == "[0.0, 5.9] %"
    assert fmt.fmt_percent(None) == "n/a"


def test_p_values():
    assert fmt.fmt_p(0.0004) == "p < 0.001"
    assert fmt.fmt_p(0.0122) == "p = 0.0122"
    assert fmt.fmt_p(0.3) == "p = 0.300"
    assert fmt.fmt_pvalue(0.92572) == "0.926"
    assert fmt.fmt_p(None) == "p not computed"


def test_interval_and_escaping():
    assert fmt.fmt_ci(-1.052, -0.521) == "[\u22121.05, \u22120.52]"
    assert fmt.escape("<script>") == "&lt;script&gt;"


def test_small_groups_are_suppressed():
    assert fmt.too_small(1) and fmt.too_small(2)
    assert not fmt.too_small(3) and not fmt.too_small(0) and not fmt.too_small(None)
