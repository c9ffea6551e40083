"""Command line: ``perfscore score | explain | check | report | table | import | template | export | ingest | review | history | db | generate | plugins | new-plugin``.

The top of the flow (load → scoring → plugin/rules → find → narrate / batch → output →
cli) and the only module that sees argparse: it turns arguments into typed calls (for
``table``, a :class:`~perfscore.batch.table.TableOptions`), writes what the output stage
renders to stdout or a file, and maps the outcome to an exit status. Bad input prints every
problem (file, line or key path, what was expected) and exits 2; a traceback means a bug.
Exit statuses are :class:`perfscore.errors.ExitCode`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from perfscore.errors import ExitCode, PerfscoreError, Problem
from perfscore.limits import check_limits
from perfscore.files import atomic_write
from perfscore.messages import LANGUAGES, message, pick
from perfscore.numbers import DASH, whole

if TYPE_CHECKING:
    from perfscore.batch.table import Table, TableOptions
    from perfscore.engine import Engine
    from perfscore.find import Evaluation


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=LANGUAGES, default=LANGUAGES[0], help="language of the output (default zh)")
    parser.add_argument("--plugins-dir", action="append", type=Path, default=[], metavar="DIR", help="also load plugin modules (*.py) from DIR")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="perfscore", description="Score project-expenditure performance self-evaluations (项目支出绩效自评).")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    score = commands.add_parser("score", help="print the project and unit score table")
    score.add_argument("file", type=Path)
    score.add_argument("--ruleset", help="ruleset name or path (default: the submission's, else canlian)")
    score.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    score.add_argument("-o", "--output", type=Path, help="write to this file (atomically) instead of stdout")
    _common(score)

    explain = commands.add_parser("explain", help="print why every point was given or lost")
    explain.add_argument("file", type=Path, nargs="?", help="a submission file; with --db, a unit id")
    explain.add_argument("--ruleset")
    explain.add_argument("--indicator", metavar="ID", help="explain this indicator only")
    _store_option(explain, switch=True)
    explain.add_argument("--year", type=int, help="with --db: the year of the unit's stored submission")
    _common(explain)

    check = commands.add_parser("check", help="validate a submission, and warn about what it lacks (missing targets, categories)")
    check.add_argument("file", type=Path, nargs="+")
    check.add_argument("--ruleset")
    check.add_argument("--strict", action="store_true", help="exit 2 when there is any warning, as for an error")
    _common(check)

    report = commands.add_parser("report", help="write the full self-evaluation report (一 to 六)")
    report.add_argument("file", type=Path)
    report.add_argument("--ruleset")
    report.add_argument("--format", choices=("markdown", "text", "json"), default="markdown")
    report.add_argument("-o", "--output", type=Path)
    _common(report)

    table = commands.add_parser("table", help="score many submissions into one ranked, comparable table")
    table.add_argument("paths", type=Path, nargs="*", help="submission files or folders (none with --db)")
    table.add_argument("--ruleset")
    table.add_argument("--by", choices=("unit", "project", "area"), default="unit")
    table.add_argument("--sort", default="total", metavar="COL")
    table.add_argument("--format", choices=("table", "github", "csv", "json", "markdown", "xlsx"), default="table", help="csv written to a file (-o) starts with a BOM, for Excel; xlsx needs -o")
    table.add_argument("-o", "--output", type=Path)
    table.add_argument("--jobs", type=int, default=1, metavar="N")
    table.add_argument("--compare", nargs="+", metavar="OLD_PATHS", help="previous-year submissions, matched by unit id (with --db: the previous year)")
    table.add_argument("--allow-mixed", action="store_true", help="accept mixed rulesets or years")
    _store_option(table, switch=True)
    table.add_argument("--year", type=int, help="with --db: the year to tabulate")
    _common(table)

    importing = commands.add_parser("import", help="read 自评表 workbooks (.xlsx, .xls, .ods) into submission TOML files, one a project sheet")
    importing.add_argument("workbooks", type=Path, nargs="+", metavar="WORKBOOK")
    importing.add_argument("-o", "--output", type=Path, default=Path("."), metavar="DIR", help="the folder to write to (default: the current one)")
    importing.add_argument("--unit-id", help="the unit's id (default: its name)")
    importing.add_argument("--unit-name", help="the unit's name (default: 实施单位, else 主管部门)")
    importing.add_argument("--year", type=int, help="the year (default: the （YYYY年度） of the title)")
    importing.add_argument("--ruleset", help="write this ruleset into the submissions")

    template = commands.add_parser("template", help="write a blank 自评表 workbook in the national layout for a unit to fill")
    template.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    template.add_argument("--ruleset", help="the ruleset whose categories the drop-downs offer (default canlian)")
    template.add_argument("--projects", type=int, default=1, metavar="N", help="project sheets (default 1)")
    _common(template)

    export = commands.add_parser("export", help="write a scored submission as a 自评表 workbook: own scores beside computed ones")
    export.add_argument("file", type=Path)
    export.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    export.add_argument("--ruleset")
    _common(export)

    ingest = commands.add_parser("ingest", help="score submissions and keep them in the store (docs/store.md)")
    ingest.add_argument("paths", type=Path, nargs="+")
    ingest.add_argument("--ruleset")
    ingest.add_argument("--jobs", type=int, default=1, metavar="N")
    _store_option(ingest)
    _common(ingest)

    review = commands.add_parser("review", help="adjust a stored unit's score with a reason (复核), or withdraw an adjustment")
    review.add_argument("unit", metavar="UNIT")
    review.add_argument("--year", type=int, required=True)
    action = review.add_mutually_exclusive_group(required=True)
    action.add_argument("--adjust", metavar="TARGET=±POINTS", help="TARGET: PROJECT, PROJECT/budget, PROJECT/LEVEL or PROJECT/ROW")
    action.add_argument("--withdraw", type=int, metavar="ENTRY_ID", help="withdraw an adjustment by its entry id")
    review.add_argument("--reason", required=True)
    review.add_argument("--by", required=True, metavar="NAME", help="the reviewer")
    _store_option(review)
    _common(review)

    history = commands.add_parser("history", help="a unit's stored versions across years, with self, computed and reviewed scores")
    history.add_argument("unit", metavar="UNIT")
    _store_option(history)
    _common(history)

    database = commands.add_parser("db", help="the store's database: db upgrade creates or migrates it")
    database.add_argument("action", choices=("upgrade",))
    _store_option(database)
    _common(database)

    generate = commands.add_parser("generate", help="write realistic synthetic submissions (marked synthetic)")
    generate.add_argument("count", type=int)
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("-o", "--output", type=Path, required=True, metavar="DIR")
    generate.add_argument("--year", type=int, default=2022)

    plugins = commands.add_parser("plugins", help="list plugins with their hooks and areas")
    plugins.add_argument("--format", choices=("table", "json"), default="table")
    plugins.add_argument("--plugins-dir", action="append", type=Path, default=[], metavar="DIR")

    new_plugin = commands.add_parser("new-plugin", help="scaffold a working plugin package")
    new_plugin.add_argument("name")
    new_plugin.add_argument("--dir", type=Path, default=Path("."))
    new_plugin.add_argument("--area", help="area id the plugin scores (default: derived from NAME)")
    return parser


def _store_option(parser: argparse.ArgumentParser, switch: bool = False) -> None:
    help_text = "the store: a database URL or SQLite file (default $PERFSCORE_DB, else perfscore.db here)"
    if switch:  # on table and explain, --db alone reads the default store
        parser.add_argument("--db", nargs="?", const="", default=None, metavar="URL", help=help_text)
    else:
        parser.add_argument("--db", default=None, metavar="URL", help=help_text)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        atomic_write(output, text)


def _engine(args: argparse.Namespace) -> Engine:
    from perfscore.engine import Engine
    from perfscore.plugin.manager import make_host

    return Engine(make_host(args.plugins_dir), getattr(args, "ruleset", None))


def cmd_score(args: argparse.Namespace) -> int:
    from perfscore.output import result as render

    evaluation = _engine(args).evaluate(args.file)
    if args.format == "json":
        text = render.to_json(render.evaluation_dict(evaluation, args.lang))
    else:
        text = render.score_table(evaluation, args.format, args.lang)
    _emit(text, args.output)
    return _status(evaluation)


def _status(evaluation: Evaluation) -> int:
    if evaluation.failures:
        for failure in evaluation.failures:
            print(f"perfscore: {failure.render()}", file=sys.stderr)
        return ExitCode.PARTIAL
    return ExitCode.OK


def cmd_explain(args: argparse.Namespace) -> int:
    from perfscore.output import result as render

    if args.db is not None:
        return _explain_stored(args)
    if args.file is None:
        raise PerfscoreError(Problem("no submission named", location="FILE", expected="explain FILE, or explain --db [URL] UNIT --year YEAR"))
    evaluation = _engine(args).evaluate(args.file)
    if args.indicator and not any(s.definition.id == args.indicator for s in evaluation.unit.indicators):
        known = sorted({s.definition.id for s in evaluation.unit.indicators})
        raise PerfscoreError(f"{args.file}: no scored indicator {args.indicator!r} (expected one of: {', '.join(known) or 'none'})")
    sys.stdout.write(render.explain_text(evaluation, args.indicator, args.lang))
    return _status(evaluation)


def cmd_check(args: argparse.Namespace) -> int:
    """Validate each file; then score it and warn about what the unit should fix before
    handing it in (rules marked ``check = true``). ``--strict`` makes a warning fail."""
    engine = _engine(args)
    failed = warned = False
    for path in args.file:
        try:
            evaluation = engine.evaluate(path)
        except PerfscoreError as error:
            failed = True
            for problem in error.problems:
                print(f"perfscore: {problem.render()}", file=sys.stderr)
            continue
        submission, ruleset = evaluation.unit.submission, evaluation.unit.ruleset
        warnings = evaluation.check_warnings
        verdict = message("labels.valid_with_warnings" if warnings else "labels.valid", args.lang, count=whole(len(warnings)))
        print(f"{path}: {verdict} ({submission.unit.name} {whole(submission.unit.year)}, {whole(len(submission.projects))} projects, ruleset {ruleset.ruleset.id} {ruleset.ruleset.version})")
        names = {project.id: project.name for project in submission.projects}
        for finding in warnings:
            warned = True
            where = names.get(finding.project or "", "")
            print(message("labels.check_warning", args.lang, project=where, text=pick((finding.title.zh, finding.title.en), args.lang)))
    if failed or (warned and args.strict):
        return ExitCode.USAGE_ERROR
    return ExitCode.OK


def cmd_report(args: argparse.Namespace) -> int:
    from perfscore.output import report

    evaluation = _engine(args).evaluate(args.file)
    _emit(report.render_report(evaluation, args.format, args.lang), args.output)
    return _status(evaluation)


def table_options(args: argparse.Namespace) -> TableOptions:
    """The typed options of ``perfscore table`` from its parsed arguments."""
    from perfscore.batch.table import TableOptions

    return TableOptions(
        ruleset=args.ruleset,
        by=args.by,
        sort=args.sort,
        jobs=args.jobs,
        compare=tuple(Path(path) for path in args.compare) if args.compare is not None and args.db is None else None,
        allow_mixed=args.allow_mixed,
        lang=args.lang,
        plugins_dir=tuple(args.plugins_dir),
    )


def cmd_table(args: argparse.Namespace) -> int:
    """Score, check, rank, write; the exit status says whether every file scored."""
    from perfscore.batch.make import make_table
    from perfscore.output.table import render

    if args.format == "xlsx" and args.output is None:
        raise PerfscoreError("table --format xlsx writes a workbook: give the file with -o table.xlsx")
    if args.db is not None:
        table = _stored_table(args)
    elif not args.paths:
        raise PerfscoreError(Problem("no submissions named", location="PATHS", expected="files or folders of submissions, or --db with --year to read the store"))
    else:
        table = make_table(args.paths, table_options(args))
    if args.format == "xlsx":
        from perfscore.output.excel import table_xlsx

        atomic_write(args.output, table_xlsx(table))
    elif args.format == "csv" and args.output is not None:
        atomic_write(args.output, "\ufeff" + render(table, "csv"))  # the BOM tells Excel it is UTF-8
    else:
        _emit(render(table, args.format), args.output)
    if args.output is not None or args.format == "csv":
        # the errors section is in the file (or, for csv, nowhere): say so where a person looks
        for failure in table.failures:
            for problem in failure.problems:
                print(f"perfscore: {problem.render()}", file=sys.stderr)
    for file, reasons in table.incomplete:
        for reason in reasons:
            print(f"perfscore: {file}: {reason}", file=sys.stderr)
    return int(table.exit_code)


def cmd_import(args: argparse.Namespace) -> int:
    """Read every workbook first; write nothing unless all of them read (one TOML a project sheet)."""
    from perfscore import workbook

    overrides = workbook.UnitOverrides(args.unit_id, args.unit_name, args.year, args.ruleset)
    problems = []
    outputs: list[tuple[Path, str]] = []
    notes: list[str] = []
    for path in args.workbooks:
        try:
            book = workbook.read(path)
            for sheet, raw in workbook.sheet_submissions(book, overrides):
                outputs.append((args.output / workbook.output_name(path, sheet), workbook.to_toml(raw)))
        except PerfscoreError as error:
            problems += error.problems
            continue
        skipped = workbook.describe_skipped(book)
        if skipped:
            notes.append(f"{path}: {skipped}")
    if problems:
        raise PerfscoreError(problems)
    names = [target for target, _ in outputs]
    clashes = sorted({str(name) for name in names if names.count(name) > 1})
    if clashes:
        raise PerfscoreError(f"two project sheets would be written to the same file: {', '.join(clashes)} (rename a sheet)")
    for note in notes:
        print(f"perfscore: {note}", file=sys.stderr)
    try:
        args.output.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise PerfscoreError(f"{args.output}: cannot make the output folder: {error.strerror or error}") from None
    for target, text in outputs:
        atomic_write(target, text)
        print(target)
    return ExitCode.OK


def cmd_template(args: argparse.Namespace) -> int:
    from perfscore.engine import load_ruleset
    from perfscore.load import DEFAULT_RULESET
    from perfscore.workbook.template import template

    if not 1 <= args.projects <= 100:
        raise PerfscoreError(f"--projects {args.projects}: expected 1 to 100 project sheets")
    atomic_write(args.output, template(load_ruleset(args.ruleset or DEFAULT_RULESET), args.projects, lang=args.lang))
    return ExitCode.OK


def cmd_export(args: argparse.Namespace) -> int:
    from perfscore.output.excel import export_xlsx

    evaluation = _engine(args).evaluate(args.file)
    atomic_write(args.output, export_xlsx(evaluation, args.lang))
    return _status(evaluation)

def _stored_table(args: argparse.Namespace) -> Table:
    from perfscore.store.database import open_store
    from perfscore.store.history import store_table

    if args.paths or args.year is None:
        raise PerfscoreError(Problem("table --db reads the store, not files", location="--db", expected="table --db [URL] --year YEAR [--compare PREVIOUS_YEAR], without PATHS"))
    compare = None
    if args.compare is not None:
        if len(args.compare) != 1 or not args.compare[0].isdigit():
            raise PerfscoreError(Problem(f"--compare {' '.join(args.compare)}", location="--compare", expected="with --db, one previous year: --compare 2021"))
        compare = int(args.compare[0])
    store = open_store(args.db)
    try:
        return store_table(store, args.year, table_options(args), compare)
    finally:
        store.close()


def _explain_stored(args: argparse.Namespace) -> int:
    from perfscore.output.store import audit_text
    from perfscore.store.database import open_store
    from perfscore.store.history import audit

    if args.year is None:
        raise PerfscoreError(Problem("explain --db needs the year", location="--year", expected="explain --db [URL] UNIT --year YEAR"))
    db, unit = args.db, args.file
    if unit is None:  # "explain --db UNIT": argparse gave the unit to --db; the store is the default one
        db, unit = "", args.db
    if not unit:
        raise PerfscoreError(Problem("explain --db needs the unit id", location="UNIT", expected="explain --db [URL] UNIT --year YEAR"))
    store = open_store(db)
    try:
        sys.stdout.write(audit_text(audit(store, str(unit), args.year, args.lang), args.lang))
    finally:
        store.close()
    return ExitCode.OK


def cmd_ingest(args: argparse.Namespace) -> int:
    """Score and store every submission; exit 1 when some failed (listed, and recorded)."""
    from perfscore.output.result import explain_text
    from perfscore.output.store import ingest_summary
    from perfscore.store.database import open_store, shown
    from perfscore.store.ingest import ingest

    store = open_store(args.db, create=True)
    try:
        report = ingest(store, args.paths, explain_text, ruleset=args.ruleset, plugins_dirs=args.plugins_dir, jobs=args.jobs)
    finally:
        store.close()
    sys.stdout.write(ingest_summary(report, shown(store.url), args.lang))
    return ExitCode.PARTIAL if report.failures or report.incomplete else ExitCode.OK


def cmd_review(args: argparse.Namespace) -> int:
    from perfscore.numbers import signed
    from perfscore.store.database import open_store
    from perfscore.store.review import adjust, parse_adjustment, withdraw

    store = open_store(args.db)
    try:
        if args.adjust is not None:
            adjustment = parse_adjustment(args.adjust)
            entry = adjust(store, args.unit, args.year, adjustment, args.reason, args.by)
            print(message("store.adjusted", args.lang, entry=whole(entry), unit=args.unit, year=whole(args.year), target=adjustment.target, points=signed(adjustment.points)))
        else:
            entry = withdraw(store, args.unit, args.year, args.withdraw, args.reason, args.by)
            print(message("store.withdrawn", args.lang, entry=whole(entry), withdrawn=whole(args.withdraw)))
    finally:
        store.close()
    return ExitCode.OK


def cmd_history(args: argparse.Namespace) -> int:
    from perfscore.output.store import history_text
    from perfscore.store.database import open_store
    from perfscore.store.history import unit_history

    store = open_store(args.db)
    try:
        sys.stdout.write(history_text(unit_history(store, args.unit), args.lang))
    finally:
        store.close()
    return ExitCode.OK


def cmd_db(args: argparse.Namespace) -> int:
    from perfscore.store.database import make_engine, resolve_url, shown, upgrade

    url = resolve_url(args.db)
    engine = make_engine(url)
    try:
        revision = upgrade(engine, url)
    finally:
        engine.dispose()
    print(message("store.upgraded", args.lang, revision=revision, db=shown(url)))
    return ExitCode.OK


def cmd_generate(args: argparse.Namespace) -> int:
    from perfscore import generate

    written = generate.write_submissions(args.count, args.seed, args.output, args.year)
    print(f"wrote {whole(len(written))} synthetic submissions to {args.output}")
    return ExitCode.OK


def cmd_plugins(args: argparse.Namespace) -> int:
    import json

    from tabulate import tabulate as render_table

    from perfscore.plugin.manager import make_host

    host = make_host(args.plugins_dir)
    infos = host.describe()
    if args.format == "json":
        data = [{"name": i.name, "version": i.version, "origin": i.origin, "hooks": i.hooks, "areas": i.areas} for i in infos]
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        rows = [[i.name, i.version, i.origin, "\n".join(i.hooks), ", ".join(i.areas) or DASH] for i in infos]
        sys.stdout.write(render_table(rows, headers=["plugin", "version", "origin", "hooks", "areas"], tablefmt="simple") + "\n")
    return ExitCode.OK


def cmd_new_plugin(args: argparse.Namespace) -> int:
    from perfscore import scaffold

    path = scaffold.new_plugin(args.name, args.dir, args.area)
    print(f"created {path}; install it with: pip install -e {path}")
    return ExitCode.OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "score": cmd_score,
    "explain": cmd_explain,
    "check": cmd_check,
    "report": cmd_report,
    "table": cmd_table,
    "import": cmd_import,
    "template": cmd_template,
    "export": cmd_export,
    "generate": cmd_generate,
    "plugins": cmd_plugins,
    "new-plugin": cmd_new_plugin,
    "ingest": cmd_ingest,
    "review": cmd_review,
    "history": cmd_history,
    "db": cmd_db,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        check_limits()  # a bad PERFSCORE_* setting is one clear error, in every command
        return int(COMMANDS[args.command](args))
    except PerfscoreError as error:
        for problem in error.problems:
            print(f"perfscore: {problem.render()}", file=sys.stderr)
        return int(ExitCode.USAGE_ERROR)
    except BrokenPipeError:
        return int(ExitCode.OK)
    except KeyboardInterrupt:
        # Ctrl-C, or a plugin raising KeyboardInterrupt: stop cleanly, as a shell expects
        print("perfscore: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)


if __name__ == "__main__":
    sys.exit(main())
