"""Error messages in the tool's language (issue 14): Chinese by default, English as the code
says it with LANG=en_US.UTF-8 or --lang en, for a representative error of each module; and a
scan that keeps every user-facing Problem keyed to its catalogue entry (messages/errors.toml).
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

from perfscore.cli import main
from perfscore.errors import InputError, KeyedValueError, Problem, fill, within
from perfscore.messages import argparse_detail, catalogue, render_problem
from perfscore.values import ValueTextError, parse_value

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "perfscore"
SEED = ROOT / "seeds" / "district-canlian-2022.toml"
DATA = Path(__file__).resolve().parent / "data"


def chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    """No locale at all: the tool speaks its default, Chinese."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.err


def both(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str) -> tuple[str, str]:
    """The error output of one command in the default language (zh), then with --lang en."""
    chinese(monkeypatch)
    code, zh = run(capsys, *argv)
    assert code == 2
    code, en = run(capsys, *argv, "--lang", "en")
    assert code == 2
    assert zh.count("perfscore:") == en.count("perfscore:") >= 1
    return zh, en


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


SUBMISSION = """format = "perfscore-submission/2"
ruleset = "national"
[unit]
id = "u"
name = "单位"
year = {year}
[[projects]]
id = "p"
name = "项目"
[[projects.funds]]
budget = 100
spending = 90
[[projects.indicators]]
name = "培训人数"
level1 = "{level1}"
level2 = "数量指标"
target = "≥90人"
actual = "{actual}"
"""


def submission(tmp_path: Path, name: str = "unit.toml", *, year: int = 2022, level1: str = "产出指标", actual: str = "95人") -> Path:
    return write(tmp_path / name, SUBMISSION.format(year=year, level1=level1, actual=actual))


# ---------------------------------------------------------------- one error of each module, in Chinese


def test_a_model_check_reads_in_chinese(tmp_path, capsys, monkeypatch):
    """A model validator's error (a project id given twice) is a keyed schema error: Chinese by default."""
    text = submission(tmp_path).read_text(encoding="utf-8") + '[[projects]]\nid = "p"\nname = "二"\n[[projects.funds]]\nbudget = 1\nspending = 1\n'
    path = write(tmp_path / "twice.toml", text)
    zh, en = both(capsys, monkeypatch, "check", str(path))
    assert "项目编号 'p' 出现了两次" in zh and "projects" in zh
    assert "project id 'p' appears twice" in en


def test_a_text_value_reads_in_chinese(tmp_path, capsys, monkeypatch):
    """An unreadable text value says what was understood and what was expected, in Chinese."""
    zh, en = both(capsys, monkeypatch, "check", str(submission(tmp_path, actual="≥9x5")))
    assert "无法读取数值 '≥9x5'：已读出比较符 ≥、数字 9，其后的 'x5' 无法识别" in zh
    assert "（应为：单位（%" in zh
    assert "cannot read the value '≥9x5': understood comparator ≥, number 9, then 'x5'" in en


def test_an_unknown_free_row_category_reads_in_chinese(tmp_path, capsys, monkeypatch):
    """A free row whose level-1 category the ruleset lacks names the categories that exist, in Chinese."""
    zh, en = both(capsys, monkeypatch, "check", str(submission(tmp_path, level1="规模指标")))
    assert "一级指标 '规模指标' 不是规则集 'national' 的一级指标" in zh and "应为：以下之一：" in zh and "产出指标（" in zh
    assert "level1 '规模指标' is not a level-1 category of ruleset 'national'" in en


def test_a_ruleset_error_reads_in_chinese(tmp_path, capsys, monkeypatch):
    """A ruleset whose first-level weights do not add up to 100 says so in Chinese."""
    ruleset = shutil.copy(DATA / "rulesets" / "weights-95.toml", tmp_path / "weights-95.toml")
    zh, en = both(capsys, monkeypatch, "check", str(submission(tmp_path)), "--ruleset", str(ruleset))
    assert "weights：一级指标权重合计为 95，应为100" in zh
    assert "weights: first-level weights add up to 95, expected 100" in en


