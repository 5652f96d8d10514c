"""CDISC ADaM BDS (an ADLB) read into the project's long frame (see ``field_files``).

Files: SAS transport (``.xpt``, version 5 or 8) and ``.sas7bdat`` read by pyreadstat; CSV and
Parquet by ``readers`` (recognised by the columns ``USUBJID``, ``PARAMCD`` and ``AVAL``, in any
case). Rules (interface.md, "The field's own files" and its clarifications):

* HbA1c rows: ``PARAMCD`` in ``HBA1C_CODES`` or ``-p paramcd=CODE``; two HbA1c codes in the
  file without ``-p paramcd`` is an error listing them. Rows of other parameters are not
  excluded: their count is one note.
* Rows with a non-empty ``DTYPE`` (derived records: LOV, MINIMUM, AVERAGE ...) are left out
  and counted (one note).
* Unit per row: ``AVALU`` when present and non-empty, else the unit in ``PARAM``'s last
  parentheses: ``%``; ``mmol/mol`` (IFCC, converted with the master equation); ``1`` or
  ``fraction`` (an NGSP fraction: x 100). Any other unit is an error naming the row.
* Time (days since the first day of treatment): ``ADY`` - 1 for ``ADY`` >= 1, ``ADY`` for
  ``ADY`` < 0, 0 for ``ADY`` = 0 (study days have no day 0). ``ADY`` missing: ``ADT`` -
  ``TRTSDT`` days when both dates exist (the day the ADY formula ADT - TRTSDT + 1 converts
  to, and CDISC's ADY before TRTSDT), else the row is excluded with its reason.
* Baseline: the row with ``ABLFL`` = "Y" when the file has an ``ABLFL`` column (several for
  one patient: an error naming them; none: the patient is excluded with that reason); without
  the column, the baseline-window rule of long files.
* Arm: ``TRT01P`` (planned: intention to treat) or ``-p arm_variable=TRT01A|TRTP|TRTA|ARM``;
  empty, "Screen Failure" or "Not Assigned" excludes the patient with its reason. A file
  without the arm variable is a single-arm study (unless ``arm_variable`` was set).
* ``SEX``, ``AGE`` -> ``sex``, ``age_years``. ``-p adsl_path=FILE`` (``--adsl FILE``) takes
  the arm variable, ``SEX``, ``AGE`` and ``TRTSDT`` from the ADSL by ``USUBJID`` instead.

Row numbers (``FILE:ROW:COLUMN``, ``data.excluded[].row``): the 1-based row of the file.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from mscreport.core.errors import InputError, Problem
from mscreport.core.hashing import file_sha256
from mscreport.core.units import ifcc_to_ngsp
from mscreport.inputs.field_data import FieldData, file_head, note
from mscreport.inputs.readers import read_cohort_file

HBA1C_CODES = ("HBA1C", "HBA1CHGB", "A1C", "HGBA1C")
ARM_VARIABLES = ("TRT01P", "TRT01A", "TRTP", "TRTA", "ARM")
NOT_ASSIGNED = ("", "SCREEN FAILURE", "NOT ASSIGNED")  # upper case: the patient is excluded
ADSL_COLUMNS = ("SEX", "AGE", "TRTSDT")  # with the arm variable, taken from --adsl when given
UNITS = {"%": "percent", "percent": "percent", "mmol/mol": "mmol_mol", "1": "fraction", "fraction": "fraction"}
SAS_EPOCH = pd.Timestamp("1960-01-01")
_XPT_MAGIC = b"HEADER RECORD*******LIB"
_SAS7BDAT_MAGIC = bytes.fromhex("000000000000000000000000c2ea8160b31411cfbd92080009c7318c181f1011")
MAX_LISTED = 20


def is_sas_file(path) -> bool:
    """A SAS transport or SAS7BDAT file, by its first bytes (else by its suffix)."""
    p = Path(str(path))
    head = file_head(p, 32)  # b"" for a FIFO, a device or a missing file: readers refuses those
    return head.startswith(_XPT_MAGIC) or head.startswith(_SAS7BDAT_MAGIC) or (
        p.suffix.lower() in (".xpt", ".sas7bdat") and bool(head))


def is_adam_columns(columns) -> bool:
    """Whether a table's columns say ADaM BDS: ``USUBJID``, ``PARAMCD`` and ``AVAL`` (any case)."""
    have = {str(c).strip().lower() for c in columns}
    return {"usubjid", "paramcd", "aval"} <= have


