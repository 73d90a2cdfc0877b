"""Tests of the curated tables, their validating loaders, the time helpers and the builder."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.core.errors import ForecastError
from forecast.core.timeutil import decimal_year, from_decimal_year, quarter_end
from forecast.data import tables
from forecast.data.tables import (
    COUNTRIES,
    TABLES,
    VINTAGE,
    DataIssue,
    DataValidationError,
    cell_text,
    check,
    cli_check,
    data_hash,
    load_all,
    load_table,
    validate_file,
    validate_rows,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"

MODEL_ROW = {
    "model": "Test-1",
    "date": "2024-05-01",
    "organization": "Acme Labs",
    "country": "US",
    "training_flop": "1e24",
    "confidence": "Likely",
    "domain": "Language",
    "notable": "true",
    "large_scale": "true",
    "frontier": "false",
    "source": "Own notes",
    "source_url": "https://example.org/notes",
}
STOCK_ROW = {
    "quarter": "2021Q4",
    "date": "2021-12-31",
    "holder": "google",
    "country": "US",
    "h100e": "1000",
    "uncertainty": "guess",
    "source": "Own notes",
    "source_url": "https://example.org/notes",
}
METR_ROW = {
    "model": "Test-1",
    "date": "2024-05-01",
    "country": "CN",
    "suite": "v1.1",
    "p50_minutes": "10",
    "p50_low": "5",
    "p50_high": "20",
    "p80_minutes": "",
    "p80_low": "",
    "p80_high": "",
    "source": "Own notes",
    "source_url": "https://example.org/notes",
}
ESTIMATE_ROW = {
    "key": "my_estimate",
    "quantity": "something per year",
    "central": "2",
    "low": "1",
    "high": "3",
    "interval_prob": "0.9",
    "unit": "x per year",
    "published": "2025-01-01",
    "source": "Own notes",
    "source_url": "https://example.org/notes",
}


def write_csv(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> Path:
    """Write rows as a CSV file (header from the first row unless given)."""
    columns = header if header is not None else list(rows[0])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row[c] for c in columns])
    return path


def with_(row: dict[str, str], **changes: str) -> dict[str, str]:
    return {**row, **changes}


def issue_texts(paths: list[Path]) -> list[str]:
    return [str(i) for i in check(paths).issues]


# --------------------------------------------------------------------------------------------
# Bundled data
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled() -> dict[str, pd.DataFrame]:
    return load_all()


def test_bundled_row_counts(bundled: dict[str, pd.DataFrame]) -> None:
    counts = {name: len(frame) for name, frame in bundled.items()}
    assert counts["models"] >= 300
    assert counts["compute_stock"] == 16 * 13
    assert counts["capability_eci"] == 116
    assert counts["capability_metr"] == 50
    assert counts["hardware"] >= 90
    assert counts["estimates"] >= 13
    assert counts["export_controls"] >= 15
    assert check().row_counts == counts


def test_bundled_columns_and_dtypes(bundled: dict[str, pd.DataFrame]) -> None:
    for name, frame in bundled.items():
        schema = TABLES[name]
        assert tuple(frame.columns) == schema.column_names
        for col in schema.columns:
            dtype = frame[col.name].dtype
            if col.kind == "string":
                assert isinstance(dtype, pd.StringDtype), (name, col.name)
            elif col.kind == "float":
                assert dtype == np.float64, (name, col.name)
            elif col.kind == "bool":
                assert isinstance(dtype, pd.BooleanDtype), (name, col.name)
            elif col.kind == "date":
                assert dtype == np.dtype("datetime64[s]"), (name, col.name)


def test_bundled_countries(bundled: dict[str, pd.DataFrame]) -> None:
    for name in ("models", "capability_eci", "capability_metr"):
        assert set(bundled[name]["country"]) == set(COUNTRIES), name
    assert set(bundled["compute_stock"]["country"]) == {"US", "CN", "OTHER"}
    metr = bundled["capability_metr"]
    assert set(metr.loc[metr["country"] == "CN", "suite"]) == {"v1.0"}


def test_bundled_vintage_and_keys(bundled: dict[str, pd.DataFrame]) -> None:
    for name, frame in bundled.items():
        schema = TABLES[name]
        if schema.observation:
            assert frame[schema.date_column].max() <= VINTAGE, name
        assert not frame.duplicated(list(schema.key)).any(), name
        assert frame["source"].str.len().min() > 0
        assert frame["source_url"].str.startswith("https://").all()


def test_bundled_compute_stock_is_a_full_panel(bundled: dict[str, pd.DataFrame]) -> None:
    stock = bundled["compute_stock"]
    assert stock["quarter"].nunique() == 16
    assert (stock.groupby("quarter").size() == 13).all()
    q4 = stock[stock["quarter"] == "2025Q4"].set_index("holder")["h100e"]
    china = q4[["china_nvidia", "china_huawei", "china_cambricon", "china_amd"]].sum()
    assert china == 1_155_114  # Epoch's China legal total for 2025Q4
    assert q4.sum() == 20_926_382  # world total
    smuggled = stock[stock["holder"] == "china_smuggled"]["uncertainty"]
    assert smuggled.str.contains("speculative").all()


def test_bundled_eci_one_row_per_model(bundled: dict[str, pd.DataFrame]) -> None:
    eci = bundled["capability_eci"]
    assert eci["model"].is_unique
    assert not eci["model"].str.contains(r"^\s|\s$").any()
    assert eci["training_flop"].notna().sum() == 73
    assert (eci.loc[eci["training_flop"].isna(), "confidence"] == "Unknown").all()


def test_bundled_estimates_intervals(bundled: dict[str, pd.DataFrame]) -> None:
    est = bundled["estimates"].set_index("key")
    algo = est.loc["algo_progress_pretraining_halving_months"]
    assert (algo["central"], algo["low"], algo["high"], algo["interval_prob"]) == (8, 5, 14, 0.95)
    assert est.loc["metr_horizon_doubling_days_from_2023_v1_1", "central"] == 130.8
    assert est["interval_prob"].dropna().between(0, 1, inclusive="neither").all()


def test_load_table_matches_load_all(bundled: dict[str, pd.DataFrame]) -> None:
    pd.testing.assert_frame_equal(load_table("hardware"), bundled["hardware"])
    with pytest.raises(KeyError):
        load_table("nope")


def test_cli_check_bundled_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_check([], as_json=True) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is True
    assert payload["issues"] == []
    assert set(payload["row_counts"]) == set(TABLES)
    assert cli_check([], as_json=False) == 0
    assert "ok: no issues" in capsys.readouterr().out


# --------------------------------------------------------------------------------------------
# Malformed data: each case asserts the exact issue text
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("training_flop", "-3", "must be > 0"),
        ("training_flop", "0", "must be > 0"),
        ("training_flop", "abc", "must be a number"),
        ("training_flop", "nan", "must be a number"),
        ("training_flop", "1e400", "must be a finite number"),
        ("country", "FR", "must be one of: US, CN"),
        ("country", " US", "must not have leading or trailing whitespace"),
        ("organization", "", "required value is missing"),
        ("date", "2024-13-01", "must be a date YYYY-MM-DD"),
        ("date", "01/05/2024", "must be a date YYYY-MM-DD"),
        ("date", "2999-01-01", "must not be in the future"),
        ("notable", "yes", "must be true or false"),
        ("confidence", "Sure", "must be one of: Confident, Likely, Speculative, Unknown"),
        ("source_url", "example.org", "must be an http(s) URL"),
    ],
)
def test_bad_model_cell(tmp_path: Path, column: str, value: str, rule: str) -> None:
    path = write_csv(
        tmp_path / "new.csv", [MODEL_ROW, with_(MODEL_ROW, model="T2", **{column: value})]
    )
    assert issue_texts([path]) == [
        f"{path}:3: column {column}: value {value!r} violates rule {rule!r}"
    ]


def test_duplicate_key_in_one_file_names_both_lines(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "dup.csv", [MODEL_ROW, with_(MODEL_ROW, model="T2"), MODEL_ROW])
    rule = "duplicate key (model); first seen on line 2"
    assert issue_texts([path]) == [f"{path}:4: column model: value 'Test-1' violates rule {rule!r}"]


def test_duplicate_key_against_bundled_names_both_files(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "dup.csv", [with_(MODEL_ROW, model="GPT-4 (Mar 2023)")])
    rule = "duplicate key (model); first seen on forecast/data/models.csv:143"
    expected = f"{path}:2: column model: value 'GPT-4 (Mar 2023)' violates rule {rule!r}"
    assert issue_texts([path]) == [expected]


def test_header_matching_no_table(tmp_path: Path) -> None:
    row = {k: v for k, v in MODEL_ROW.items() if k != "domain"} | {"colour": "red"}
    path = write_csv(tmp_path / "odd.csv", [row])
    header = ",".join(row)
    names = ", ".join(TABLES)
    assert issue_texts([path]) == [
        f"{path}:1: column -: value {header!r} violates rule "
        f"'header matches no table; expected the columns of one of: {names}'",
        f"{path}:1: column colour: value 'colour' violates rule 'unknown column for table models'",
        f"{path}:1: column domain: value '' violates rule 'missing column for table models'",
    ]


def test_missing_file_is_an_issue(tmp_path: Path) -> None:
    path = tmp_path / "absent.csv"
    expected = f"{path}:0: column -: value {str(path)!r} violates rule 'file not found'"
    assert issue_texts([path]) == [expected]


def test_wrong_field_count(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text(",".join(MODEL_ROW) + "\n" + "a,2024-01-01,b\n", encoding="utf-8")
    rule = "row has 3 fields; the header has 12"
    assert issue_texts([path]) == [
        f"{path}:2: column -: value 'a,2024-01-01,b' violates rule {rule!r}"
    ]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(",".join(MODEL_ROW).encode() + b"\n\xe9t\xe9\n")
    [issue] = check([path]).issues
    assert (issue.file, issue.line, issue.column) == (str(path), 0, "")
    assert issue.rule.startswith("file is not UTF-8 text")


def test_line_numbers_are_physical_lines(tmp_path: Path) -> None:
    # A quoted field spanning two lines shifts the physical line of the next record.
    path = write_csv(
        tmp_path / "multi.csv",
        [
            with_(MODEL_ROW, organization="Acme\nLabs"),
            with_(MODEL_ROW, model="T2", training_flop="-1"),
        ],
    )
    assert issue_texts([path]) == [
        f"{path}:4: column training_flop: value '-1' violates rule 'must be > 0'"
    ]


def test_metr_interval_order(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "metr.csv", [with_(METR_ROW, p50_low="12")])
    expected = f"{path}:2: column p50_low: value '12' violates rule 'must be <= p50_minutes'"
    assert issue_texts([path]) == [expected]


def test_metr_p80_needs_interval(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "metr.csv", [with_(METR_ROW, p80_minutes="2", p80_low="1")])
    rule = "required when p80_minutes is given"
    assert issue_texts([path]) == [f"{path}:2: column p80_high: value '' violates rule {rule!r}"]


def test_compute_stock_quarter_date_and_holder_country(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "stock.csv",
        [with_(STOCK_ROW, date="2021-12-30"), with_(STOCK_ROW, holder="meta", country="CN")],
    )
    assert issue_texts([path]) == [
        f"{path}:2: column date: value '2021-12-30' violates rule "
        "'must be the last day of 2021Q4 (2021-12-31)'",
        f"{path}:3: column country: value 'CN' violates rule 'must be US when holder is meta'",
    ]


def test_compute_stock_quarter_label_and_negative_stock(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "stock.csv", [with_(STOCK_ROW, quarter="2021-Q4", h100e="-5")])
    assert issue_texts([path]) == [
        f"{path}:2: column quarter: value '2021-Q4' violates rule 'must look like 2022Q1'",
        f"{path}:2: column h100e: value '-5' violates rule 'must be >= 0'",
    ]


def test_estimate_interval_prob_rules(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "est.csv",
        [
            with_(ESTIMATE_ROW, interval_prob="1.5"),
            with_(ESTIMATE_ROW, key="other_one", high=""),
            with_(ESTIMATE_ROW, key="Bad Key"),
        ],
    )
    assert issue_texts([path]) == [
        f"{path}:2: column interval_prob: value '1.5' violates rule 'must be < 1'",
        f"{path}:3: column high: value '' violates rule 'required when interval_prob is given'",
        f"{path}:4: column key: value 'Bad Key' violates rule 'must be snake_case'",
    ]


def test_vintage_binds_bundled_tables_only(tmp_path: Path) -> None:
    row = with_(MODEL_ROW, date="2026-01-15")
    path = write_csv(tmp_path / "models.csv", [row])
    rule = "must be on or before the data vintage 2025-12-31"
    expected = f"{path}:2: column date: value '2026-01-15' violates rule {rule!r}"
    assert [str(i) for i in validate_file(path, "models", bundled=True)] == [expected]
    # The same observation added by a user is fine: new data may be newer than the vintage.
    assert check([path]).ok
    assert load_table("models", [path])["date"].max() == pd.Timestamp("2026-01-15")


def test_unknown_and_missing_columns_in_a_table_file(tmp_path: Path) -> None:
    row = {k: v for k, v in MODEL_ROW.items() if k != "frontier"} | {"extra": "x"}
    path = write_csv(tmp_path / "models.csv", [row])
    assert [str(i) for i in validate_file(path, "models")] == [
        f"{path}:1: column extra: value 'extra' violates rule 'unknown column for table models'",
        f"{path}:1: column frontier: value '' violates rule 'missing column for table models'",
    ]


def test_every_issue_is_listed_not_just_the_first(tmp_path: Path) -> None:
    bad_models = write_csv(
        tmp_path / "a.csv",
        [
            with_(MODEL_ROW, training_flop="-3"),
            with_(MODEL_ROW, model="T2", country="DE", notable="maybe"),
            with_(MODEL_ROW, model="T3", date="2024-02-30"),
        ],
    )
    bad_metr = write_csv(tmp_path / "b.csv", [with_(METR_ROW, country="XX")])
    missing = tmp_path / "gone.csv"
    with pytest.raises(DataValidationError) as info:
        load_all([bad_models, bad_metr, missing])
    error = info.value
    assert isinstance(error, ForecastError)
    expected = [
        f"{bad_models}:2: column training_flop: value '-3' violates rule 'must be > 0'",
        f"{bad_models}:3: column country: value 'DE' violates rule 'must be one of: US, CN'",
        f"{bad_models}:3: column notable: value 'maybe' violates rule 'must be true or false'",
        f"{bad_models}:4: column date: value '2024-02-30' violates rule "
        "'must be a date YYYY-MM-DD'",
        f"{bad_metr}:2: column country: value 'XX' violates rule 'must be one of: US, CN'",
        f"{missing}:0: column -: value {str(missing)!r} violates rule 'file not found'",
    ]
    assert [str(i) for i in error.issues] == expected
    message = str(error)
    assert message.splitlines()[0] == "data validation failed with 6 issues:"
    assert message.splitlines()[1:] == expected


def test_load_table_ignores_files_of_other_tables(tmp_path: Path) -> None:
    stock = write_csv(tmp_path / "stock.csv", [STOCK_ROW])
    models = write_csv(tmp_path / "models.csv", [MODEL_ROW])
    frame = load_table("models", [stock, models])
    assert frame["model"].iloc[-1] == "Test-1"
    assert len(frame) == len(load_table("models")) + 1
    assert len(load_table("compute_stock", [stock, models])) == 16 * 13 + 1


def test_cli_check_reports_issues_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "new.csv", [with_(MODEL_ROW, training_flop="-3")])
    missing = tmp_path / "missing.csv"
    assert cli_check([str(path), str(missing)], as_json=True) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is False
    assert payload["row_counts"]["models"] == len(load_table("models")) + 1
    assert payload["issues"] == [
        {
            "file": str(path),
            "line": 2,
            "column": "training_flop",
            "value": "-3",
            "rule": "must be > 0",
        },
        {
            "file": str(missing),
            "line": 0,
            "column": "",
            "value": str(missing),
            "rule": "file not found",
        },
    ]
    assert {f["file"] for f in payload["files"]} >= {str(path), str(missing)}
    assert cli_check([str(missing)], as_json=False) == 1
    text = capsys.readouterr().out
    assert "1 issue:" in text
    assert "file not found" in text


def test_data_hash_is_stable_and_order_free(tmp_path: Path) -> None:
    a = write_csv(tmp_path / "a.csv", [MODEL_ROW])
    b = write_csv(tmp_path / "b.csv", [STOCK_ROW])
    base = data_hash()
    assert base == data_hash()
    assert len(base) == 64
    assert data_hash([a, b]) == data_hash([b, a]) != base
    with pytest.raises(DataValidationError, match="file not found"):
        data_hash([tmp_path / "nope.csv"])


def test_rows_in_memory_get_the_file_rules_with_row_numbers_as_data(tmp_path: Path) -> None:
    rows = [
        with_(MODEL_ROW, country="FR", training_flop="-1"),
        with_(MODEL_ROW, model="T2", date="2099-01-01"),
        with_(MODEL_ROW, model="GPT-4 (Mar 2023)"),
        with_(MODEL_ROW, model="T3"),
        MODEL_ROW,
    ]
    report = validate_rows("models", rows, batch="this batch")
    assert not report.ok
    assert all(isinstance(i.row, int) for i in report.issues)
    # the same cells, rules and messages as the same rows in a file (row i is line i + 2)
    path = write_csv(tmp_path / "same.csv", rows)
    from_file = {(i.line - 2, i.column, i.value) for i in check([path]).issues}
    assert {(i.row, i.column, i.value) for i in report.issues} == from_file
    rules = {(i.row, i.column): i.rule for i in report.issues}
    assert rules[(0, "country")] == "must be one of: US, CN"
    assert rules[(1, "date")] == "must not be in the future"
    assert rules[(2, "model")].endswith("first seen on forecast/data/models.csv:143")
    assert rules[(4, "model")].endswith("first seen in row 0 of this batch")


def test_rows_in_memory_cells_columns_and_earlier_rows() -> None:
    row = {**MODEL_ROW, "training_flop": 2.5e25, "notable": True, "domain": None, "colour": "red"}
    report = validate_rows(
        "models", [row], earlier=[(17, MODEL_ROW)], earlier_noun="stored observation"
    )
    assert report.cells[0]["training_flop"] == "2.5e+25" and report.cells[0]["domain"] == ""
    assert "colour" not in report.cells[0]
    assert [(i.row, i.column, i.rule) for i in report.issues] == [
        (0, "colour", "unknown column for table models"),
        (0, "model", "duplicate key (model); first seen in stored observation 17"),
    ]
    assert report.earlier_issues == []
    assert validate_rows("models", [MODEL_ROW]).ok
    assert [cell_text(v) for v in (None, True, False, 3, 2.5e25, "x")] == [
        "",
        "true",
        "false",
        "3",
        "2.5e+25",
        "x",
    ]


def test_issue_format() -> None:
    issue = DataIssue("forecast/data/models.csv", 17, "training_flop", "-3", "must be > 0")
    expected = (
        "forecast/data/models.csv:17: column training_flop: value '-3' violates rule 'must be > 0'"
    )
    assert str(issue) == expected


# --------------------------------------------------------------------------------------------
# Property tests
# --------------------------------------------------------------------------------------------

names = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N")), min_size=1, max_size=12
)
positive = st.floats(min_value=1e-300, max_value=1e300, allow_nan=False, allow_infinity=False)
non_positive = st.floats(max_value=0.0, allow_nan=False, allow_infinity=False)
dates = st.dates(min_value=dt.date(2018, 1, 1), max_value=dt.date(2025, 12, 31))


@settings(max_examples=40, deadline=None)
@given(flops=st.lists(st.one_of(positive, non_positive), min_size=1, max_size=8))
def test_property_non_positive_flop_rejected_on_its_line(
    tmp_path_factory: pytest.TempPathFactory, flops: list[float]
) -> None:
    path = tmp_path_factory.mktemp("prop") / "flop.csv"
    rows = [with_(MODEL_ROW, model=f"hyp-{i}", training_flop=repr(f)) for i, f in enumerate(flops)]
    write_csv(path, rows)
    issues = check([path], allow_implausible=True).issues  # the schema rule, not plausibility
    bad_lines = [i + 2 for i, f in enumerate(flops) if f <= 0]
    assert [(i.line, i.column, i.rule) for i in issues] == [
        (line, "training_flop", "must be > 0") for line in bad_lines
    ]
    assert [i.value for i in issues] == [repr(f) for f in flops if f <= 0]


model_rows = st.fixed_dictionaries(
    {
        "model": names.map(lambda s: f"hyp-{s}"),
        "date": dates.map(dt.date.isoformat),
        "organization": names,
        "country": st.sampled_from(COUNTRIES),
        "training_flop": positive.map(repr),
        "confidence": st.sampled_from(("Confident", "Likely", "Speculative", "Unknown")),
        "domain": st.one_of(st.just(""), names),
        "notable": st.sampled_from(("true", "false")),
        "large_scale": st.sampled_from(("true", "false")),
        "frontier": st.sampled_from(("true", "false")),
        "source": names,
        "source_url": names.map(lambda s: f"https://example.org/{s}"),
    }
)


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(model_rows, min_size=1, max_size=5, unique_by=lambda r: r["model"]))
def test_property_valid_rows_round_trip(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, str]]
) -> None:
    path = tmp_path_factory.mktemp("prop") / "rows.csv"
    columns = list(reversed(TABLES["models"].column_names))  # column order does not matter
    write_csv(path, rows, header=columns)
    frame = load_table("models", [path]).tail(len(rows)).reset_index(drop=True)
    for i, row in enumerate(rows):
        got = frame.iloc[i]
        assert got["model"] == row["model"]
        assert got["date"] == pd.Timestamp(row["date"])
        assert got["training_flop"] == float(row["training_flop"])
        assert got["country"] == row["country"]
        assert bool(got["notable"]) == (row["notable"] == "true")
        assert (pd.isna(got["domain"]) and row["domain"] == "") or got["domain"] == row["domain"]


@settings(max_examples=200, deadline=None)
@given(moment=st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 12, 31)))
def test_property_decimal_year_round_trip(moment: dt.datetime) -> None:
    stamp = pd.Timestamp(moment).floor("s")
    x = float(decimal_year(stamp))
    assert stamp.year <= x < stamp.year + 1
    assert abs(from_decimal_year(x) - stamp) <= pd.Timedelta(seconds=1)


# --------------------------------------------------------------------------------------------
# Time helpers
# --------------------------------------------------------------------------------------------


def test_decimal_year_inputs() -> None:
    assert float(decimal_year("2025-07-02")) == pytest.approx(2025.5, abs=0.01)
    assert float(decimal_year(dt.date(2024, 1, 1))) == 2024.0
    series = pd.Series(pd.to_datetime(["2020-01-01", None, "2021-01-01"]))
    out = decimal_year(series)
    assert out.shape == (3,)
    assert out[0] == 2020.0 and np.isnan(out[1]) and out[2] == 2021.0
    assert decimal_year(pd.DatetimeIndex(["2022-01-01"])).tolist() == [2022.0]
    assert decimal_year(np.array(["2023-01-01"], dtype="datetime64[D]")).tolist() == [2023.0]


def test_quarter_end_and_inverse() -> None:
    assert quarter_end("2022Q1") == pd.Timestamp("2022-03-31")
    assert quarter_end("2024Q4") == pd.Timestamp("2024-12-31")
    assert quarter_end("2023Q2").unit == "s"
    with pytest.raises(ValueError, match="2022Q1"):
        quarter_end("2022-Q1")
    assert from_decimal_year(2024.0) == pd.Timestamp("2024-01-01")
    with pytest.raises(ValueError):
        from_decimal_year(float("nan"))


# --------------------------------------------------------------------------------------------
# The builder reproduces the committed tables
# --------------------------------------------------------------------------------------------


@pytest.mark.skipif(not (SHARED / "data").is_dir(), reason="shared source data not next to repo")
def test_builder_reproduces_committed_csvs(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "tools" / "build_data.py"),
            "--source",
            str(SHARED / "data"),
            "--facts",
            str(SHARED / "research" / "data-facts.md"),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for name in TABLES:
        built = (tmp_path / f"{name}.csv").read_bytes()
        assert built == tables.bundled_path(name).read_bytes(), name
