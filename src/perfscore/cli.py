"""Command line: ``perfscore score | explain | check | report | table | generate | plugins | new-plugin``.

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

from perfscore.errors import ExitCode, PerfscoreError, Problem
from perfscore.limits import check_limits
from perfscore.files import atomic_write
from perfscore.messages import DEFAULT_LANGUAGE, LANGUAGES, interface_language, message, render_problem
from perfscore.numbers import DASH, whole

if TYPE_CHECKING:
    from perfscore.batch.table import TableOptions
    from perfscore.engine import Engine
    from perfscore.find import Evaluation


class _Parser(argparse.ArgumentParser):
    """argparse in the tool's language: headings, the help option and the error line come
    from the catalogue (messages/cli.toml); argparse's own detail stays as argparse says it."""

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
        self.exit(ExitCode.USAGE_ERROR, f"{self.prog}: {message('cli.error', self.lang)}: {message('errors.usage_error', self.lang, detail=text)}\n")


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
    explain.add_argument("file", type=Path, help=h("file"))
    explain.add_argument("--ruleset", help=h("ruleset"))
    explain.add_argument("--indicator", metavar="ID", help=h("indicator"))
    _common(explain, lang)

    check = commands.add_parser("check", help=h("cmd_check"), description=h("cmd_check"))
    check.add_argument("file", type=Path, nargs="+", help=h("file"))
    check.add_argument("--ruleset", help=h("ruleset"))
    _common(check, lang)

    report = commands.add_parser("report", help=h("cmd_report"), description=h("cmd_report"))
    report.add_argument("file", type=Path, help=h("file"))
    report.add_argument("--ruleset", help=h("ruleset"))
    report.add_argument("--format", choices=("markdown", "text", "json", "docx"), default="markdown", help=h("format"))
    report.add_argument("-o", "--output", type=Path, help=h("output"))
    _common(report, lang)

    opinion = commands.add_parser("opinion", help=h("cmd_opinion"), description=h("cmd_opinion"))
    opinion.add_argument("file", type=Path, help=h("file"))
    opinion.add_argument("--ruleset", help=h("ruleset"))
    opinion.add_argument("--format", choices=("markdown", "text", "json", "docx"), default="markdown", help=h("format"))
    opinion.add_argument("--deadline", metavar="DATE", help=h("deadline"))
    opinion.add_argument("-o", "--output", type=Path, help=h("output"))
    _common(opinion, lang)

    table = commands.add_parser("table", help=h("cmd_table"), description=h("cmd_table"))
    table.add_argument("paths", type=Path, nargs="+", help=h("file"))
    table.add_argument("--ruleset", help=h("ruleset"))
    table.add_argument("--by", choices=("unit", "project", "area"), default="unit", help=h("by"))
    table.add_argument("--sort", default="total", metavar="COL", help=h("sort"))
    table.add_argument("--format", choices=("table", "github", "csv", "json", "markdown"), default="table", help=h("format"))
    table.add_argument("-o", "--output", type=Path, help=h("output"))
    table.add_argument("--jobs", type=int, default=1, metavar="N", help=h("jobs"))
    table.add_argument("--compare", type=Path, nargs="+", metavar="OLD_PATHS", help=h("compare"))
    table.add_argument("--allow-mixed", action="store_true", help=h("allow_mixed"))
    _common(table, lang)

    generate = commands.add_parser("generate", help=h("cmd_generate"), description=h("cmd_generate"))
    generate.add_argument("count", type=int, help=h("count"))
    generate.add_argument("--seed", type=int, default=0, help=h("seed"))
    generate.add_argument("-o", "--output", type=Path, required=True, metavar="DIR", help=h("output_dir"))
    generate.add_argument("--year", type=int, default=2022, help=h("year"))

    plugins = commands.add_parser("plugins", help=h("cmd_plugins"), description=h("cmd_plugins"))
    plugins.add_argument("--format", choices=("table", "json"), default="table", help=h("format"))
    plugins.add_argument("--plugins-dir", action="append", type=Path, default=[], metavar="DIR", help=h("plugins_dir"))

    new_plugin = commands.add_parser("new-plugin", help=h("cmd_new_plugin"), description=h("cmd_new_plugin"))
    new_plugin.add_argument("name", help=h("plugin_name"))
    new_plugin.add_argument("--dir", type=Path, default=Path("."), help=h("dir"))
    new_plugin.add_argument("--area", help=h("area"))
    return parser


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
            print(f"perfscore: {failure.render()}", file=sys.stderr)
        return ExitCode.PARTIAL
    return ExitCode.OK


def cmd_explain(args: argparse.Namespace) -> int:
    from perfscore.output import result as render

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
    engine = _engine(args)
    failed = False
    for path in args.file:
        try:
            submission, ruleset = engine.check(path)
        except PerfscoreError as error:
            failed = True
            for problem in error.problems:
                print(f"perfscore: {render_problem(problem, _LANG)}", file=sys.stderr)
            continue
        verdict = message("labels.valid", args.lang)
        print(f"{path}: {verdict} ({submission.unit.name} {whole(submission.unit.year)}, {whole(len(submission.projects))} projects, ruleset {ruleset.ruleset.id} {ruleset.ruleset.version})")
    return ExitCode.USAGE_ERROR if failed else ExitCode.OK


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

    evaluation = _engine(args).evaluate(args.file)
    opinion = build_opinion(evaluation, args.lang, deadline=args.deadline)
    if args.format == "docx":
        from perfscore.output.docx import render_docx

        _emit(render_docx(opinion), args.output)
    else:
        _emit(render_document(opinion, args.format), args.output)
    return _status(evaluation)


def table_options(args: argparse.Namespace) -> TableOptions:
    """The typed options of ``perfscore table`` from its parsed arguments."""
    from perfscore.batch.table import TableOptions

    return TableOptions(
        ruleset=args.ruleset,
        by=args.by,
        sort=args.sort,
        jobs=args.jobs,
        compare=tuple(args.compare) if args.compare is not None else None,
        allow_mixed=args.allow_mixed,
        lang=args.lang,
        plugins_dir=tuple(args.plugins_dir),
    )


def cmd_table(args: argparse.Namespace) -> int:
    """Score, check, rank, write; the exit status says whether every file scored."""
    from perfscore.batch.make import make_table
    from perfscore.output.table import render

    table = make_table(args.paths, table_options(args))
    _emit(render(table, args.format), args.output)
    if args.output is not None or args.format == "csv":
        # the errors section is in the file (or, for csv, nowhere): say so where a person looks
        for failure in table.failures:
            for problem in failure.problems:
                print(f"perfscore: {render_problem(problem, _LANG)}", file=sys.stderr)
    for file, reasons in table.incomplete:
        for reason in reasons:
            print(f"perfscore: {file}: {reason}", file=sys.stderr)
    return int(table.exit_code)


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
    "opinion": cmd_opinion,
    "table": cmd_table,
    "generate": cmd_generate,
    "plugins": cmd_plugins,
    "new-plugin": cmd_new_plugin,
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