def read_sas_table(path, name: str) -> pd.DataFrame:
    """A ``.xpt`` or ``.sas7bdat`` file as a DataFrame: upper-case column names, index ``row``
    = 1-based rows of the file. InputError (naming the file) when it cannot be read."""
    import pyreadstat

    p = Path(str(path))
    try:
        with open(p, "rb") as fh:
            head = fh.read(32)
    except OSError as exc:
        raise InputError([Problem(name, None, None, f"cannot open the file ({exc.strerror or exc})")]) from None
    try:
        if head.startswith(_SAS7BDAT_MAGIC) or (p.suffix.lower() == ".sas7bdat" and not head.startswith(_XPT_MAGIC)):
            frame, _ = pyreadstat.read_sas7bdat(str(p))
        else:
            frame, _ = pyreadstat.read_xport(str(p))
    except Exception as exc:  # pyreadstat's own errors
        raise InputError([Problem(name, None, None, f"cannot read this file as a SAS dataset ({exc}): "
                                                    "give a SAS transport (.xpt), .sas7bdat, CSV or Parquet file")]) from None
    return _numbered(frame)


def _numbered(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.rename(columns=lambda c: str(c).strip().upper())
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="row")
    return frame


def _from_raw(raw) -> pd.DataFrame:
    """A CSV / Parquet ADaM table as read by ``readers``: its own headers, upper case."""
    frame = raw.frame.copy()
    frame.columns = [str(raw.header_of(c)).strip().upper() for c in frame.columns]
    frame.index = frame.index.rename("row")
    return frame


def read_any_table(path, name: str) -> pd.DataFrame:
    """An ADaM dataset (ADLB or ADSL) from any of the accepted file types, upper-case columns."""
    if is_sas_file(path):
        return read_sas_table(path, name)
    return _from_raw(read_cohort_file(path))


def _text(series: pd.Series) -> pd.Series:
    """Cells as stripped text, '' where missing (bytes decoded as UTF-8, else Latin-1)."""
    def one(v) -> str:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT:
            return ""
        if isinstance(v, bytes):
            try:
                v = v.decode("utf-8")
            except UnicodeDecodeError:
                v = v.decode("latin-1")
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip()
    return series.map(one).astype(object)


def _numbers(series: pd.Series, name: str, column: str) -> tuple[np.ndarray, list[Problem]]:
    """Numeric cells (text parsed; '' -> NaN); a Problem per cell that is not a number."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.astype("float64").to_numpy(), []
    text = _text(series)
    values = pd.to_numeric(text.replace("", np.nan), errors="coerce").astype("float64")
    bad = (text != "") & values.isna()
    problems = [Problem(name, int(r), column, f"not a number: {t!r}") for r, t in text[bad].items()]
    return values.to_numpy(), problems[:MAX_LISTED]


def _dates(series: pd.Series, name: str, column: str) -> tuple[pd.Series, list[Problem]]:
    """Dates from datetime cells, SAS date numbers (days since 1960-01-01) or ISO text."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return pd.to_datetime(series).dt.normalize(), []
    if pd.api.types.is_numeric_dtype(series):
        return SAS_EPOCH + pd.to_timedelta(series.astype("float64"), unit="D"), []
    values = series.map(lambda v: pd.Timestamp(v) if hasattr(v, "year") else v)
    if all(isinstance(v, pd.Timestamp) or pd.isna(v) for v in values):
        return pd.to_datetime(values).dt.normalize(), []
    text = _text(series)
    dates = pd.to_datetime(text.str.slice(0, 10).where(text != ""), format="%Y-%m-%d", errors="coerce")
    bad = (text != "") & dates.isna()
    problems = [Problem(name, int(r), column, f"not a date (YYYY-MM-DD or a SAS date): {t!r}")
                for r, t in text[bad].items()]
    return dates, problems[:MAX_LISTED]


