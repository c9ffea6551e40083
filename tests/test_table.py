"""``perfscore table``: many units scored into one ranked, comparable table."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import tomli_w

from perfscore.batch.progress import Progress
from perfscore.batch.run import BatchScorer, make_scorer
from perfscore.cli import main
from perfscore.files import read_toml
from perfscore.generate import write_submissions
from perfscore.batch.make import table_from_paths
from perfscore.batch.table import competition_ranks, summarise

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "district-canlian-2022.toml"


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Path:
    """20 generated units (seed 7, 2022) plus the seed unit, in one folder."""
    folder = tmp_path_factory.mktemp("batch")
    write_submissions(20, 7, folder / "generated", 2022)
    shutil.copy(SEED, folder / SEED.name)
    return folder


def _table_text(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["table", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_table_of_the_seed_and_generated_units_ranks_every_unit(batch, capsys):
    """The seed plus 20 generated units: 21 ranked rows, the ruleset's fingerprint, a summary."""
    status, out, _ = _table_text(capsys, str(batch))
    assert status == 0
    table = table_from_paths([batch])
    assert len(table.rows) == 21
    assert {row["unit_id"] for row in table.rows} >= {"district-canlian"}
    assert table.rulesets[0].fingerprint in out
    assert "汇总" in out and "中位数" in out
    assert [row["rank"] for row in table.rows][0] == 1
    seed_row = next(row for row in table.rows if row["unit_id"] == "district-canlian")
    evaluation = make_scorer([], None, "unit").engine.evaluate(SEED)
    assert (seed_row["total"], seed_row["grade"]) == (evaluation.unit.total, evaluation.unit.grade)
    assert table.summary["count"] == 21
    assert sum(table.summary["grades"].values()) == 21


def test_unit_level_scores_are_budget_weighted_and_add_up_to_the_total(batch):
    """With zero-for-missing rules, a unit's budget-weighted level-1 scores add up to its total (±rounding)."""
    table = table_from_paths([batch])
    level_keys = [column.key for column in table.columns if column.key.startswith("level:")]
    for row in table.rows:
        parts = row["budget_score"] + sum((row[key] for key in level_keys), Decimal(0))
        assert abs(parts - row["total"]) <= Decimal("0.05"), row["unit_id"]


def test_ties_share_a_rank_and_the_next_rank_skips():
    """Competition ranking on the total rounded to 2 places: 1, 2, 2, 4; ties listed by unit id."""
    rows = [
        {"total": Decimal("80"), "_tie": ("d",)},
        {"total": Decimal("85.004"), "_tie": ("c",)},
        {"total": Decimal("90"), "_tie": ("a",)},
        {"total": Decimal("84.996"), "_tie": ("b",)},
        {"total": None, "_tie": ("e",)},
    ]
    competition_ranks(rows)
    assert [(row["_tie"][0], row["rank"]) for row in rows] == [("a", 1), ("b", 2), ("c", 2), ("d", 4), ("e", None)]


def test_summary_counts_grades_and_gives_mean_median_min_max():
    """Median of an even count is the mean of the middle two; all figures to 2 places."""
    from perfscore.batch.run import ruleset_info
    from perfscore.load import load_ruleset

    info = ruleset_info(load_ruleset("canlian"))
    rows = [{"total": Decimal(value), "grade": grade} for value, grade in (("95", "优"), ("85", "良"), ("70", "中"), ("91", "优"))]
    summary = summarise(rows, [info])
    assert summary["grades"] == {"优": 2, "良": 1, "中": 1, "差": 0}
    assert (summary["mean"], summary["median"], summary["min"], summary["max"]) == (Decimal("85.25"), Decimal("88.00"), Decimal("70.00"), Decimal("95.00"))


