"""Misbehaving plugins: raising, exiting, hanging, printing or returning junk is contained and named."""

from __future__ import annotations

import json
import os
import textwrap
import time
from pathlib import Path

import pytest
from hostile import SEED, run, run_process

from perfscore.errors import ExitCode


def plugin_dir(tmp_path: Path, body: str) -> Path:
    """A --plugins-dir holding one loose plugin module ``hostile.py``."""
    directory = tmp_path / "plugins"
    directory.mkdir()
    (directory / "hostile.py").write_text("import sys, time\nfrom perfscore import hookimpl\n\n" + textwrap.dedent(body), encoding="utf-8")
    return directory


HOOK_FAULTS = {
    "raise": "raise RuntimeError('boom')",
    "exit": "sys.exit(0)",
    "junk": "return 42",
    "print": "print('plugin chatter'); return None",
}


@pytest.mark.parametrize("fault", sorted(HOOK_FAULTS))
@pytest.mark.parametrize("hook", ["perfscore_findings", "perfscore_score_area"])
def test_a_misbehaving_hook_is_contained(tmp_path: Path, hook: str, fault: str) -> None:
    """raise, sys.exit, a junk return or printing in a per-unit hook: the plugin and hook are named, output is kept clean."""
    signature = {"perfscore_findings": "unit, areas", "perfscore_score_area": "area, unit"}[hook]
    directory = plugin_dir(tmp_path, f"@hookimpl\ndef {hook}({signature}):\n    {HOOK_FAULTS[fault]}\n")
    result = run_process("score", str(SEED), "--format", "json", "--plugins-dir", str(directory))
    data = json.loads(result.stdout)  # stdout holds the JSON alone
    assert data["total"] is not None
    # the other plugins still score every area: a fault is skipped, it does not end the call
    assert sorted(data["areas"]) == ["accessibility", "employment", "general", "rehabilitation", "rights", "secretary"]
    assert data["areas"]["rehabilitation"]["score"] is not None
    if fault == "print":
        assert result.returncode == ExitCode.OK
        assert "plugin chatter" in result.stderr
    else:
        assert result.returncode == ExitCode.PARTIAL
        assert "hostile" in result.stderr and hook in result.stderr


def test_a_hook_that_never_returns_is_stopped(tmp_path: Path) -> None:
    """A hung hook is stopped at the time limit, naming the plugin and hook; exit 1, not a hang."""
    directory = plugin_dir(tmp_path, "@hookimpl\ndef perfscore_findings(unit, areas):\n    while True:\n        time.sleep(0.01)\n")
    result = run_process("score", str(SEED), "--plugins-dir", str(directory), timeout=60, env={**os.environ, "PERFSCORE_HOOK_SECONDS": "1"})
    assert result.returncode == ExitCode.PARTIAL
    assert "hostile" in result.stderr and "perfscore_findings" in result.stderr and "1" in result.stderr


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_hung_hook_costs_a_batch_one_row(tmp_path: Path, jobs: str) -> None:
    """In a table, the unit whose hook ran out of time is an error row; the other units are scored."""
    directory = plugin_dir(
        tmp_path,
        """
        @hookimpl
        def perfscore_findings(unit, areas):
            if unit.submission.unit.id == "slow":
                while True:
                    time.sleep(0.01)
        """,
    )
    units = tmp_path / "units"
    units.mkdir()
    text = SEED.read_text(encoding="utf-8")
    (units / "a.toml").write_text(text, encoding="utf-8")
    (units / "slow.toml").write_text(text.replace('id = "district-canlian"', 'id = "slow"'), encoding="utf-8")
    result = run_process("table", str(units), "--jobs", jobs, "--plugins-dir", str(directory), timeout=90, env={**os.environ, "PERFSCORE_HOOK_SECONDS": "1"})
    assert result.returncode == ExitCode.PARTIAL
    # a.toml's row is its unit's name (the table names units, not files); slow.toml is an error row
    assert "区残联" in result.stdout and "slow.toml" in result.stdout + result.stderr
    assert "PERFSCORE_HOOK_SECONDS" in result.stdout + result.stderr


@pytest.mark.parametrize("fault", ["exit", "raise"])
def test_a_batch_never_loses_its_table_to_a_plugin(tmp_path: Path, fault: str) -> None:
    """A plugin calling sys.exit in a table: the table is printed and the exit status says something failed."""
    directory = plugin_dir(tmp_path, f"@hookimpl\ndef perfscore_findings(unit, areas):\n    {HOOK_FAULTS[fault]}\n")
    result = run_process("table", str(SEED), "--plugins-dir", str(directory))
    assert result.returncode == ExitCode.PARTIAL
    assert "区残联" in result.stdout