def test_a_limit_reads_in_chinese(tmp_path, capsys, monkeypatch):
    """Over the project limit: the count, the limit and the variable that sets it, in Chinese."""
    monkeypatch.setenv("PERFSCORE_MAX_PROJECTS", "1")
    text = submission(tmp_path).read_text(encoding="utf-8") + '[[projects]]\nid = "q"\nname = "二"\n[[projects.funds]]\nbudget = 1\nspending = 1\n'
    zh, en = both(capsys, monkeypatch, "check", str(write(tmp_path / "two.toml", text)))
    assert "共 2 个项目，超过上限 1" in zh and "上限由 PERFSCORE_MAX_PROJECTS 设定" in zh
    assert "2 projects, over the limit of 1" in en


def test_a_workbook_error_reads_in_chinese(tmp_path, capsys, monkeypatch):
    """A file named .xlsx that is no workbook is refused in Chinese."""
    path = tmp_path / "自评表.xlsx"
    path.write_bytes(b"not a workbook at all")
    zh, en = both(capsys, monkeypatch, "import", str(path), "-o", str(tmp_path / "out"))
    assert "不是工作簿：既不是 zip" in zh and "应为：Excel 工作簿" in zh
    assert "not a workbook: neither a zip" in en


def test_a_comparability_refusal_reads_in_chinese(tmp_path, capsys, monkeypatch):
    """A table of two years is refused in Chinese, each year with its files."""
    folder = tmp_path / "units"
    folder.mkdir()
    submission(folder, "a.toml", year=2021)
    submission(folder, "b.toml", year=2022)
    zh, en = both(capsys, monkeypatch, "table", str(folder))
    assert "这些自评材料分属 2 个不同年度：2021年：1 个文件，如 " in zh and "；2022年：1 个文件" in zh
    assert "一张表只含一个年度" in zh
    assert "submissions are for 2 different years: 2021: 1 file(s), e.g. " in en