def test_a_corrupted_file_in_a_batch_of_50_is_listed_and_the_rest_scored(tmp_path, capsys):
    """49 good units and one broken file: 49 rows, an errors section naming the file, exit 1."""
    write_submissions(49, 11, tmp_path, 2022)
    broken = tmp_path / "broken.toml"
    broken.write_text('[unit]\nid = "x"\nname = \n', encoding="utf-8")
    out_file = tmp_path / "out" / "table.txt"
    out_file.parent.mkdir()
    status, _, err = _table_text(capsys, str(tmp_path), "-o", str(out_file))
    assert status == 1
    text = out_file.read_text(encoding="utf-8")
    assert "未能评分的文件（1）" in text
    assert "broken.toml" in text and "TOML 语法错误" in text  # the errors section speaks the table's language
    assert "broken.toml" in err
    assert "行数 49" in text
    assert not [path for path in out_file.parent.iterdir() if path.name.endswith(".tmp")]


def test_jobs_2_output_is_byte_identical_to_jobs_1(batch, tmp_path, capsys):
    """--jobs 2 scores in two processes and writes exactly the bytes --jobs 1 writes."""
    for fmt in ("table", "json"):
        one, two = tmp_path / f"one.{fmt}", tmp_path / f"two.{fmt}"
        assert main(["table", str(batch), "--format", fmt, "-o", str(one)]) == 0
        assert main(["table", str(batch), "--format", fmt, "--jobs", "2", "-o", str(two)]) == 0
        assert one.read_bytes() == two.read_bytes()


def test_mixed_years_are_refused_unless_allowed(tmp_path, capsys):
    """Units of 2021 and 2022 in one table: exit 2 naming both years; --allow-mixed tabulates them."""
    write_submissions(3, 5, tmp_path / "y2022", 2022)
    write_submissions(2, 5, tmp_path / "y2021", 2021)
    status, out, err = _table_text(capsys, str(tmp_path))
    assert status == 2
    assert "2 different years" in err and "2021" in err and "2022" in err
    assert out == ""
    status, out, _ = _table_text(capsys, str(tmp_path), "--allow-mixed")
    assert status == 0
    assert "--allow-mixed" in out


def test_a_submission_declaring_another_ruleset_is_refused(tmp_path, capsys):
    """With --ruleset canlian, a unit declaring canlian-hubei (other rules) is refused, and named."""
    paths = write_submissions(3, 6, tmp_path, 2022)
    data = read_toml(paths[0])
    data["ruleset"] = "canlian-hubei"
    paths[0].write_text(tomli_w.dumps(data), encoding="utf-8")
    status, _, err = _table_text(capsys, str(tmp_path), "--ruleset", "canlian")
    assert status == 2
    assert "canlian-hubei" in err and paths[0].name in err
    status, _, err = _table_text(capsys, str(tmp_path))
    assert status == 2 and "2 different rulesets" in err
    status, out, _ = _table_text(capsys, str(tmp_path), "--allow-mixed")
    assert status == 0 and "canlian-hubei" in out


def test_a_unit_missing_a_required_indicator_is_flagged_in_its_row(tmp_path):
    """A unit with a 生活小秘书 project but no 上门服务户数 or 服务满意率 shows both as missing."""
    data = {
        "ruleset": "canlian",
        "unit": {"id": "u-missing", "name": "测试区残联", "year": 2022},
        "projects": [
            {
                "id": "sec", "name": "生活小秘书", "area": "secretary",
                "funds": [{"budget": Decimal("100"), "spending": Decimal("95")}],
                "indicators": [{"indicator": "secretary.service_hours", "target": 1000, "actual": 1000}],
            }
        ],
    }
    (tmp_path / "u.toml").write_text(tomli_w.dumps(data), encoding="utf-8")
    shutil.copy(SEED, tmp_path / "seed.toml")
    table = table_from_paths([tmp_path])
    row = next(row for row in table.rows if row["unit_id"] == "u-missing")
    assert row["missing"] == 2
    assert row["missing_ids"] == "secretary.households_served secretary.satisfaction_rate"
    assert next(row for row in table.rows if row["unit_id"] == "district-canlian")["missing"] == 0