def select_paramcd(codes: pd.Series, params: dict, name: str) -> str:
    """The HbA1c PARAMCD: ``-p paramcd`` when given (it must be in the file), else the one of
    ``HBA1C_CODES`` the file has; none or several is an InputError listing the codes."""
    present = sorted(set(codes.unique()) - {""})
    wanted = str(params.get("paramcd", "auto") or "auto").strip()
    if wanted.lower() != "auto":
        if wanted.upper() not in present:
            raise InputError([Problem(name, None, "PARAMCD", f"paramcd={wanted!r}: no row has this PARAMCD; the file "
                                                             f"has {_listing(present)}")])
        return wanted.upper()
    found = [c for c in present if c in HBA1C_CODES]
    if not found:
        raise InputError([Problem(name, None, "PARAMCD", "no HbA1c parameter (PARAMCD " + ", ".join(HBA1C_CODES)
                                  + f"); the file has {_listing(present)}: choose one with -p paramcd=CODE")])
    if len(found) > 1:
        raise InputError([Problem(name, None, "PARAMCD", f"two HbA1c parameters in the file ({', '.join(found)}): "
                                                         f"choose one with -p paramcd={found[0]}")])
    return found[0]


def _listing(codes: list[str]) -> str:
    shown = ", ".join(codes[:30]) + (" ..." if len(codes) > 30 else "")
    return f"PARAMCD {shown}" if codes else "no PARAMCD value"


def unit_of(unit_text: str) -> str | None:
    """'percent', 'mmol_mol' or 'fraction' for a unit as ADaM writes it (None: not known)."""
    return UNITS.get(re.sub(r"\s+", "", unit_text).lower())


def param_unit(param: str) -> str:
    """The unit in a PARAM label's last parentheses ('Hemoglobin A1C (1)' -> '1'), or ''."""
    found = re.findall(r"\(([^()]*)\)", param)
    return found[-1].strip() if found else ""


def hba1c_percent(frame: pd.DataFrame, name: str) -> tuple[np.ndarray, list[Problem]]:
    """AVAL in NGSP %, row by row from its unit (AVALU, else PARAM's parentheses)."""
    aval, problems = _numbers(frame["AVAL"], name, "AVAL")
    avalu = _text(frame["AVALU"]) if "AVALU" in frame.columns else pd.Series("", index=frame.index, dtype=object)
    from_param = _text(frame["PARAM"]).map(param_unit) if "PARAM" in frame.columns else pd.Series("", index=frame.index)
    unit_text = avalu.where(avalu != "", from_param)
    column = np.where(avalu != "", "AVALU", "PARAM")
    units = unit_text.map(unit_of)
    for i, (r, u) in enumerate(units.items()):
        if u is None:
            given = unit_text.loc[r]
            problems.append(Problem(name, int(r), str(column[i]),
                                    f"HbA1c unit {given!r} not known: give AVALU as %, mmol/mol or 1 (an NGSP fraction)"
                                    if given else "no HbA1c unit: give AVALU (%, mmol/mol or 1), or the unit in "
                                                  "PARAM's parentheses, e.g. 'HbA1c (%)'"))
            if len(problems) >= MAX_LISTED:
                break
    u = units.to_numpy(dtype=object)
    out = np.where(u == "fraction", aval * 100.0, np.where(u == "mmol_mol", ifcc_to_ngsp(aval), aval))
    return out.astype("float64"), problems


def study_days(frame: pd.DataFrame, name: str) -> tuple[np.ndarray, list[Problem]]:
    """Days since the first day of treatment (NaN where neither ADY nor ADT and TRTSDT give it)."""
    problems: list[Problem] = []
    days = np.full(len(frame), np.nan)
    if "ADY" in frame.columns:
        ady, problems = _numbers(frame["ADY"], name, "ADY")
        days = np.where(ady >= 1, ady - 1, ady)  # no day 0: day 1 is the first day of treatment; ADY 0 -> 0
    if "ADT" in frame.columns and "TRTSDT" in frame.columns:
        adt, p1 = _dates(frame["ADT"], name, "ADT")
        start, p2 = _dates(frame["TRTSDT"], name, "TRTSDT")
        problems += p1 + p2
        derived = ((adt - start).dt.days).to_numpy(dtype="float64")
        days = np.where(np.isnan(days), derived, days)
    return days, problems


