"""Command line: ``perfscore score | explain | check | report | table | import | template | export | ingest | review | history | db | serve | generate | plugins | new-plugin``.

The top of the flow (load → scoring → plugin/rules → find → narrate / batch → output →
cli) and the only module that sees argparse: it turns arguments into typed calls (for
``table``, a :class:`~perfscore.batch.table.TableOptions`), writes what the output stage
renders to stdout or a file, and maps the outcome to an exit status. Bad input prints every
problem (file, line or key path, what was expected) and exits 2; a traceback means a bug.
Exit statuses are :class:`perfscore.errors.ExitCode`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, NoReturn, Sequence

from perfscore.errors import ExitCode, PerfscoreError, Problem, fill
from perfscore.limits import check_limits
from perfscore.files import atomic_write, atomic_writer
from perfscore.messages import DEFAULT_LANGUAGE, LANGUAGES, argparse_detail, interface_language, message, pick, render_problem
from perfscore.numbers import DASH, whole

if TYPE_CHECKING:
    from perfscore.batch.table import Table, TableOptions
    from perfscore.engine import Engine
    from perfscore.find import Evaluation
    from perfscore.narrate.opinion import Review


class _Parser(argparse.ArgumentParser):
    """argparse in the tool's language: headings, the help option and the error line come
    from the catalogue (messages/cli.toml), argparse's own detail from messages/argparse.toml."""

    lang: str = DEFAULT_LANGUAGE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = message("cli.positionals", self.lang)
        self._optionals.title = message("cli.optionals", self.lang)
        self.add_argument("-h", "--help", action="help", help=message("cli.help", self.lang))

    def format_usage(self) -> str:
        return super().format_usage().replace("usage: ", message("cli.usage", self.lang), 1)

    def format_help(self) -> str:
        return super().format_help().replace("usage: ", message("cli.usage", self.lang), 1)

    def error(self, text: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(ExitCode.USAGE_ERROR, f"{self.prog}: {message('cli.error', self.lang)}: {message('errors.usage_error', self.lang, detail=argparse_detail(text, self.lang))}\n")


def _common(parser: argparse.ArgumentParser, lang: str) -> None:
    parser.add_argument("--lang", choices=LANGUAGES, default=LANGUAGES[0], help=message("cli.lang", lang))
    parser.add_argument("--plugins-dir", action="append", type=Path, default=[], metavar="DIR", help=message("cli.plugins_dir", lang))


def build_parser(lang: str = DEFAULT_LANGUAGE) -> argparse.ArgumentParser:
    """The command line, its --help in ``lang`` (the tool's language: see interface_language)."""
    def h(key: str) -> str:
        return message(f"cli.{key}", lang)

    parser_class: type[_Parser] = type("Parser", (_Parser,), {"lang": lang})
    parser: argparse.ArgumentParser = parser_class(prog="perfscore", description=h("description"))
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title=h("commands"), parser_class=parser_class)

    score = commands.add_parser("score", help=h("cmd_score"), description=h("cmd_score"))
    score.add_argument("file", type=Path, help=h("file"))
    score.add_argument("--ruleset", help=h("ruleset"))
    score.add_argument("--format", choices=("table", "json", "markdown"), default="table", help=h("format"))
    score.add_argument("-o", "--output", type=Path, help=h("output"))
    _common(score, lang)

    explain = commands.add_parser("explain", help=h("cmd_explain"), description=h("cmd_explain"))
    explain.add_argument("file", type=Path, nargs="?", help=h("file_or_unit"))
    explain.add_argument("--ruleset", help=h("ruleset"))
    explain.add_argument("--indicator", metavar="ID", help=h("indicator"))
    _store_option(explain, lang, switch=True)
    explain.add_argument("--year", type=int, help=h("db_year"))
    _common(explain, lang)

    check = commands.add_parser("check", help=h("cmd_check"), description=h("cmd_check"))
    check.add_argument("file", type=Path, nargs="+", help=h("file"))
    check.add_argument("--ruleset", help=h("ruleset"))
    check.add_argument("--strict", action="store_true", help=h("strict"))
    _common(check, lang)

    report = commands.add_parser("report", help=h("cmd_report"), description=h("cmd_report"))
    report.add_argument("file", type=Path, help=h("file"))
    report.add_argument("--ruleset", help=h("ruleset"))
    report.add_argument("--format", choices=("markdown", "text", "json", "docx"), default="markdown", help=h("format"))
    report.add_argument("-o", "--output", type=Path, help=h("output"))
    _common(report, lang)

    opinion = commands.add_parser("opinion", help=h("cmd_opinion"), description=h("cmd_opinion"))
    opinion.add_argument("file", type=Path, nargs="?", help=h("file"))
    opinion.add_argument("--ruleset", help=h("ruleset"))
    opinion.add_argument("--format", choices=("markdown", "text", "json", "docx"), default="markdown", help=h("format"))
    opinion.add_argument("--deadline", metavar="DATE", help=h("deadline"))
    opinion.add_argument("-o", "--output", type=Path, help=h("output"))
    _store_option(opinion, lang, switch=True, help_key="opinion_db")
    _common(opinion, lang)

    table = commands.add_parser("table", help=h("cmd_table"), description=h("cmd_table"))
    table.add_argument("paths", type=Path, nargs="*", help=h("paths"))
    table.add_argument("--ruleset", help=h("ruleset"))
    table.add_argument("--by", choices=("unit", "project", "area"), default="unit", help=h("by"))
    table.add_argument("--sort", default="total", metavar="COL", help=h("sort"))
    table.add_argument("--format", choices=("table", "github", "csv", "json", "markdown", "xlsx"), default="table", help=h("table_format"))
    table.add_argument("-o", "--output", type=Path, help=h("output"))
    table.add_argument("--jobs", type=int, default=1, metavar="N", help=h("jobs"))
    table.add_argument("--compare", nargs="+", metavar="OLD_PATHS", help=h("compare"))
    table.add_argument("--allow-mixed", action="store_true", help=h("allow_mixed"))
    table.add_argument("--no-rank", action="store_true", help=h("no_rank"))
    _store_option(table, lang, switch=True)
    table.add_argument("--year", type=int, help=h("db_table_year"))
    _common(table, lang)

    importing = commands.add_parser("import", help=h("cmd_import"), description=h("cmd_import"))
    importing.add_argument("workbooks", type=Path, nargs="+", metavar="WORKBOOK", help=h("workbooks"))
    importing.add_argument("-o", "--output", type=Path, default=Path("."), metavar="DIR", help=h("import_output"))
    importing.add_argument("--unit-id", help=h("unit_id"))
    importing.add_argument("--unit-name", help=h("unit_name"))
    importing.add_argument("--year", type=int, help=h("import_year"))
    importing.add_argument("--ruleset", help=h("import_ruleset"))
    _common(importing, lang)

    template = commands.add_parser("template", help=h("cmd_template"), description=h("cmd_template"))
    template.add_argument("-o", "--output", type=Path, required=True, metavar="FILE", help=h("output"))
    template.add_argument("--ruleset", help=h("template_ruleset"))
    template.add_argument("--projects", type=int, default=1, metavar="N", help=h("projects"))
    _common(template, lang)

    export = commands.add_parser("export", help=h("cmd_export"), description=h("cmd_export"))
    export.add_argument("file", type=Path, help=h("file"))
    export.add_argument("-o", "--output", type=Path, required=True, metavar="FILE", help=h("output"))
    export.add_argument("--ruleset", help=h("ruleset"))
    _common(export, lang)

    ingest = commands.add_parser("ingest", help=h("cmd_ingest"), description=h("cmd_ingest"))
    ingest.add_argument("paths", type=Path, nargs="+", help=h("paths"))
    ingest.add_argument("--ruleset", help=h("ruleset"))
    ingest.add_argument("--jobs", type=int, default=1, metavar="N", help=h("jobs"))
    _store_option(ingest, lang)
    _common(ingest, lang)

    review = commands.add_parser("review", help=h("cmd_review"), description=h("cmd_review"))
    review.add_argument("unit", metavar="UNIT", help=h("unit"))
    review.add_argument("--year", type=int, required=True, help=h("review_year"))
    action = review.add_mutually_exclusive_group(required=True)
    action.add_argument("--adjust", metavar="TARGET=±POINTS", help=h("adjust"))
    action.add_argument("--withdraw", type=int, metavar="ENTRY_ID", help=h("withdraw"))
    review.add_argument("--reason", required=True, help=h("reason"))
    review.add_argument("--by", required=True, metavar="NAME", help=h("reviewer"))
    _store_option(review, lang)
    _common(review, lang)

    history = commands.add_parser("history", help=h("cmd_history"), description=h("cmd_history"))
    history.add_argument("unit", metavar="UNIT", help=h("unit"))
    _store_option(history, lang)
    _common(history, lang)

    database = commands.add_parser("db", help=h("cmd_db"), description=h("cmd_db"))
    database.add_argument("action", choices=("upgrade",), help=h("db_action"))
    _store_option(database, lang)
    _common(database, lang)

    serve = commands.add_parser("serve", help=h("cmd_serve"), description=h("cmd_serve"))
    _store_option(serve, lang)
    serve.add_argument("--host", default="127.0.0.1", help=h("serve_host"))
    serve.add_argument("--port", type=int, default=8000, help=h("serve_port"))
    serve.add_argument("--token", default=None, help=h("serve_token"))
    _common(serve, lang)

    generate = commands.add_parser("generate", help=h("cmd_generate"), description=h("cmd_generate"))
    generate.add_argument("count", type=int, help=h("count"))
    generate.add_argument("--seed", type=int, default=0, help=h("seed"))
    generate.add_argument("-o", "--output", type=Path, required=True, metavar="DIR", help=h("output_dir"))
    generate.add_argument("--year", type=int, default=2022, help=h("year"))
    generate.add_argument("--jobs", type=int, default=1, metavar="N", help=h("generate_jobs"))

    plugins = commands.add_parser("plugins", help=h("cmd_plugins"), description=h("cmd_plugins"))
    plugins.add_argument("--format", choices=("table", "json"), default="table", help=h("format"))
    plugins.add_argument("--plugins-dir", action="append", type=Path, default=[], metavar="DIR", help=h("plugins_dir"))

    new_plugin = commands.add_parser("new-plugin", help=h("cmd_new_plugin"), description=h("cmd_new_plugin"))
    new_plugin.add_argument("name", help=h("plugin_name"))
    new_plugin.add_argument("--dir", type=Path, default=Path("."), help=h("dir"))
    new_plugin.add_argument("--area", help=h("area"))
    return parser