def test_register_with_junk_names_the_plugin(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """register(42) from a plugin: exit 2 naming the plugin and hook and what register expects."""
    directory = plugin_dir(tmp_path, "@hookimpl\ndef perfscore_register_indicators(register):\n    register(42)\n")
    code, _, err = run(capsys, "check", str(SEED), "--plugins-dir", str(directory))
    assert code == ExitCode.USAGE_ERROR
    assert "hostile" in err and "perfscore_register_indicators" in err


def test_a_bad_registered_indicator_blames_the_plugin(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An invalid indicator from register() names the plugin, not the shipped ruleset file."""
    directory = plugin_dir(tmp_path, "@hookimpl\ndef perfscore_register_indicators(register):\n    register({'id': 'hostile.x', 'name': 'x'})\n")
    code, _, err = run(capsys, "check", str(SEED), "--plugins-dir", str(directory))
    assert code == ExitCode.USAGE_ERROR
    assert "hostile" in err and "canlian.toml" not in err


def test_keyboard_interrupt_in_a_hook_stops_cleanly(tmp_path: Path) -> None:
    """KeyboardInterrupt inside a hook stops the run with exit 130 and no traceback."""
    directory = plugin_dir(tmp_path, "@hookimpl\ndef perfscore_findings(unit, areas):\n    raise KeyboardInterrupt\n")
    result = run_process("score", str(SEED), "--plugins-dir", str(directory))
    assert result.returncode == 130


# --------------------------------------------------------------------------- registration hooks

REGISTER_FAULTS = {
    "raise": ("raise RuntimeError('boom')", "RuntimeError: boom"),
    "exit": ("sys.exit(0)", "sys.exit(0)"),
    "junk": ("register(42)", "with int 42"),
    "junk-return": ("return 42", "returned int 42"),
    "junk-caught": ("try:\n        register(42)\n    except Exception:\n        pass", "with int 42"),
}
#: the command that calls each registration hook (areas are claimed for `perfscore plugins`)
REGISTER_COMMANDS = {
    "perfscore_register_indicators": ("check", str(SEED)),
    "perfscore_register_templates": ("check", str(SEED)),
    "perfscore_register_methods": ("score", str(SEED)),
    "perfscore_register_areas": ("plugins",),
}


@pytest.mark.parametrize("fault", sorted(REGISTER_FAULTS))
@pytest.mark.parametrize("hook", sorted(REGISTER_COMMANDS))
def test_a_misbehaving_registration_hook_stops_the_run(capsys: pytest.CaptureFixture[str], tmp_path: Path, hook: str, fault: str) -> None:
    """raise, sys.exit or junk in a registration hook: exit 2, the plugin and hook named, what was expected said."""
    body, said = REGISTER_FAULTS[fault]
    directory = plugin_dir(tmp_path, f"@hookimpl\ndef {hook}(register):\n    {body}\n")
    code, out, err = run(capsys, *REGISTER_COMMANDS[hook], "--plugins-dir", str(directory))
    assert code == ExitCode.USAGE_ERROR
    assert 'plugin "hostile"' in err and hook in err and said in err
    if fault.startswith("junk"):
        assert "expected" in err


def test_a_registered_indicator_outside_the_ruleset_names_the_plugin(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A valid indicator whose area and level the ruleset lacks: the plugin and the key are named, not canlian.toml."""
    indicator = "{'id': 'hostile.x', 'name': 'x', 'name_en': 'x', 'area': 'nope', 'level1': 'zz', 'level2': 'q', 'unit': '%', 'comparison': '>='}"
    directory = plugin_dir(tmp_path, f"@hookimpl\ndef perfscore_register_indicators(register):\n    register({indicator})\n")
    code, _, err = run(capsys, "check", str(SEED), "--plugins-dir", str(directory))
    assert code == ExitCode.USAGE_ERROR
    assert 'plugin "hostile"' in err and ".area" in err and "'nope'" in err and ".level1" in err and "canlian.toml" not in err


def test_a_bad_indicator_file_names_the_plugin_the_file_and_the_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An indicators file with a bad entry: its path, the key path in it and the plugin are named."""
    (tmp_path / "indicators.toml").write_text('[[indicators]]\nid = "hostile.x"\nname = "x"\n', encoding="utf-8")
    path = (tmp_path / "indicators.toml").as_posix()
    directory = plugin_dir(tmp_path, f"@hookimpl\ndef perfscore_register_indicators(register):\n    register({path!r})\n")
    code, _, err = run(capsys, "check", str(SEED), "--plugins-dir", str(directory))
    assert code == ExitCode.USAGE_ERROR
    assert f"{path}: indicators[0].name_en" in err and 'plugin "hostile"' in err


def test_a_plugin_exiting_as_it_is_imported_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """sys.exit at a plugin's import: exit 2, naming the plugin (not exit 0 with nothing done)."""
    directory = plugin_dir(tmp_path, "print('loading'); sys.exit(0)\n")
    code, out, err = run(capsys, "score", str(SEED), "--plugins-dir", str(directory))
    assert code == ExitCode.USAGE_ERROR and out == ""
    assert 'Error importing plugin "hostile": SystemExit' in err and "loading" in err


# --------------------------------------------------------------------------- per-unit hooks, in process


PER_UNIT = {"perfscore_findings": "unit, areas", "perfscore_score_area": "area, unit"}


@pytest.mark.parametrize("hook", sorted(PER_UNIT))
def test_a_hung_per_unit_hook_is_stopped_and_the_result_is_incomplete(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, hook: str) -> None:
    """Either per-unit hook hanging: stopped at PERFSCORE_HOOK_SECONDS, named, exit 1, the score still printed."""
    monkeypatch.setenv("PERFSCORE_HOOK_SECONDS", "0.3")
    directory = plugin_dir(tmp_path, f"@hookimpl\ndef {hook}({PER_UNIT[hook]}):\n    while True:\n        time.sleep(0.01)\n")
    code, out, err = run(capsys, "score", str(SEED), "--format", "json", "--plugins-dir", str(directory))
    assert code == ExitCode.PARTIAL
    assert json.loads(out)["incomplete"] is True
    assert f'plugin "hostile" failed in {hook}' in err and "0.3 s" in err and "PERFSCORE_HOOK_SECONDS" in err


def test_a_plugin_that_swallows_the_timeout_is_stopped_again(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A hook catching BaseException once and hanging on: the repeated alarm stops it."""
    monkeypatch.setenv("PERFSCORE_HOOK_SECONDS", "0.2")
    body = """
    @hookimpl
    def perfscore_findings(unit, areas):
        try:
            while True:
                time.sleep(0.01)
        except BaseException:
            pass
        while True:
            time.sleep(0.01)
    """
    code, _, err = run(capsys, "score", str(SEED), "--plugins-dir", str(plugin_dir(tmp_path, body)))
    assert code == ExitCode.PARTIAL and 'plugin "hostile" failed in perfscore_findings: stopped after 0.2 s' in err


WRAPPER_FAULTS = {
    "exit-before": "sys.exit(3)\n    yield",
    "exit-after": "yield\n    sys.exit(0)",
    "raise-after": "yield\n    raise RuntimeError('late')",
    "junk": "yield\n    return 42",
}


@pytest.mark.parametrize("fault", sorted(WRAPPER_FAULTS))
def test_a_misbehaving_wrapper_is_contained(capsys: pytest.CaptureFixture[str], tmp_path: Path, fault: str) -> None:
    """A wrapper=True around perfscore_findings that exits, raises or returns junk: recorded by name, exit 1, output kept."""
    directory = plugin_dir(tmp_path, f"@hookimpl(wrapper=True)\ndef perfscore_findings(unit, areas):\n    {WRAPPER_FAULTS[fault]}\n")
    code, out, err = run(capsys, "score", str(SEED), "--format", "json", "--plugins-dir", str(directory))
    assert code == ExitCode.PARTIAL
    assert json.loads(out)["total"] is not None
    assert 'plugin "hostile" failed in perfscore_findings' in err


def test_a_wrapper_exiting_around_score_area_is_contained(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """sys.exit in a wrapper around perfscore_score_area: named, the area still scored by the others, exit 1."""
    directory = plugin_dir(tmp_path, "@hookimpl(wrapper=True)\ndef perfscore_score_area(area, unit):\n    result = yield\n    sys.exit(0)\n")
    code, out, err = run(capsys, "score", str(SEED), "--format", "json", "--plugins-dir", str(directory))
    assert code == ExitCode.PARTIAL
    assert json.loads(out)["areas"]
    assert 'plugin "hostile" failed in perfscore_score_area(' in err and "sys.exit(0)" in err


def test_a_wrapper_exiting_around_a_register_hook_stops_the_run(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """sys.exit in a wrapper around a registration hook: exit 2 naming the plugin and hook."""
    directory = plugin_dir(tmp_path, "@hookimpl(wrapper=True)\ndef perfscore_register_methods(register):\n    yield\n    sys.exit(0)\n")
    code, _, err = run(capsys, "score", str(SEED), "--plugins-dir", str(directory))
    assert code == ExitCode.USAGE_ERROR and 'plugin "hostile" failed in perfscore_register_methods' in err


def test_the_time_limit_off_the_main_thread_is_no_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Off the main thread SIGALRM cannot stop a hook: the hooks run unlimited (as documented)."""
    import threading

    from perfscore import Engine, hookimpl, make_host

    monkeypatch.setenv("PERFSCORE_HOOK_SECONDS", "0.05")

    class Slow:
        @hookimpl
        def perfscore_findings(self, unit, areas):  # type: ignore[no-untyped-def]
            time.sleep(0.2)

    evaluations = []
    thread = threading.Thread(target=lambda: evaluations.append(Engine(make_host(entry_points=False, extra=[("slow", Slow())])).evaluate(SEED)))
    thread.start()
    thread.join(30)
    assert evaluations and not evaluations[0].failures


def test_the_time_limit_leaves_a_programs_own_timer_working() -> None:
    """A program's own SIGALRM timer keeps running through the units' hooks, and its handler still gets its alarm."""
    import signal

    from perfscore import Engine, make_host

    fired: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
    try:
        signal.setitimer(signal.ITIMER_REAL, 100)
        Engine(make_host(entry_points=False)).evaluate(SEED)
        assert 90 < signal.getitimer(signal.ITIMER_REAL)[0] <= 100 and not fired
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        deadline = time.monotonic() + 10
        while not fired and time.monotonic() < deadline:
            time.sleep(0.01)
        assert fired == [signal.SIGALRM]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --------------------------------------------------------------------------- batches: prints, interrupts


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_printing_plugin_leaves_a_json_table_clean(tmp_path: Path, jobs: str) -> None:
    """A plugin printing in every hook, in worker processes too: `table --format json` is still valid JSON."""
    directory = plugin_dir(tmp_path, "print('at import')\n\n@hookimpl\ndef perfscore_findings(unit, areas):\n    print('chatter')\n")
    units = tmp_path / "units"
    units.mkdir()
    for name in ("a", "b", "c"):
        (units / f"{name}.toml").write_text(SEED.read_text(encoding="utf-8").replace('id = "district-canlian"', f'id = "{name}"'), encoding="utf-8")
    result = run_process("table", str(units), "--format", "json", "--jobs", jobs, "--plugins-dir", str(directory))
    assert result.returncode == ExitCode.OK
    json.loads(result.stdout)
    assert "chatter" in result.stderr and "at import" in result.stderr


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_keyboard_interrupt_in_a_hook_stops_a_table_cleanly(tmp_path: Path, jobs: str) -> None:
    """KeyboardInterrupt inside a hook during `table`, with and without workers: exit 130, no traceback anywhere."""
    directory = plugin_dir(tmp_path, "@hookimpl\ndef perfscore_findings(unit, areas):\n    raise KeyboardInterrupt\n")
    units = tmp_path / "units"
    units.mkdir()
    for name in ("a", "b", "c", "d"):
        (units / f"{name}.toml").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    result = run_process("table", str(units), "--jobs", jobs, "--plugins-dir", str(directory))
    assert result.returncode == ExitCode.INTERRUPTED
    assert "interrupted" in result.stderr and result.stdout == ""


@pytest.mark.parametrize("argv", [("score", str(SEED)), ("table", "UNITS", "--jobs", "1"), ("table", "UNITS", "--jobs", "2")])
def test_ctrl_c_stops_the_run_cleanly(tmp_path: Path, argv: tuple[str, ...]) -> None:
    """SIGINT to the process group (Ctrl-C) while hooks run: exit 130, no traceback, no worker left behind."""
    import signal
    import subprocess

    from hostile import PERFSCORE

    marker = tmp_path / "started"
    directory = plugin_dir(tmp_path, f"@hookimpl\ndef perfscore_findings(unit, areas):\n    open({str(marker)!r}, 'a').close()\n    time.sleep(0.2)\n")
    units = tmp_path / "units"
    units.mkdir()
    for number in range(40):
        (units / f"u{number}.toml").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    command = [*PERFSCORE, *(str(units) if part == "UNITS" else part for part in argv), "--plugins-dir", str(directory)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(child.pid, signal.SIGINT)
        _, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
    assert child.returncode == ExitCode.INTERRUPTED
    assert "Traceback" not in err and "interrupted" in err
    time.sleep(0.2)
    with pytest.raises(ProcessLookupError):  # the workers ended with the run
        os.killpg(child.pid, 0)
