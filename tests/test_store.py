"""The results store (issue 13): ingest, versions, review, tables and history from the store,
schema checks, two ingests at once and a killed ingest, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from sqlalchemy import func, select, text

from perfscore.cli import main
from perfscore.store.database import known_revisions, make_engine, migration_revisions, open_store
from perfscore.store.codec import info_from_json
from perfscore.store.schema import FailedIngest, FindingRecord, LevelScore, ProjectScore, ReviewEntry, RowScore, RulesetRecord, Submission

SEED = ROOT / "seeds" / "district-canlian-2022.toml"
PERFSCORE = [sys.executable, "-m", "perfscore.cli"]
SEED_UNIT = "district-canlian-2022"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([*argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err, captured.err
    return code, captured.out, captured.err


def generate(folder: Path, count: int, year: int, seed: int = 1) -> Path:
    assert main(["generate", str(count), "--seed", str(seed), "--year", str(year), "-o", str(folder)]) == 0
    return folder


def count(url: str, model: type) -> int:
    store = open_store(url)
    try:
        with store.reading() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        store.close()


def seed_unit_id() -> str:
    for line in SEED.read_text(encoding="utf-8").splitlines():
        if line.startswith("id = "):
            return line.split('"')[1]
    raise AssertionError("the seed has no unit id")


@pytest.fixture
def two_years(tmp_path: Path) -> tuple[Path, Path]:
    return generate(tmp_path / "y2021", 6, 2021), generate(tmp_path / "y2022", 6, 2022)


def test_ingest_keeps_every_score_and_an_unchanged_file_changes_nothing(capsys: pytest.CaptureFixture[str], store_url: str, tmp_path: Path) -> None:
    """Ingest stores the unit, its file, rows and findings; ingesting again adds nothing."""
    code, out, _ = run(capsys, "ingest", str(SEED), "--db", store_url)
    assert code == 0, out
    _, score_json, _ = run(capsys, "score", str(SEED), "--format", "json")
    expected = json.loads(score_json)
    store = open_store(store_url)
    try:
        with store.reading() as session:
            stored = session.scalars(select(Submission)).one()
            assert stored.unit_id == seed_unit_id() and stored.version == 1
            assert stored.source_text == SEED.read_text(encoding="utf-8")
            assert float(stored.total or 0) == expected["total"]
            rows = session.scalar(select(func.count()).select_from(RowScore))
            assert rows == stored.row_count == sum(len(project["indicators"]) for project in expected["projects"])
            assert session.scalar(select(func.count()).select_from(ProjectScore)) == stored.project_count == len(expected["projects"])
    finally:
        store.close()
    before = [count(store_url, model) for model in (Submission, ProjectScore, LevelScore, RowScore)]
    code, out, _ = run(capsys, "ingest", str(SEED), "--db", store_url)
    assert code == 0 and "未变 1 个" in out
    assert [count(store_url, model) for model in (Submission, ProjectScore, LevelScore, RowScore)] == before


def test_explain_from_the_store_prints_what_explain_prints(capsys: pytest.CaptureFixture[str], store_url: str, tmp_path: Path) -> None:
    """explain --db shows, in either language, exactly the explanation explain FILE writes, and keeps it with the findings' wording."""
    units = generate(tmp_path / "units", 3, 2022)
    assert run(capsys, "ingest", str(SEED), str(units), "--db", store_url)[0] == 0
    for file, unit in [(SEED, seed_unit_id()), *[(path, path.stem) for path in sorted(units.glob("*.toml"))]]:
        for lang in ("zh", "en"):
            _, explained, _ = run(capsys, "explain", str(file), "--lang", lang)
            code, trail, _ = run(capsys, "explain", "--db", store_url, unit, "--year", "2022", "--lang", lang)
            assert code == 0 and explained.rstrip("\n") in trail
    store = open_store(store_url)
    try:
        with store.reading() as session:
            stored = session.scalars(select(Submission).where(Submission.unit_id == seed_unit_id())).one()
            assert stored.explanation_zh == run(capsys, "explain", str(SEED))[1]
            findings = list(session.scalars(select(FindingRecord).where(FindingRecord.submission_id == stored.id)))
    finally:
        store.close()
    _, scored, _ = run(capsys, "score", str(SEED), "--format", "json", "--lang", "en")
    expected = {(f["id"], f["project"] or "", f["indicator"] or ""): f for f in json.loads(scored)["findings"]}
    assert findings and len(findings) == len(expected)
    for record in findings:
        assert record.title_zh and record.problem_en and record.improvement_zh
        assert expected[(record.finding_id, record.project or "", record.indicator or "")]["title"] == record.title_en