def _store_option(parser: argparse.ArgumentParser, lang: str, switch: bool = False, help_key: str = "db") -> None:
    help_text = message(f"cli.{help_key}", lang)
    if switch:  # on table and explain, --db alone reads the default store
        parser.add_argument("--db", nargs="?", const="", default=None, metavar="URL", help=help_text)
    else:
        parser.add_argument("--db", default=None, metavar="URL", help=help_text)


#: the language the tool speaks to its user in this run (set by main from --lang or the environment)
_LANG = DEFAULT_LANGUAGE


def _emit(text: str | bytes, output: Path | None) -> None:
    if output is None:
        if isinstance(text, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(text)
        else:
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
            print(f"perfscore: {render_problem(Problem(failure.render(), key='plugin_failed', fields=fill(plugin=failure.plugin, hook=failure.hook, error=failure.error)), _LANG)}", file=sys.stderr)
        return ExitCode.PARTIAL
    return ExitCode.OK


def cmd_explain(args: argparse.Namespace) -> int:
    from perfscore.output import result as render

    if args.db is not None:
        return _explain_stored(args)
    if args.file is None:
        raise PerfscoreError(Problem("no submission named", location="FILE", expected="explain FILE, or explain --db [URL] UNIT --year YEAR", key="no_submission_named", expected_key="expected_explain_usage"))
    evaluation = _engine(args).evaluate(args.file)
    if args.indicator and not any(s.definition.id == args.indicator for s in evaluation.unit.indicators):
        known = sorted({s.definition.id for s in evaluation.unit.indicators})
        raise PerfscoreError(Problem(
            f"no scored indicator {args.indicator!r}", file=str(args.file), expected=f"one of: {', '.join(known) or 'none'}",
            key="no_indicator", expected_key="expected_indicator", fields=(("indicator", repr(args.indicator)), ("known", ", ".join(known) or DASH)),
        ))
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
                print(f"perfscore: {render_problem(problem, _LANG)}", file=sys.stderr)
            continue
        submission, ruleset = evaluation.unit.submission, evaluation.unit.ruleset
        warnings = evaluation.check_warnings
        verdict = message("labels.valid_with_warnings" if warnings else "labels.valid", args.lang, count=whole(len(warnings)))
        print(message("cli.checked", args.lang, path=path, verdict=verdict, unit=submission.unit.name, year=whole(submission.unit.year), projects=whole(len(submission.projects)), ruleset=ruleset.ruleset.id, version=ruleset.ruleset.version))
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
    if args.format == "docx":
        from perfscore.narrate.report import build_report
        from perfscore.output.docx import render_docx

        _emit(render_docx(build_report(evaluation, args.lang)), args.output)
    else:
        _emit(report.render_report(evaluation, args.format, args.lang), args.output)
    return _status(evaluation)


def cmd_opinion(args: argparse.Namespace) -> int:
    from perfscore.narrate.opinion import build_opinion
    from perfscore.output.report import render_document

    db, file = args.db, args.file
    if file is None and db:  # "opinion --db FILE": argparse gave the file to --db; the store is the default one
        db, file = "", Path(db)
    if file is None:
        raise PerfscoreError(Problem("no submission named", location="FILE", expected="opinion FILE [--db [URL]]", key="no_submission_named", expected_key="expected_opinion_usage"))
    evaluation = _engine(args).evaluate(file)
    review = _stored_review(file, evaluation, db) if db is not None else None
    opinion = build_opinion(evaluation, args.lang, deadline=args.deadline, review=review)
    if args.format == "docx":
        from perfscore.output.docx import render_docx

        _emit(render_docx(opinion), args.output)
    else:
        _emit(render_document(opinion, args.format), args.output)
    return _status(evaluation)


def _stored_review(file: Path, evaluation: Evaluation, db: str) -> Review | None:
    """The reviewed score of this file's stored version; None while no reviewer has an entry in its log."""
    import hashlib

    from perfscore.files import read_bytes
    from perfscore.narrate.opinion import Review
    from perfscore.store.database import open_store
    from perfscore.store.history import stored_review

    unit = evaluation.unit.submission.unit
    store = open_store(db)
    try:
        found = stored_review(store, unit.id, unit.year, hashlib.sha256(read_bytes(file)).hexdigest())
    finally:
        store.close()
    return Review(found.total, found.grade) if found.entries and found.total is not None else None


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
        no_rank=getattr(args, "no_rank", False),
    )