def join_adsl(adlb: pd.DataFrame, adsl_path: str, arm_variable: str, name: str) -> pd.DataFrame:
    """The ADLB with the arm variable, SEX, AGE and TRTSDT taken from the ADSL by USUBJID
    (columns of those names in the ADLB are replaced)."""
    shown = Path(adsl_path).name
    adsl = read_any_table(adsl_path, adsl_path)
    if "USUBJID" not in adsl.columns:
        raise InputError([Problem(adsl_path, None, "USUBJID", "the ADSL (--adsl) has no USUBJID column")])
    ids = _text(adsl["USUBJID"])
    dup = ids.duplicated(keep="first") & (ids != "")
    if dup.any():
        raise InputError([Problem(adsl_path, int(r), "USUBJID", f"USUBJID {i!r} appears twice in the ADSL")
                          for r, i in ids[dup].items()][:MAX_LISTED])
    taken = [c for c in (arm_variable, *ADSL_COLUMNS) if c in adsl.columns]
    subject = adsl[taken].set_axis(ids.to_numpy(), axis=0)
    subject = subject[~subject.index.duplicated()]
    out = adlb.drop(columns=[c for c in taken if c in adlb.columns])
    keys = _text(out["USUBJID"]).to_numpy()
    for c in taken:
        out[c] = subject[c].reindex(keys).to_numpy()
    out.attrs["adsl_missing"] = ~pd.Index(keys).isin(subject.index)
    out.attrs["adsl_name"] = shown
    return out


def read_adam(path, params: dict, raw=None) -> FieldData:
    """An ADaM BDS file (``raw``: the table ``readers`` read, for CSV and Parquet) as the long
    frame, with the rows left out, the exclusions and the notes (see the module's rules)."""
    name = str(path)
    frame = _from_raw(raw) if raw is not None else read_sas_table(path, name)
    sha256 = raw.sha256 if raw is not None else file_sha256(path)
    if not is_adam_columns(frame.columns):
        raise InputError([Problem(name, None, None, "not an ADaM BDS dataset: USUBJID, PARAMCD and AVAL are needed")])
    arm_variable = str(params.get("arm_variable", "TRT01P")).upper()
    if params.get("adsl_path") not in (None, "", "none"):
        frame = join_adsl(frame, params["adsl_path"], arm_variable, name)
    codes = _text(frame["PARAMCD"]).str.upper()
    code = select_paramcd(codes, params, name)
    notes: list[Problem] = []
    others = codes != code
    if others.any():
        kinds = sorted(set(codes[others]) - {""})
        notes.append(note(name, "PARAMCD", f"{int(others.sum())} rows of {len(kinds)} other parameters "
                                           f"({', '.join(kinds[:10])}{' ...' if len(kinds) > 10 else ''}) are not HbA1c "
                                           f"(PARAMCD {code}): not used"))
    adsl_missing = frame.attrs.get("adsl_missing")
    adsl_name = frame.attrs.get("adsl_name")
    if adsl_missing is not None:
        adsl_missing = pd.Series(adsl_missing, index=frame.index)[~others]
    frame = frame[~others]
    if "DTYPE" in frame.columns:
        derived = (_text(frame["DTYPE"]) != "")
        if derived.any():
            kinds = sorted(set(_text(frame["DTYPE"])[derived]))
            notes.append(note(name, "DTYPE", f"{int(derived.sum())} derived HbA1c records (DTYPE {', '.join(kinds)}) "
                                             "left out: only collected records are analysed"))
            frame = frame[~derived]
            if adsl_missing is not None:
                adsl_missing = adsl_missing[~derived]
    problems: list[Problem] = []
    hba1c, probs = hba1c_percent(frame, name)
    problems += probs
    days, probs = study_days(frame, name)
    problems += probs
    ids = _text(frame["USUBJID"])
    empty = ids == ""
    problems += [Problem(name, int(r), "USUBJID", "empty USUBJID: every record needs the subject's id")
                 for r in ids[empty].index][:MAX_LISTED]
    out = pd.DataFrame({"patient_id": ids.to_numpy(dtype=object), "hba1c": hba1c, "days": days}, index=frame.index)
    if "ABLFL" in frame.columns:
        flag = _text(frame["ABLFL"]).str.upper() == "Y"
        out["baseline_flag"] = flag.to_numpy()
        problems += several_baselines(ids[flag], name)
    arm_given = arm_variable in frame.columns
    if str(params.get("arm_variable", "TRT01P")).upper() != "TRT01P" and not arm_given:
        problems.append(Problem(name, None, arm_variable, f"arm_variable={arm_variable}: the file has no column "
                                                          f"{arm_variable}"))
    if arm_given:
        out["arm"] = _text(frame[arm_variable]).to_numpy(dtype=object)
    if "SEX" in frame.columns:
        out["sex"] = _text(frame["SEX"]).to_numpy(dtype=object)
    if "AGE" in frame.columns:
        out["age_years"] = _text(frame["AGE"]).to_numpy(dtype=object)
    if problems:
        problems.sort(key=lambda p: (p.row is None, p.row or 0))
        raise InputError(problems)
    excluded: list[tuple[int, str, str]] = []
    drop = np.zeros(len(out), dtype=bool)
    if adsl_missing is not None:  # subjects the ADSL does not list: no arm to analyse them in
        miss = adsl_missing.to_numpy()
        for pid in pd.unique(out["patient_id"][miss]):
            rows = out.index[(out["patient_id"] == pid).to_numpy()]
            excluded.append((int(rows.min()), f"ADSL {adsl_name}: USUBJID not in the ADSL (no arm)", ""))
        drop |= miss
    if arm_given:
        arms = out["arm"].astype(str)
        unassigned = arms.str.upper().isin(NOT_ASSIGNED).to_numpy() & ~drop
        for pid in pd.unique(out["patient_id"][unassigned]):
            rows = out.index[(out["patient_id"] == pid).to_numpy()]
            value = out.loc[rows[0], "arm"]
            why = f"{arm_variable} empty (no planned arm)" if not value else f"{arm_variable} is {value!r} (not randomised)"
            excluded.append((int(rows.min()), f"ADLB: {why}", ""))  # in no arm: not a row of the per-arm flow
        drop |= out["patient_id"].isin(set(out["patient_id"][unassigned])).to_numpy()
    no_time = np.isnan(out["days"].to_numpy()) & ~drop
    for r in out.index[no_time]:
        excluded.append((int(r), "ADLB: no ADY, and no ADT and TRTSDT to derive the study day", 
                         str(out.at[r, "arm"]) if arm_given else ""))
    drop |= no_time
    out = out[~drop]
    if out.empty:
        raise InputError([Problem(name, None, None, f"no HbA1c record (PARAMCD {code}) left to analyse: "
                                  + "; ".join(sorted({e[1] for e in excluded})[:5]))])
    visits = visit_table(frame.loc[out.index])
    headers = {"patient_id": "USUBJID", "hba1c": "AVAL", "days": "ADY", "arm": arm_variable, "sex": "SEX",
               "age_years": "AGE", "baseline_flag": "ABLFL"}
    return FieldData(layout="adam", shown=name, name=name, frame=out, sha256=sha256, excluded=tuple(excluded),
                     notes=tuple(notes), headers={k: v for k, v in headers.items() if k in out.columns}, table="ADLB",
                     visits=visits)