def test_explain_from_the_store_refuses_a_unit_that_scores_differently_now(capsys: pytest.CaptureFixture[str], store_url: str) -> None:
    """A stored unit whose scores today's scoring does not reproduce gets a clear error, not another unit's explanation."""
    assert run(capsys, "ingest", str(SEED), "--db", store_url)[0] == 0
    engine = make_engine(store_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE row_scores SET score = '0.01' WHERE id = (SELECT MIN(id) FROM row_scores)"))
    engine.dispose()
    code, _, err = run(capsys, "explain", "--db", store_url, seed_unit_id(), "--year", "2022")
    assert code == 2 and "scores differently today" in err and "0.01 stored" in err


def test_a_changed_file_is_a_new_version_and_the_old_one_is_kept(capsys: pytest.CaptureFixture[str], store_url: str, tmp_path: Path) -> None:
    """Ingesting an edited file adds version 2; version 1 stays as it was."""
    copy = tmp_path / "unit.toml"
    shutil.copy(SEED, copy)
    assert run(capsys, "ingest", str(copy), "--db", store_url)[0] == 0
    copy.write_text(SEED.read_text(encoding="utf-8") + "\n# corrected by the unit\n", encoding="utf-8")
    code, out, _ = run(capsys, "ingest", str(copy), "--db", store_url, "--lang", "en")
    assert code == 0 and "1 new versions" in out
    store = open_store(store_url)
    try:
        with store.reading() as session:
            versions = session.execute(select(Submission.version, Submission.sha256).order_by(Submission.version)).all()
    finally:
        store.close()
    assert [version for version, _ in versions] == [1, 2] and versions[0][1] != versions[1][1]
    _, history, _ = run(capsys, "history", seed_unit_id(), "--db", store_url)
    assert "unit.toml" in history and history.count(" 2022 ") >= 2


def test_a_unit_that_fails_is_recorded_with_its_reason(capsys: pytest.CaptureFixture[str], store_url: str, tmp_path: Path) -> None:
    """A file that cannot be scored: exit 1, the errors section, and a failure row with the problem."""
    bad = tmp_path / "bad.toml"
    bad.write_text(SEED.read_text(encoding="utf-8").replace("[[projects]]", "[[projects]]\nnonsense = 1", 1), encoding="utf-8")
    code, out, _ = run(capsys, "ingest", str(bad), str(SEED), "--db", store_url)
    assert code == 1
    assert "未能评分" in out and "bad.toml" in out and "nonsense" in out
    store = open_store(store_url)
    try:
        with store.reading() as session:
            failure = session.scalars(select(FailedIngest)).one()
    finally:
        store.close()
    assert failure.file_name == str(bad) and failure.unit_id == seed_unit_id() and failure.year == 2022 and "nonsense" in failure.problems
    assert count(store_url, Submission) == 1


def test_review_table_and_audit_trail(capsys: pytest.CaptureFixture[str], store_url: str, two_years: tuple[Path, Path]) -> None:
    """Two years in; two adjustments and one withdrawn; the table shows self, computed and reviewed; explain --db the trail."""
    old, new = two_years
    assert run(capsys, "ingest", str(old), str(new), str(SEED), "--db", store_url)[0] == 0
    unit = "synthetic-1-00001"
    store = open_store(store_url)
    try:
        with store.reading() as session:
            stored = session.scalars(select(Submission).where(Submission.unit_id == unit, Submission.year == 2022)).one()
            project = session.scalars(select(ProjectScore).where(ProjectScore.submission_id == stored.id, ProjectScore.position == 0)).one()
            row = session.scalars(select(RowScore).where(RowScore.submission_id == stored.id, RowScore.project_position == 0).order_by(RowScore.position)).first()
    finally:
        store.close()
    assert row is not None and project.total is not None and stored.total is not None
    code, out, _ = run(capsys, "review", unit, "--year", "2022", "--adjust", f"{project.project_id}=-5", "--reason", "资金管理不规范", "--by", "张三", "--db", store_url)
    assert code == 0 and "#1" in out
    # a row may not go above its weight: +100 lands on the weight
    code, out, _ = run(capsys, "review", unit, "--year", "2022", "--adjust", f"{project.project_id}/{row.indicator}=+100", "--reason", "佐证材料补齐", "--by", "李四", "--db", store_url)
    assert code == 0
    code, out, _ = run(capsys, "review", unit, "--year", "2022", "--withdraw", "1", "--reason", "复核后撤回", "--by", "张三", "--db", store_url)
    assert code == 0 and "#3" in out
    # withdrawing twice is refused, and nothing was deleted
    code, _, err = run(capsys, "review", unit, "--year", "2022", "--withdraw", "1", "--reason", "again", "--by", "张三", "--db", store_url)
    assert code == 2 and "already withdrawn" in err
    assert count(store_url, ReviewEntry) == 3

    code, out, _ = run(capsys, "table", "--db", store_url, "--year", "2022", "--compare", "2021", "--format", "json")
    assert code == 0
    table = json.loads(out)
    keys = [column["key"] for column in table["columns"]]
    assert keys.index("self_total") < keys.index("computed_total") < keys.index("total") < keys.index("previous_total")
    headers = {column["key"]: column["header"] for column in table["columns"]}
    assert (headers["self_total"], headers["computed_total"], headers["total"]) == ("自评分", "计算得分", "复核得分")
    by_unit = {r["unit_id"]: r for r in table["rows"]}
    assert len(by_unit) == 7  # six generated units and the seed
    adjusted = by_unit[unit]
    row_gain = row.weight - row.score
    assert adjusted["computed_total"] == float(stored.total)
    assert adjusted["total"] > adjusted["computed_total"] or row_gain == 0
    assert all(r["previous_total"] is not None for key, r in by_unit.items() if key.startswith("synthetic"))
    assert any("复核" in note for note in table["notes"])
    # the text table carries the same three columns
    code, grid, _ = run(capsys, "table", "--db", store_url, "--year", "2022", "--compare", "2021")
    assert code == 0 and "自评分" in grid and "计算得分" in grid and "复核得分" in grid and "上年总分" in grid

    code, trail, _ = run(capsys, "explain", "--db", store_url, unit, "--year", "2022")
    assert code == 0
    assert "资金管理不规范" in trail and "张三" in trail and "李四" in trail and "（已由 #3 撤回）" in trail and "撤回 #1" in trail
    assert "UTC" in trail and f"{project.project_id}/{row.indicator} +100.00" in trail


def test_reviewed_score_adds_up_as_scoring_does(capsys: pytest.CaptureFixture[str], store_url: str, tmp_path: Path) -> None:
    """A row adjusted by -1 gives the unit the total the engine gives the same file with that row's deduction = 1."""
    assert main(["ingest", str(SEED), "--db", store_url]) == 0
    store = open_store(store_url)
    try:
        with store.reading() as session:
            stored = session.scalars(select(Submission)).one()
            row = next(r for r in session.scalars(select(RowScore).where(RowScore.submission_id == stored.id).order_by(RowScore.project_position, RowScore.position)) if r.score >= 1 and r.status == "scored")
            project = session.scalars(select(ProjectScore).where(ProjectScore.submission_id == stored.id, ProjectScore.position == row.project_position)).one()
    finally:
        store.close()
    code, _, _ = run(capsys, "review", stored.unit_id, "--year", "2022", "--adjust", f"{project.project_id}/{row.indicator}=-1", "--reason", "r", "--by", "b", "--db", store_url)
    assert code == 0
    # the same deduction written into the unit's file (a copy), scored by the engine
    lines = SEED.read_text(encoding="utf-8").splitlines()
    in_project = False
    for index, line in enumerate(lines):
        if line.startswith("id = ") and line.split('"')[1] == project.project_id:
            in_project = True
        if in_project and line.strip() == f'indicator = "{row.indicator}"':
            lines.insert(index + 1, 'deduction = 1\ndeduction_reason = "test"')
            break
    else:
        raise AssertionError("row not found in the seed")
    edited = tmp_path / "edited.toml"
    edited.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, scored, _ = run(capsys, "score", str(edited), "--format", "json")
    expected = json.loads(scored)
    code, out, _ = run(capsys, "table", "--db", store_url, "--year", "2022", "--format", "json")
    (table_row,) = json.loads(out)["rows"]
    assert table_row["total"] == expected["total"] and table_row["total"] != table_row["computed_total"]
    code, out, _ = run(capsys, "history", stored.unit_id, "--db", store_url)
    assert f"{Decimal(str(expected['total'])):.2f}" in out


def test_a_newer_or_foreign_database_is_a_clear_error(capsys: pytest.CaptureFixture[str], store_url: str, tmp_path: Path) -> None:
    """A store with a schema this perfscore does not know, or a database that is not a store, is exit 2 with a reason."""
    code, out, _ = run(capsys, "db", "upgrade", "--db", store_url)
    assert code == 0 and known_revisions()[0][0] in out
    assert run(capsys, "db", "upgrade", "--db", store_url)[0] == 0  # again: nothing to do
    engine = make_engine(store_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    code, _, err = run(capsys, "history", "x", "--db", store_url)
    assert code == 2 and "newer than this perfscore knows" in err
    foreign = tmp_path / "other.db"
    engine = make_engine(f"sqlite:///{foreign}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    code, _, err = run(capsys, "ingest", str(SEED), "--db", str(foreign))
    assert code == 2 and "not a perfscore store" in err and "invoices" in err
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all, just text" * 100)
    code, _, err = run(capsys, "table", "--db", str(junk), "--year", "2022")
    assert code == 2 and "cannot open the store" in err


def test_the_default_store_is_perfscore_db_here(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --db or PERFSCORE_DB, ingest creates perfscore.db in the current folder; PERFSCORE_DB names another."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PERFSCORE_DB", raising=False)
    assert run(capsys, "ingest", str(SEED))[0] == 0
    assert (tmp_path / "perfscore.db").is_file()
    code, out, _ = run(capsys, "table", "--db", "--year", "2022")
    assert code == 0 and "复核得分" in out
    monkeypatch.setenv("PERFSCORE_DB", str(tmp_path / "other.db"))
    assert run(capsys, "ingest", str(SEED))[0] == 0
    assert (tmp_path / "other.db").is_file()


def _ingest_process(url: str, *paths: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([*PERFSCORE, "ingest", *map(str, paths), "--db", url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def test_two_ingests_at_once_lose_nothing_and_duplicate_nothing(store_url: str, tmp_path: Path) -> None:
    """Two real processes ingesting overlapping folders at the same time store each unit exactly once."""
    units = generate(tmp_path / "units", 60, 2022)
    files = sorted(units.glob("*.toml"))
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    for index, file in enumerate(files):  # a: the first two thirds, b: the last two thirds
        if index < 40:
            shutil.copy(file, first / file.name)
        if index >= 20:
            shutil.copy(file, second / file.name)
    assert main(["db", "upgrade", "--db", store_url]) == 0
    processes = [_ingest_process(store_url, first), _ingest_process(store_url, second)]
    for process in processes:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, out + err
        assert "Traceback" not in err
    store = open_store(store_url)
    try:
        with store.reading() as session:
            stored = session.execute(select(Submission.unit_id, Submission.version)).all()
    finally:
        store.close()
    assert sorted(unit for unit, _ in stored) == sorted(f.stem for f in files) or len(stored) == 60
    assert len({unit for unit, _ in stored}) == 60 and all(version == 1 for _, version in stored)


def test_a_killed_ingest_leaves_the_store_consistent(store_url: str, tmp_path: Path) -> None:
    """SIGKILL mid-ingest: every stored unit is whole, and ingesting again completes the set."""
    units = generate(tmp_path / "units", 150, 2022)
    assert main(["db", "upgrade", "--db", store_url]) == 0
    process = _ingest_process(store_url, units)
    deadline = time.monotonic() + 300
    while count(store_url, Submission) < 10:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate()
    store = open_store(store_url)
    try:
        with store.reading() as session:
            stored = list(session.scalars(select(Submission)))
            projects = dict(session.execute(select(ProjectScore.submission_id, func.count()).group_by(ProjectScore.submission_id)).all())
            rows = dict(session.execute(select(RowScore.submission_id, func.count()).group_by(RowScore.submission_id)).all())
            assert 10 <= len(stored) < 150
            for submission in stored:
                assert projects.get(submission.id, 0) == submission.project_count
                assert rows.get(submission.id, 0) == submission.row_count
            if store.backend == "sqlite":
                assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    finally:
        store.close()
    assert main(["ingest", str(units), "--db", store_url]) == 0
    assert count(store_url, Submission) == 150


def test_the_known_revisions_are_the_shipped_migrations() -> None:
    """The schema check's list of revisions (kept in code, so a check loads no Alembic) is what migrations/ holds."""
    assert known_revisions() == migration_revisions()


def test_opinion_with_the_store_shows_the_reviewed_score(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """opinion FILE --db states the reviewed score of the file's stored version (JSON and text), and refuses a file the store lacks."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert run(capsys, "ingest", str(SEED), "--db", url)[0] == 0
    code, out, _ = run(capsys, "opinion", str(SEED), "--db", url, "--format", "json")
    assert code == 0 and json.loads(out)["reviewed_total"] is None  # nobody has reviewed it yet
    _, table_json, _ = run(capsys, "table", "--db", url, "--year", "2022", "--format", "json")
    computed = Decimal(str(json.loads(table_json)["rows"][0]["computed_total"]))
    store = open_store(url)
    try:
        with store.reading() as session:
            project = session.scalars(select(ProjectScore).where(ProjectScore.total.is_not(None)).order_by(ProjectScore.position)).first()
    finally:
        store.close()
    assert project is not None
    assert run(capsys, "review", seed_unit_id(), "--year", "2022", "--adjust", f"{project.project_id}=-3", "--reason", "r", "--by", "b", "--db", url)[0] == 0
    _, table_json, _ = run(capsys, "table", "--db", url, "--year", "2022", "--format", "json")
    reviewed = Decimal(str(json.loads(table_json)["rows"][0]["total"]))
    assert reviewed < computed
    code, out, _ = run(capsys, "opinion", str(SEED), "--db", url, "--format", "json")
    assert code == 0 and Decimal(json.loads(out)["reviewed_total"]) == reviewed
    code, out, _ = run(capsys, "opinion", str(SEED), "--db", url, "--lang", "en", "--format", "text")
    assert code == 0 and f"On review the unit scores {reviewed:.2f} points" in out
    assert "not been reviewed" not in run(capsys, "opinion", str(SEED), "--db", url, "--lang", "en")[1]
    assert "not been reviewed" in run(capsys, "opinion", str(SEED), "--lang", "en")[1]  # without --db: no review
    changed = tmp_path / "changed.toml"
    changed.write_text(SEED.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    code, _, err = run(capsys, "opinion", str(changed), "--db", url)
    assert code == 2 and "not in the store" in err and "perfscore ingest" in err


def test_a_table_from_the_store_sorts_by_the_self_and_computed_columns(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """table --db --sort computed_total[:asc] orders rows by that column; the ranks stay those of the reviewed total."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert run(capsys, "ingest", str(generate(tmp_path / "units", 8, 2022)), "--db", url)[0] == 0
    _, out, _ = run(capsys, "table", "--db", url, "--year", "2022", "--format", "json")
    ranks = {row["unit_id"]: row["rank"] for row in json.loads(out)["rows"]}
    for spec, descending in (("computed_total", True), ("computed_total:asc", False), ("self_total:desc", True)):
        code, out, _ = run(capsys, "table", "--db", url, "--year", "2022", "--sort", spec, "--format", "json")
        assert code == 0
        rows = json.loads(out)["rows"]
        values = [row[spec.partition(":")[0]] for row in rows if row[spec.partition(":")[0]] is not None]
        assert values == sorted(values, reverse=descending)
        assert {row["unit_id"]: row["rank"] for row in rows} == ranks


def test_texts_with_quotes_and_backslashes_are_stored_as_written(capsys: pytest.CaptureFixture[str], store_url: str, tmp_path: Path) -> None:
    """A unit and project named with quotes, a backslash and a percent sign read back from the store unchanged."""
    odd_unit, odd_project = "区残联 O'Brien \\\\ 100% '';--", "项目 \\\\n 'x' %s"
    lines = SEED.read_text(encoding="utf-8").splitlines()
    names = [index for index, line in enumerate(lines) if line.startswith("name = ")]
    lines[names[0]] = f"name = {json.dumps(odd_unit, ensure_ascii=False)}"
    lines[names[1]] = f"name = {json.dumps(odd_project, ensure_ascii=False)}"
    odd = tmp_path / "odd.toml"
    odd.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run(capsys, "ingest", str(odd), "--db", store_url)[0] == 0
    store = open_store(store_url)
    try:
        with store.reading() as session:
            stored = session.scalars(select(Submission)).one()
            projects = [project.name for project in session.scalars(select(ProjectScore).order_by(ProjectScore.position))]
    finally:
        store.close()
    assert stored.unit_name == odd_unit and odd_project in projects


def test_an_area_table_from_the_store_shows_self_computed_and_reviewed(capsys: pytest.CaptureFixture[str], store_url: str, tmp_path: Path) -> None:
    """table --db --by area carries the self-score and computed columns beside the reviewed total, as the unit and project tables do:
    each the budget-weighted mean of the area's projects (as the area's total is), and a review moves only the reviewed one."""
    url = store_url
    units = generate(tmp_path / "units", 8, 2022)
    for number, path in enumerate(sorted(units.glob("*.toml"))[::2]):  # half the units state their projects' totals
        lines: list[str] = []
        stated = 0
        for line in path.read_text(encoding="utf-8").splitlines():
            if line == "[[projects]]":
                stated = 0
            elif line == "[[projects.funds]]" and not stated:
                lines += ["[projects.self_scores]", f"total = {80 + number * 3 + len(lines) % 7}", ""]
                stated = 1
            lines.append(line)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run(capsys, "ingest", str(units), str(SEED), "--db", url)[0] == 0
    store = open_store(url)
    try:
        with store.reading() as session:
            projects = list(session.scalars(select(ProjectScore)))
            names = {area: en for record in session.scalars(select(RulesetRecord)) for area, _, en in info_from_json(record.info).areas}
    finally:
        store.close()
    expected: dict[str, tuple[Decimal | None, Decimal]] = {}
    for area in {project.area for project in projects if project.area}:
        mine = [project for project in projects if project.area == area]
        stating = [project for project in mine if project.self_total is not None]
        budget = sum((project.budget for project in mine), Decimal(0))
        self_budget = sum((project.budget for project in stating), Decimal(0))
        self_total = sum(((project.self_total or Decimal(0)) * project.budget for project in stating), Decimal(0)) / self_budget if self_budget else None
        expected[area] = (self_total, sum(((project.total or Decimal(0)) * project.budget for project in mine), Decimal(0)) / budget)
    assert any(self_total is not None for self_total, _ in expected.values())

    def area_table() -> dict[str, dict[str, Any]]:
        code, out, _ = run(capsys, "table", "--db", url, "--year", "2022", "--by", "area", "--format", "json", "--lang", "en")
        assert code == 0
        table = json.loads(out)
        keys = [column["key"] for column in table["columns"]]
        assert keys.index("self_total") < keys.index("computed_total") < keys.index("total")
        headers = {column["key"]: column["header"] for column in table["columns"]}
        assert headers["total"] != headers["computed_total"] and "review" in headers["total"].lower()
        return {row["area"]: row for row in table["rows"]}

    before = area_table()
    assert set(before) == {names[area] for area in expected}
    for area, (self_total, computed) in expected.items():
        row = before[names[area]]
        assert row["computed_total"] == row["total"] == pytest.approx(float(computed), abs=0.006)
        assert row["self_total"] == (None if self_total is None else pytest.approx(float(self_total), abs=0.006))
    project = next(project for project in projects if project.area and project.total is not None and project.total >= 5)
    unit = next(submission.unit_id for submission in _submissions(url) if submission.id == project.submission_id)
    assert run(capsys, "review", unit, "--year", "2022", "--adjust", f"{project.project_id}=-5", "--reason", "r", "--by", "b", "--db", url)[0] == 0
    after = area_table()
    for area, row in after.items():
        assert (row["self_total"], row["computed_total"]) == (before[area]["self_total"], before[area]["computed_total"])
        assert (row["total"] < row["computed_total"]) == (area == names[project.area or ""])
    # the text table too, and a sort by a store column
    code, grid, _ = run(capsys, "table", "--db", url, "--year", "2022", "--by", "area")
    assert code == 0 and "自评分" in grid and "计算得分" in grid and "复核得分" in grid
    code, out, _ = run(capsys, "table", "--db", url, "--year", "2022", "--by", "area", "--sort", "computed_total:asc", "--format", "json")
    values = [row["computed_total"] for row in json.loads(out)["rows"]]
    assert code == 0 and values == sorted(values)


def _submissions(url: str) -> list[Submission]:
    store = open_store(url)
    try:
        with store.reading() as session:
            return list(session.scalars(select(Submission)))
    finally:
        store.close()


def test_a_table_read_through_the_driver_alone_is_the_full_paths_table(capsys: pytest.CaptureFixture[str], store_url: str, two_years: tuple[Path, Path]) -> None:
    """table --db answers a store without adjustments through the driver alone (no SQLAlchemy), with exactly the
    table the full path makes, by unit, project and area, with --compare; a store with adjustments takes the full path."""
    from perfscore.batch.table import TableOptions
    from perfscore.output.table import render
    from perfscore.store.direct import year_table
    from perfscore.store.history import store_table

    old, new = two_years
    assert run(capsys, "ingest", str(old), str(new), "--db", store_url)[0] == 0
    for by in ("unit", "project", "area"):
        for compare in (None, 2021):
            options = TableOptions(by=by)
            quick = year_table(store_url, 2022, options, compare)
            assert quick is not None
            store = open_store(store_url)
            try:
                full = store_table(store, 2022, options, compare)
            finally:
                store.close()
            for fmt in ("json", "table"):
                assert render(quick, fmt) == render(full, fmt)
    # a year without units, a missing store: the full path says what is wrong
    assert year_table(store_url, 2030, TableOptions()) is None
    assert year_table(f"sqlite:///{two_years[0].parent / 'none.db'}", 2022, TableOptions()) is None
    assert not (two_years[0].parent / "none.db").exists()
    # without SQLAlchemy, in a process of its own
    probe = "import sys; from perfscore.cli import main; main(sys.argv[1:]); print('sqlalchemy' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe, "table", "--db", store_url, "--year", "2022", "-o", str(two_years[0].parent / "t.txt")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "False", done.stderr
    store = open_store(store_url)
    try:
        with store.reading() as session:
            project = session.scalars(select(ProjectScore).join(Submission, Submission.id == ProjectScore.submission_id).where(Submission.year == 2022)).first()
            unit = session.scalars(select(Submission.unit_id).where(Submission.id == project.submission_id)).one() if project else None
    finally:
        store.close()
    assert project is not None and unit is not None
    assert run(capsys, "review", unit, "--year", "2022", "--adjust", f"{project.project_id}=-1", "--reason", "r", "--by", "b", "--db", store_url)[0] == 0
    assert year_table(store_url, 2022, TableOptions()) is None