def test_compare_adds_previous_year_totals_and_deltas_by_unit_id(tmp_path):
    """Same seed, two years: every unit matched by id, delta = this year's total − last year's."""
    write_submissions(6, 9, tmp_path / "y2022", 2022)
    write_submissions(5, 9, tmp_path / "y2021", 2021)
    table = table_from_paths([tmp_path / "y2022"], compare=[tmp_path / "y2021"])
    matched = [row for row in table.rows if row["previous_total"] is not None]
    assert len(matched) == 5
    for row in matched:
        assert row["delta"] == row["total"] - row["previous_total"]
        assert isinstance(row["rank_change"], int)
    assert table.previous["years"] == [2021]


def test_by_project_and_by_area_rank_their_rows(batch):
    """--by project gives one row per project; --by area one row per area over every unit."""
    projects = table_from_paths([batch], by="project")
    units = table_from_paths([batch])
    assert len(projects.rows) > len(units.rows)
    areas = table_from_paths([batch], by="area")
    assert {row["area_id"] for row in areas.rows} <= {"rehabilitation", "employment", "rights", "secretary", "accessibility", "general"}
    assert sorted(row["rank"] for row in areas.rows)[0] == 1


def test_sort_by_another_column_keeps_the_ranks(batch):
    """--sort budget orders rows by budget, biggest first; ranks stay those of the totals."""
    table = table_from_paths([batch], sort="budget")
    budgets = [row["budget"] for row in table.rows]
    assert budgets == sorted(budgets, reverse=True)
    ranked = table_from_paths([batch])
    assert {row["unit_id"]: row["rank"] for row in table.rows} == {row["unit_id"]: row["rank"] for row in ranked.rows}


def test_unknown_sort_column_is_a_usage_error(batch, capsys):
    """--sort nonsense: exit 2 listing the columns that exist."""
    status, _, err = _table_text(capsys, str(batch), "--sort", "nonsense")
    assert status == 2 and "total" in err


def test_csv_and_json_carry_the_ruleset_and_english_headers(batch, capsys):
    """CSV has a header line and one line per unit; JSON names the ruleset; --lang en headers."""
    status, out, _ = _table_text(capsys, str(batch), "--format", "csv", "--lang", "en")
    assert status == 0
    lines = out.strip().split("\n")
    assert lines[0].startswith("Rank,Unit id,Unit,Year") and len(lines) == 22
    status, out, _ = _table_text(capsys, str(batch), "--format", "json")
    data = json.loads(out)
    assert data["format"] == "perfscore-table/1" and data["rulesets"][0]["id"] == "canlian"
    assert len(data["rows"]) == 21 and data["errors"] == []


def test_progress_bar_only_on_a_terminal_for_large_batches():
    """No bar on a pipe or file, nor for a small batch; a bar when forced on a large one."""
    import io

    quiet = io.StringIO()
    progress = Progress(500, stream=quiet)
    progress.advance(500)
    progress.close()
    assert quiet.getvalue() == ""
    small = Progress(10, stream=io.StringIO(), force=True)
    assert not small.enabled
    shown = io.StringIO()
    bar = Progress(200, stream=shown, force=True)
    bar.advance(200)
    bar.close()
    assert "200/200" in shown.getvalue()


def test_summaries_hold_no_evaluation_objects(batch):
    """Workers hand back plain summaries (strings, ints, Decimals), never Evaluation objects."""
    scorer: BatchScorer = make_scorer([], None, "unit")
    outcome = scorer.score(next(batch.glob("generated/*.toml")))

    def plain(value) -> bool:
        if isinstance(value, (str, int, Decimal, type(None), bool)):
            return True
        if isinstance(value, (tuple, list)):
            return all(plain(item) for item in value)
        if isinstance(value, dict):
            return all(plain(key) and plain(item) for key, item in value.items())
        if hasattr(value, "__slots__"):
            return all(plain(getattr(value, name)) for name in value.__slots__)
        return False

    assert plain(outcome)