def test_argparse_detail_reads_in_chinese(capsys, monkeypatch):
    """argparse's own message after the frame is translated too (messages/argparse.toml)."""
    chinese(monkeypatch)
    with pytest.raises(SystemExit) as stopped:
        main(["score", "--lang", "fr"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "参数有误（参数 --lang：无效的选项值：'fr'（可选：'zh', 'en'））" in err
    assert argparse_detail("unrecognized arguments: --x --y", "zh") == "无法识别的参数：--x --y"
    assert argparse_detail("unrecognized arguments: --x --y", "en") == "unrecognized arguments: --x --y"
    assert argparse_detail("something argparse never said", "zh") == "something argparse never said"


def test_commands_say_what_they_did_in_the_tools_language(tmp_path, capsys, monkeypatch):
    """generate's closing line follows the tool's language like its errors."""
    chinese(monkeypatch)
    assert main(["generate", "2", "--seed", "1", "-o", str(tmp_path / "g")]) == 0
    assert "已在" in capsys.readouterr().out
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert main(["generate", "2", "--seed", "1", "-o", str(tmp_path / "h")]) == 0
    assert capsys.readouterr().out.startswith("wrote 2 synthetic submissions to ")


# ---------------------------------------------------------------- the mechanism


def test_english_rendering_is_exactly_the_raised_text():
    """In English a keyed problem reads exactly as Problem.render: the catalogue's en adds nothing."""
    problems: list[Problem] = []
    for text in ("≥abc", "约近90户", "90%-80%", "2023年13月底", "九十户", "≥90户以下", "", "90xx", "1" * 20):
        with pytest.raises(ValueTextError) as raised:
            parse_value(text)
        problems.append(raised.value.located("a.toml", "projects[0].indicators[0].actual").problems[0])
    for problem in problems:
        assert problem.key is not None
        assert render_problem(problem, "en") == problem.render()
        assert render_problem(problem, "zh") != problem.render()


def test_a_problem_said_inside_another_keeps_both_languages():
    """within(): the outer message's entry shows the inner problem in its own entry's language."""
    inner = Problem("file not found", file="x.toml", key="file_not_found")
    outer = within(inner, 'plugin "p" registered this file in hook: file not found', "plugin_file_problem", plugin="p", hook="hook")
    assert render_problem(outer, "en") == outer.render() == 'x.toml: plugin "p" registered this file in hook: file not found'
    assert render_problem(outer, "zh") == "x.toml：插件“p”在 hook 中注册的这个文件：文件不存在"


def test_keyed_value_errors_survive_pickling():
    """A KeyedValueError crosses a worker process (pickle) with its key and fields."""
    import pickle

    error = pickle.loads(pickle.dumps(KeyedValueError("english", "project_twice", fill(project="'p'"))))
    assert (str(error), error.key, error.fields) == ("english", "project_twice", (("project", "'p'"),))


# ---------------------------------------------------------------- every user-facing Problem is keyed

#: Problem(...) calls that may stay without a catalogue key, each with the reason
ALLOWED_UNKEYED = {
    ("errors.py", "Problem(problems)"): "PerfscoreError(str) wraps a plain text; no user-facing module raises one (checked below)",
    ("narrate/template.py", "Problem('report template not found', file=file)"): "the report template ships with perfscore; another one is only given through the Python API, by whoever edits it",
    ("narrate/template.py", "Problem(f'cannot parse report template: {error}', file=file, expected='UTF-8 TOML')"): "as above: the report template's own checks",
    ("narrate/template.py", "Problem(message, file=file, location=key, expected=expected)"): "as above: the report template's own checks",
    ("store/codec.py", "Problem(item['message'], item['file'], item['location'], item['expected'])"): "a problem read back from the store is shown as it was recorded",
    # the web view words its problems from its own catalogue (messages/web.toml) in the page's language
    ("web/security.py", "Problem(message('web.needs_token', lang, host=host), location='--host', expected=message('web.expected_needs_token', lang, variable=TOKEN_VARIABLE))"): "worded in the page's language from messages/web.toml",
    ("web/security.py", "Problem(message('web.short_token', lang, length=whole(len(token))), location='--token', expected=message('web.expected_token', lang, shortest=whole(SHORTEST_TOKEN)))"): "worded in the page's language from messages/web.toml",
    ("web/intake.py", "Problem(message('web.too_many_files', lang, count=whole(len(files)), most=whole(most_files)))"): "worded in the page's language from messages/web.toml",
    ("web/views/review.py", "Problem(page.msg('review_needs_target'))"): "worded in the page's language from messages/web.toml",
    ("web/views/review.py", "Problem(page.msg('review_needs_entry'))"): "worded in the page's language from messages/web.toml",
}
_ERRORS = {"PerfscoreError", "InputError", "RulesetError", "OutputError", "PluginError"}


def _calls(name: str) -> list[tuple[str, ast.Call]]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                called = node.func.id if isinstance(node.func, ast.Name) else node.func.attr if isinstance(node.func, ast.Attribute) else None
                if called == name or (name == "*Error" and called in _ERRORS):
                    found.append((relative, node))
    return found


def test_every_user_facing_problem_names_its_catalogue_entry():
    """A Problem(...) without key= in src/perfscore is an error still English in Chinese output."""
    unkeyed = {(file, ast.unparse(call)) for file, call in _calls("Problem") if not any(keyword.arg == "key" for keyword in call.keywords)}
    assert unkeyed - set(ALLOWED_UNKEYED) == set(), "give these a key= (and expected_key=, fields=) in messages/errors.toml"
    assert set(ALLOWED_UNKEYED) - unkeyed == set(), "an allowed entry no longer exists: remove it"


def test_no_error_is_raised_with_bare_text():
    """PerfscoreError("text") would bypass the catalogue: errors are raised with keyed Problems."""
    bare = [(file, ast.unparse(call)) for file, call in _calls("*Error") if call.args and isinstance(call.args[0], (ast.Constant, ast.JoinedStr))]
    assert bare == []


def test_every_named_entry_exists_in_both_languages():
    """Each literal key=, expected_key= and KeyedValueError key names an errors.toml entry with Chinese text."""
    known = catalogue()
    named: set[str] = set()
    for _, call in _calls("Problem"):
        named |= {keyword.value.value for keyword in call.keywords if keyword.arg in ("key", "expected_key") and isinstance(keyword.value, ast.Constant)}
    for _, call in _calls("KeyedValueError"):
        if len(call.args) > 1 and isinstance(call.args[1], ast.Constant):
            named.add(call.args[1].value)
    assert len(named) > 150
    missing = sorted(key for key in named if f"errors.{key}" not in known)
    assert missing == []
    assert [key for key in named if not known[f"errors.{key}"][0]] == []


def test_chinese_entries_use_only_fields_the_english_can_fill():
    """An entry with English text has the same {fields} in both languages (an empty en means the raised text)."""
    for key, (zh, en) in catalogue().items():
        if key.startswith("errors.") and en:
            assert set(re.findall(r"{(\w+)}", zh)) == set(re.findall(r"{(\w+)}", en)), key


def test_value_text_error_is_still_an_input_error():
    """ValueTextError keeps its contract (an InputError, located) after gaining its key."""
    with pytest.raises(InputError):
        parse_value("≥")
