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
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from perfscore.errors import ExitCode, PerfscoreError
from perfscore.limits import check_limits
from perfscore.files import atomic_write
from perfscore.messages import LANGUAGES, message
from perfscore.numbers import DASH, whole

if TYPE_CHECKING:
    from perfscore.batch.table import TableOptions
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
    explain.add_argument("file", type=Path)
    explain.add_argument("--ruleset")
    explain.add_argument("--indicator", metavar="ID", help="explain this indicator only")
    _common(explain)

    check = commands.add_parser("check", help="validate a submission without scoring it")
    check.add_argument("file", type=Path, nargs="+")
    check.add_argument("--ruleset")
    _common(check)

    report = commands.add_parser("report", help="write the full self-evaluation report (一 to 六)")
    report.add_argument("file", type=Path)
    report.add_argument("--ruleset")
    report.add_argument("--format", choices=("markdown", "text", "json", "docx"), default="markdown")
    report.add_argument("-o", "--output", type=Path)
    _common(report)

    opinion = commands.add_parser("opinion", help="write the bureau's opinion (评价意见) on a submission")
    opinion.add_argument("file", type=Path)
    opinion.add_argument("--ruleset")
    opinion.add_argument("--format", choices=("markdown", "text", "json", "docx"), default="markdown")
    opinion.add_argument("--deadline", metavar="DATE", help="when the corrections are due (default: within 30 days)")
    opinion.add_argument("-o", "--output", type=Path)
    _common(opinion)

    table = commands.add_parser("table", help="score many submissions into one ranked, comparable table")
    table.add_argument("paths", type=Path, nargs="+")
    table.add_argument("--ruleset")
    table.add_argument("--by", choices=("unit", "project", "area"), default="unit")
    table.add_argument("--sort", default="total", metavar="COL")
    table.add_argument("--format", choices=("table", "github", "csv", "json", "markdown"), default="table")
    table.add_argument("-o", "--output", type=Path)
    table.add_argument("--jobs", type=int, default=1, metavar="N")
    table.add_argument("--compare", type=Path, nargs="+", metavar="OLD_PATHS", help="previous-year submissions, matched by unit id")
    table.add_argument("--allow-mixed", action="store_true", help="accept mixed rulesets or years")
    _common(table)

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
        raise PerfscoreError(f"{args.file}: no scored indicator {args.indicator!r} (expected one of: {', '.join(known) or 'none'})")
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
                print(f"perfscore: {problem.render()}", file=sys.stderr)
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
                print(f"perfscore: {problem.render()}", file=sys.stderr)
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