def test_a_table_leaves_the_garbage_collector_as_it_found_it(tmp_path):
    """Building a table freezes its collected summaries for speed, and unfreezes them when
    done, so a process that builds tables again reclaims memory as usual."""
    import gc

    from perfscore.cli import main

    assert main(["table", str(ROOT / "seeds"), "-o", str(tmp_path / "table.txt")]) == 0
    assert gc.get_freeze_count() == 0  # the scorer froze its plugins and rulesets while it ran


@pytest.mark.parametrize("fmt", ["table", "github", "markdown", "csv", "json"])
def test_a_table_written_to_a_file_is_the_table_printed(batch, tmp_path, capsys, fmt):
    """-o writes the table as it is drawn (never whole in memory), the same text as stdout (csv: with its BOM)."""
    status, out, _ = _table_text(capsys, str(batch), "--format", fmt)
    output = tmp_path / f"table.{fmt}"
    assert main(["table", str(batch), "--format", fmt, "-o", str(output)]) == status == 0
    capsys.readouterr()
    assert output.read_text(encoding="utf-8") == ("\ufeff" if fmt == "csv" else "") + out
    assert [path.name for path in tmp_path.iterdir()] == [output.name]


def test_the_streamed_json_is_the_whole_document_dumped(batch):
    """The JSON written a row at a time is, byte for byte, json.dumps of the whole table."""
    from perfscore.output.table import _json_value, render_json

    table = table_from_paths([batch])
    text = render_json(table)
    whole = json.loads(text)
    whole["rows"] = [{column.key: _json_value(row.get(column.key)) for column in table.columns} for row in table.rows]
    assert text == json.dumps(whole, ensure_ascii=False, indent=2) + "\n"


def test_a_table_that_fails_while_written_keeps_the_previous_file(batch, tmp_path):
    """An error half way through a streamed table leaves the previous file as it was and no temporary file."""
    from perfscore.files import atomic_writer
    from perfscore.output.table import write_table

    output = tmp_path / "table.txt"
    output.write_text("previous table\n", encoding="utf-8")
    table = table_from_paths([batch])

    class Broken(RuntimeError):
        pass

    with pytest.raises(Broken):
        with atomic_writer(output) as out:
            write_table(table, "table", out)
            out.flush()  # part of the table is in the temporary file
            raise Broken()
    assert output.read_text(encoding="utf-8") == "previous table\n"
    assert [path.name for path in tmp_path.iterdir()] == ["table.txt"]


@pytest.mark.parametrize("by", ["unit", "project"])
def test_a_streamed_csv_is_the_csv_of_the_whole_table(batch, tmp_path, capsys, by):
    """--format csv --sort file is written as the files are scored, and is the CSV of the table built whole, byte for byte."""
    from perfscore.output.table import render_csv

    output = tmp_path / "streamed.csv"
    assert main(["table", str(batch), "--by", by, "--format", "csv", "--sort", "file", "--jobs", "2", "-o", str(output)]) == 0
    capsys.readouterr()
    whole = render_csv(table_from_paths([batch], by=by, sort="file"))
    assert output.read_text(encoding="utf-8") == "\ufeff" + whole


def test_no_rank_drops_the_rank_column_and_lists_files_in_order(batch, capsys):
    """--no-rank: no rank column, rows in file order, streamed for csv and the same rows in the text table."""
    status, out, _ = _table_text(capsys, str(batch), "--format", "csv", "--no-rank", "--lang", "en")
    assert status == 0
    import csv

    header, *rows = list(csv.reader(out.splitlines()))
    assert header[:3] == ["Unit id", "Unit", "Year"] and len(rows) == 21
    files = [row[header.index("File")] for row in rows]
    assert files == sorted(files)
    status, text, _ = _table_text(capsys, str(batch), "--no-rank", "--lang", "en")
    assert status == 0 and "Rank" not in text.split("\n")[3]
