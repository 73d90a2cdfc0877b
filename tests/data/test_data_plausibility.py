"""Plausible ranges: declared per table with sources, enforced on files, posted rows and imports.

For every table a row outside one of its ranges is refused by ``forecast data check`` (naming
line, column, value and range), accepted with ``--allow-implausible``, and refused by
``validate_rows`` (the API's path) unless allowed. The bundled tables are all plausible.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from forecast.cli.main import run
from forecast.data.importers import bundled_cells
from forecast.data.schema import TABLES
from forecast.data.tables import check, validate_rows

# One implausible cell per table: (column, value, key column changes to keep the key new).
OUTLIERS = {
    "models": ("training_flop", "1e+300", {"model": "Implausible-Model"}),
    "compute_stock": ("h100e", "500000000", {"quarter": "2021Q4", "date": "2021-12-31"}),
    "capability_eci": ("eci", "1000000000", {"model": "Implausible-ECI"}),
    "capability_metr": ("p50_minutes", "200000", {"model": "Implausible-METR", "p50_high": "3e5"}),
    "hardware": ("bf16_flops", "1e+20", {"accelerator": "Implausible-Chip"}),
    "estimates": ("published", "1900-01-01", {"key": "implausible_estimate"}),
    "export_controls": ("date", "1900-01-01", {"event": "Implausible event"}),
}
DATE_OUTLIERS = {  # a date before each observation table's era
    "models": "1900-01-01",
    "capability_eci": "1900-01-01",
    "capability_metr": "1900-01-01",
    "hardware": "1900-01-01",
}


def test_every_table_declares_ranges_with_sources() -> None:
    for name, schema in TABLES.items():
        assert schema.plausible, name
        for p in schema.plausible:
            assert p.column in schema.column_names and p.source.strip(), (name, p)
            assert p.low is not None or p.high is not None
    assert set(OUTLIERS) == set(TABLES)


def test_bundled_tables_are_plausible() -> None:
    assert check().ok


def _outlier_row(table: str, column: str, value: str) -> dict[str, str]:
    _, _, changes = OUTLIERS[table]
    return bundled_cells(table)[0] | changes | {column: value}


def _write(path: Path, table: str, row: dict[str, str]) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(TABLES[table].column_names), lineterminator="\n")
    writer.writeheader()
    writer.writerow(row)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.mark.parametrize("table", list(OUTLIERS))
def test_file_outside_range_is_refused_unless_allowed(tmp_path: Path, table: str) -> None:
    column, value, _ = OUTLIERS[table]
    path = _write(tmp_path / f"{table}.csv", table, _outlier_row(table, column, value))
    report = check([path])
    assert [(i.line, i.column, i.value) for i in report.issues] == [(2, column, value)]
    assert "plausible range [" in report.issues[0].rule and "source:" in report.issues[0].rule
    allowed = check([path], allow_implausible=True)
    assert allowed.ok and [i.column for i in allowed.allowed] == [column]


@pytest.mark.parametrize("table", list(OUTLIERS))
def test_posted_row_outside_range_is_refused_unless_allowed(table: str) -> None:
    column, value, _ = OUTLIERS[table]
    row = _outlier_row(table, column, value)
    report = validate_rows(table, [row])
    assert [(i.row, i.column, i.value) for i in report.issues] == [(0, column, value)]
    assert report.issues[0].rule.startswith("implausible:")
    assert validate_rows(table, [row], allow_implausible=True).ok


@pytest.mark.parametrize("table", list(DATE_OUTLIERS))
def test_dates_before_the_tables_era_are_implausible(table: str) -> None:
    column = TABLES[table].date_column
    row = _outlier_row(table, column, DATE_OUTLIERS[table])
    (issue,) = validate_rows(table, [row]).issues
    assert issue.column == column and "plausible range" in issue.rule


def test_cli_check_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "m.csv", "models", _outlier_row("models", "training_flop", "1e+300"))
    assert run(["data", "check", str(path)]) == 1
    assert "plausible range [1e+13, 5e+30]" in capsys.readouterr().out
    assert run(["data", "check", str(path), "--allow-implausible", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] and payload["allowed_implausible"][0]["column"] == "training_flop"
