"""harness/core/runs.py: run folders and their time-sortable ids."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from harness.core import AreaResult, new_run


def test_run_ids_sort_by_time_and_never_collide(tmp_path):
    moment = datetime(2025, 11, 26, 9, 35, 12, 999999, tzinfo=UTC)

    runs = [new_run(tmp_path, seed=0, scale="small", now=moment + offset)
            for offset in (timedelta(0), timedelta(0), timedelta(seconds=-1), timedelta(days=400))]

    ids = [run.run_id for run in runs]
    assert len(set(ids)) == 4 and all(run.out_dir.is_dir() for run in runs)
    assert ids[0] == "20251126T093512.999999Z"
    assert sorted(ids) == [ids[2], ids[0], ids[1], ids[3]]


def test_a_run_writes_its_areas_and_evidence_in_its_folder(tmp_path):
    run = new_run(tmp_path / "reports", seed=3, scale="medium")

    written = run.write(AreaResult(area="data", passed=True))
    evidence = run.path("load", "candidate_stats.csv")

    assert written == run.out_dir / "data.json" and run.root == (tmp_path / "reports").resolve()
    assert evidence.parent.is_dir() and evidence.parent.parent == run.out_dir
    assert (run.seed, run.scale) == (3, "medium")