def cmd_table(args: argparse.Namespace) -> int:
    """Score, check, rank, write; the exit status says whether every file scored."""
    from perfscore.output.table import write_table

    if args.format == "xlsx" and args.output is None:
        raise PerfscoreError(Problem("table --format xlsx writes a workbook: give the file with -o table.xlsx", key="xlsx_needs_output"))
    if args.db is not None:
        table = _stored_table(args)
    elif not args.paths:
        raise PerfscoreError(Problem("no submissions named", location="PATHS", expected="files or folders of submissions, or --db with --year to read the store", key="no_submissions_named", expected_key="expected_table_paths"))
    else:
        from perfscore.batch.make import make_table, streams  # scoring files: not imported for the store's table

        options = table_options(args)
        if streams(options, args.format):
            return _streamed_csv(args, options)
        table = make_table(args.paths, options)
    if args.format == "xlsx":
        from perfscore.output.excel import table_xlsx

        atomic_write(args.output, table_xlsx(table))
    elif args.output is not None:
        # written as it is drawn: a province's table is never whole in memory as text
        with atomic_writer(args.output) as out:
            if args.format == "csv":
                out.write("\ufeff")  # the BOM tells Excel it is UTF-8
            write_table(table, args.format, out)
    else:
        write_table(table, args.format, sys.stdout)
    if args.output is not None or args.format == "csv":
        # the errors section is in the file (or, for csv, nowhere): say so where a person looks
        for failure in table.failures:
            for problem in failure.problems:
                print(f"perfscore: {render_problem(problem, _LANG)}", file=sys.stderr)
    for file, reasons in table.incomplete:
        for reason in reasons:
            print(f"perfscore: {file}: {reason}", file=sys.stderr)
    return int(table.exit_code)