def visit_table(frame: pd.DataFrame) -> pd.DataFrame | None:
    """The nominal visit of each collected HbA1c record (interface.md, Clarifications, "MMRM"):
    ``visit_number`` (``AVISITN``, a number; NaN where empty) and ``visit_label`` (``AVISIT`` as
    written, else "visit N"), indexed by the file's row; None without ``AVISITN``. The MMRM
    uses the post-baseline ones (``mmrm.adam_visit_rows``)."""
    if "AVISITN" not in frame.columns:
        return None
    numbers = pd.to_numeric(frame["AVISITN"], errors="coerce").astype(float)
    labels = _text(frame["AVISIT"]) if "AVISIT" in frame.columns else pd.Series("", index=frame.index)
    labels = labels.where(labels != "", numbers.map(lambda v: "" if pd.isna(v) else f"visit {v:g}"))
    return pd.DataFrame({"visit_number": numbers.to_numpy(), "visit_label": labels.to_numpy(dtype=object)},
                        index=pd.Index(frame.index.to_numpy(dtype="int64"), name="row"))


def several_baselines(flagged_ids: pd.Series, name: str) -> list[Problem]:
    """A Problem for each patient with more than one ABLFL = "Y" HbA1c record (naming the rows)."""
    problems = []
    dup = flagged_ids[flagged_ids.duplicated(keep=False)]
    for pid, rows in dup.groupby(dup, sort=False).groups.items():
        listed = ", ".join(str(int(r)) for r in rows)
        problems.append(Problem(name, int(min(rows)), "ABLFL", f"USUBJID {pid!r} has {len(rows)} baseline records "
                                                               f"(ABLFL = \"Y\" in rows {listed}): keep one"))
    return problems[:MAX_LISTED]
