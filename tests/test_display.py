"""Display formats (issue: HbA1c with 2 decimals in both units, p < 0.001 or 3 significant
digits, intervals as [low, high]). Expected strings are written by hand from the rules."""

from mscreport import display as fmt


def test_hba1c_in_both_units():
    assert fmt.fmt_hba1c(7.0) == "7.00 % (53.01 mmol/mol)"  # 10.93 * 7 - 23.5 = 53.01
    assert fmt.fmt_hba1c(None) == "n/a"


def test_change_is_in_percent_points_with_its_sign():
    assert fmt.fmt_change(-1.0) == "\u22121.00 % points (\u221210.93 mmol/mol)"  # slope only


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