def _streamed_csv(args: argparse.Namespace, options: TableOptions) -> int:
    """``table --format csv`` in file order (``--sort file``, ``--no-rank``): the rows go to a
    temporary file as they are scored and are copied out with the header at the end."""
    from perfscore.batch.make import stream_table
    from perfscore.output.table import write_csv_rows

    table = stream_table(args.paths, options)
    try:
        if args.output is not None:
            with atomic_writer(args.output) as out:
                out.write("\ufeff")  # the BOM tells Excel it is UTF-8
                write_csv_rows(out, table.lang, table.columns, table.rulesets, table.rows())
        else:
            write_csv_rows(sys.stdout, table.lang, table.columns, table.rulesets, table.rows())
    finally:
        table.close()
    for failure in table.failures:
        for problem in failure.problems:
            print(f"perfscore: {render_problem(problem, _LANG)}", file=sys.stderr)
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
            notes.append(render_problem(Problem(skipped, file=str(path), key="skipped_sheets", fields=fill(skipped=workbook.skipped_parts(book))), _LANG))
    if problems:
        raise PerfscoreError(problems)
    names = [target for target, _ in outputs]
    clashes = sorted({str(name) for name in names if names.count(name) > 1})
    if clashes:
        raise PerfscoreError(Problem(f"two project sheets would be written to the same file: {', '.join(clashes)} (rename a sheet)", key="sheet_outputs_clash", fields=fill(files=", ".join(clashes))))
    for note in notes:
        print(f"perfscore: {note}", file=sys.stderr)
    try:
        args.output.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise PerfscoreError(Problem(f"{args.output}: cannot make the output folder: {error.strerror or error}", key="cannot_make_folder", fields=fill(folder=args.output, reason=error.strerror or error))) from None
    for target, text in outputs:
        atomic_write(target, text)
        print(target)
    return ExitCode.OK


