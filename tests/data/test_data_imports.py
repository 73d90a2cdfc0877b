"""Imports of the publishers' files: mapping, the new/changed/unchanged/removed summary, storing.

Every bundled source file imports as all unchanged; synthetic newer-format files (temporary
folders only, never the bundled tables) with added, revised and missing rows give the expected
summary, and their stored rows carry provenance and replace the bundled rows in the tables.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path

import pytest
import yaml

from forecast.cli.main import run
from forecast.data.importers import SOURCES, plan_import
from forecast.data.tables import load_all, load_table
from forecast.store.observations import ObservationStore

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="shared source data not next to repo")

BUNDLED_SOURCES = [
    ("epoch-models", "us_china_models_with_compute_2018_2025.csv", 397),
    ("epoch-chip-owners", "epoch_chip_owners_2026_owners_by_owner.csv", 144),
    ("epoch-chip-owners", "epoch_chip_owners_2026_owners_by_manufacturer.csv", 64),
    ("epoch-eci", "epoch_capabilities_index_2025.csv", 116),
    ("epoch-hardware", "epoch_ml_hardware_2025-12.csv", 97),
    ("metr", "metr_benchmark_results_1_0.yaml", 33),
    ("metr", "metr_benchmark_results_1_1.yaml", 17),
    ("metr", "metr_time_horizons_flat.csv", 50),
]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ObservationStore:
    monkeypatch.setenv("FORECAST_HOME", str(tmp_path / "home"))
    return ObservationStore.at_home()


def test_every_source_is_covered() -> None:
    assert {s for s, _, _ in BUNDLED_SOURCES} == set(SOURCES)


@needs_shared
@pytest.mark.parametrize(("source", "name", "rows"), BUNDLED_SOURCES)
def test_reimporting_a_bundled_source_changes_nothing(
    store: ObservationStore, capsys: pytest.CaptureFixture[str], source: str, name: str, rows: int
) -> None:
    code = run(["data", "import", "--source", source, str(SHARED / name), "--yes", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0, summary
    assert summary["counts"] == {"new": 0, "changed": 0, "unchanged": rows, "removed": 0}
    assert summary["rows"] == {"new": [], "changed": [], "removed": []}
    assert summary["ok"] and summary["stored_ids"] == []
    assert store.count() == 0


def _metr_v11_newer(tmp_path: Path) -> Path:
    """METR v1.1 in a newer format: an extra top-level field and metric, one model added
    (DeepSeek-R1 on v1.1), one revised (o3's p50), one missing (GPT-2)."""
    doc = yaml.safe_load((SHARED / "metr_benchmark_results_1_1.yaml").read_text("utf-8"))
    doc["schema_version"] = "2.0"
    results = doc["results"]
    for entry in results.values():
        entry["metrics"]["p65_horizon_length"] = {"estimate": 1.0}
    results["o3_inspect"]["metrics"]["p50_horizon_length"]["estimate"] = 99.5
    results["o3_inspect"]["metrics"]["p50_horizon_length"]["ci_high"] = 400.0
    added = copy.deepcopy(results["o3_inspect"])
    added["release_date"] = "2025-01-20"
    added["metrics"]["p50_horizon_length"] = {"estimate": 20.0, "ci_low": 8.0, "ci_high": 45.0}
    results["deepseek_r1"] = added
    gone = next(k for k in results if k.startswith("gpt2") or k == "davinci_002")
    del results[gone]
    path = tmp_path / "metr_benchmark_results_1_2.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


@needs_shared
def test_newer_metr_file_summary_and_stored_rows(store: ObservationStore, tmp_path: Path) -> None:
    path = _metr_v11_newer(tmp_path)
    plan = store.import_file("metr", path.read_bytes(), path.name, "tester", vintage="2026-02-01")
    assert plan.ok, plan.issues
    assert plan.counts == {"new": 1, "changed": 1, "unchanged": 15, "removed": 1}
    (new,) = plan.by_status("new")
    assert new.key == "DeepSeek-R1|v1.1" and new.cells["country"] == "CN"
    (changed,) = plan.by_status("changed")
    assert changed.key == "o3|v1.1"
    assert changed.to_dict()["changes"]["p50_minutes"]["to"] == "99.5"
    assert plan.by_status("removed")[0].cells["suite"] == "v1.1"
    assert len(plan.stored) == 2
    items, total = store.page("capability_metr", 10, 0)
    assert total == 2
    by_kind = {i["kind"]: i for i in items}
    assert by_kind["revision"]["row"]["p50_minutes"] == "99.5"
    prov = by_kind["new"]["provenance"]
    assert prov["source"] == "metr" and prov["file"] == path.name and len(prov["sha256"]) == 64
    assert prov["row_key"] == "v1.1:deepseek_r1" and by_kind["new"]["vintage"] == "2026-02-01"
    # The stored rows are now current: the same file again changes nothing.
    again = store.plan("metr", path.read_bytes(), path.name)
    assert again.counts == {"new": 0, "changed": 0, "unchanged": 17, "removed": 1}
    # In the tables the revision replaces the bundled row and the new row is added.
    frame = load_table("capability_metr", store.export(tmp_path / "export"))
    o3 = frame[(frame["model"] == "o3") & (frame["suite"] == "v1.1")]
    assert len(frame) == 51 and list(o3["p50_minutes"]) == [99.5]


@needs_shared
def test_newer_eci_file_with_added_and_revised_rows(
    store: ObservationStore, tmp_path: Path
) -> None:
    text = (SHARED / "epoch_capabilities_index_2025.csv").read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    for r in rows:
        r["Benchmarks used"] = "3"  # a column Epoch added later
        if r["Model name"].strip() == "DeepSeek-V3":
            r["ECI Score"] = str(float(r["ECI Score"]) + 2.5)
    rows.append(
        rows[0]
        | {
            "Model version": "test-model-2026",
            "Model name": "Test Model 2026",
            "ECI Score": "151.0",
            "Release date": "2026-01-15",
            "Country": "China",
            "Organization": "Test Lab",
        }
    )
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "epoch_capabilities_index_2026.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    dry = store.plan("epoch-eci", path.read_bytes(), path.name, vintage="2026-01-31")
    assert dry.counts == {"new": 1, "changed": 1, "unchanged": 115, "removed": 0}
    assert store.count() == 0
    early = store.plan("epoch-eci", path.read_bytes(), path.name, vintage="2025-12-31")
    assert early.counts["new"] == 0  # rows after the vintage are left out
    plan = store.import_file("epoch-eci", path.read_bytes(), path.name, "t", vintage="2026-01-31")
    assert len(plan.stored) == 2
    tables = load_all(store.export(tmp_path / "export"))
    eci = tables["capability_eci"]
    assert len(eci) == 117
    assert "Test Model 2026" in set(eci["model"])


@needs_shared
def test_cli_import_stores_and_reports(
    store: ObservationStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _metr_v11_newer(tmp_path)
    code = run(["data", "import", "--source", "metr", str(path), "--dry-run", "--json"])
    dry = json.loads(capsys.readouterr().out)
    assert code == 0 and dry["counts"]["new"] == 1 and not dry["written"]
    assert store.count() == 0
    code = run(
        ["data", "import", "--source", "metr", str(path), "--yes", "--vintage", "2026-02-01"]
    )
    text = capsys.readouterr().out
    assert code == 0 and "new 1, changed 1, unchanged 15, removed 1" in text
    assert "stored 2 observation(s)" in text and store.count() == 2


def test_import_refuses_implausible_rows_unless_allowed(store: ObservationStore) -> None:
    flat = (
        b"source_file,task_suite,model_key,release_date,p50_minutes,p50_ci_low,p50_ci_high,"
        b"p80_minutes,p80_ci_low,p80_ci_high,is_sota\n"
        b"x.yaml,METR-Horizon-v1.1,deepseek_r1,2025-01-20,5000000,10,9000000,,,,True\n"
    )
    plan = store.import_file("metr", flat, "flat.csv", "tester")
    assert not plan.ok and store.count() == 0
    assert {(i.column, i.value) for i in plan.issues} >= {("p50_minutes", "5000000")}
    assert all("plausible range" in i.rule for i in plan.issues)
    allowed = store.import_file("metr", flat, "flat.csv", "tester", allow_implausible=True)
    assert allowed.ok and len(allowed.stored) == 1
    assert store.get(allowed.stored[0])["allowed_implausible_by"] == "tester"


def test_unreadable_file_is_an_error(store: ObservationStore, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    assert run(["data", "import", "--source", "epoch-chip-owners", str(path), "--yes"]) == 1


def test_plan_import_unknown_source() -> None:
    from forecast.core.errors import UsageError

    with pytest.raises(UsageError, match="unknown import source"):
        plan_import("nope", b"", "f")