def cmd_template(args: argparse.Namespace) -> int:
    from perfscore.engine import load_ruleset
    from perfscore.load import DEFAULT_RULESET
    from perfscore.workbook.template import template

    if not 1 <= args.projects <= 100:
        raise PerfscoreError(Problem(f"--projects {args.projects}: expected 1 to 100 project sheets", key="bad_projects_count", fields=fill(projects=args.projects)))
    atomic_write(args.output, template(load_ruleset(args.ruleset or DEFAULT_RULESET), args.projects, lang=args.lang))
    return ExitCode.OK


def cmd_export(args: argparse.Namespace) -> int:
    from perfscore.output.excel import export_xlsx

    evaluation = _engine(args).evaluate(args.file)
    atomic_write(args.output, export_xlsx(evaluation, args.lang))
    return _status(evaluation)

def _stored_table(args: argparse.Namespace) -> Table:
    from perfscore.store.direct import year_table

    if args.paths or args.year is None:
        raise PerfscoreError(Problem("table --db reads the store, not files", location="--db", expected="table --db [URL] --year YEAR [--compare PREVIOUS_YEAR], without PATHS", key="table_db_not_files", expected_key="expected_table_db_usage"))
    compare = None
    if args.compare is not None:
        if len(args.compare) != 1 or not args.compare[0].isdigit():
            raise PerfscoreError(Problem(f"--compare {' '.join(args.compare)}", location="--compare", expected="with --db, one previous year: --compare 2021", key="bad_compare", expected_key="expected_compare_year", fields=fill(compare=" ".join(args.compare))))
        compare = int(args.compare[0])
    table = year_table(args.db, args.year, table_options(args), compare)  # through the driver alone, when the store allows
    if table is not None:
        return table
    from perfscore.store.database import open_store
    from perfscore.store.history import store_table

    store = open_store(args.db)
    try:
        return store_table(store, args.year, table_options(args), compare)
    finally:
        store.close()


def _explain_stored(args: argparse.Namespace) -> int:
    from perfscore.engine import Engine
    from perfscore.output.result import explain_text
    from perfscore.output.store import audit_text
    from perfscore.plugin.manager import make_host
    from perfscore.store.database import open_store
    from perfscore.store.history import audit

    if args.year is None:
        raise PerfscoreError(Problem("explain --db needs the year", location="--year", expected="explain --db [URL] UNIT --year YEAR", key="explain_db_needs_year", expected_key="expected_explain_db_usage"))
    db, unit = args.db, args.file
    if unit is None:  # "explain --db UNIT": argparse gave the unit to --db; the store is the default one
        db, unit = "", args.db
    if not unit:
        raise PerfscoreError(Problem("explain --db needs the unit id", location="UNIT", expected="explain --db [URL] UNIT --year YEAR", key="explain_db_needs_unit", expected_key="expected_explain_db_usage"))
    store = open_store(db)
    try:
        trail = audit(store, str(unit), args.year, args.lang, Engine(make_host(args.plugins_dir)), explain_text, args.ruleset)
        sys.stdout.write(audit_text(trail, args.lang))
    finally:
        store.close()
    return ExitCode.OK


def cmd_ingest(args: argparse.Namespace) -> int:
    """Score and store every submission; exit 1 when some failed (listed, and recorded)."""
    from perfscore.output.store import ingest_summary
    from perfscore.store.database import open_store, shown
    from perfscore.store.ingest import ingest

    store = open_store(args.db, create=True)
    try:
        report = ingest(store, args.paths, ruleset=args.ruleset, plugins_dirs=args.plugins_dir, jobs=args.jobs)
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


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the web view over the store until interrupted (docs/web.md)."""
    from perfscore.store.database import open_store, shown
    from perfscore.web import serve
    from perfscore.web.security import access_token

    token = access_token(args.token, args.host, _LANG)  # an error is in the tool's language
    if not 0 < args.port < 65536:
        raise PerfscoreError(Problem(f"--port {args.port}", location="--port", expected="a port from 1 to 65535", key="bad_port", expected_key="expected_port", fields=fill(port=whole(args.port))))
    store = open_store(args.db, create=True)
    try:
        print(message("cli.serving", _LANG, host=args.host, port=whole(args.port), db=shown(store.url)), file=sys.stderr)
        serve(store, args.host, args.port, token, tuple(args.plugins_dir))
    finally:
        store.close()
    return ExitCode.OK


def cmd_generate(args: argparse.Namespace) -> int:
    from perfscore import generate

    if args.jobs < 0:
        raise PerfscoreError(Problem(f"--jobs {args.jobs}", expected="0 (one per CPU) or a positive number of processes", key="bad_jobs", expected_key="expected_jobs", fields=fill(jobs=args.jobs)))
    written = generate.write_submissions(args.count, args.seed, args.output, args.year, jobs=args.jobs or os.cpu_count() or 1)
    print(message("cli.generated", _LANG, count=whole(len(written)), folder=args.output))
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
    print(message("cli.scaffolded", _LANG, path=path))
    return ExitCode.OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "score": cmd_score,
    "explain": cmd_explain,
    "check": cmd_check,
    "report": cmd_report,
    "opinion": cmd_opinion,
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
    "serve": cmd_serve,
}


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    lang = interface_language(arguments, os.environ)
    args = build_parser(lang).parse_args(arguments)
    global _LANG
    _LANG = lang
    try:
        check_limits()  # a bad PERFSCORE_* setting is one clear error, in every command
        return int(COMMANDS[args.command](args))
    except PerfscoreError as error:
        for problem in error.problems:
            print(f"perfscore: {render_problem(problem, lang)}", file=sys.stderr)
        return int(ExitCode.USAGE_ERROR)
    except BrokenPipeError:
        return int(ExitCode.OK)
    except KeyboardInterrupt:
        # Ctrl-C, or a plugin raising KeyboardInterrupt: stop cleanly, as a shell expects
        print(f"perfscore: {message('errors.interrupted', lang)}", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)


if __name__ == "__main__":
    sys.exit(main())
