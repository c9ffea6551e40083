"""Helpers of the hostile-input tests (tests/test_hostile_*.py): running perfscore as a user would.

Issue 10 tried perfscore as an attacker and a careless user would. Each test_hostile_* module
checks one kind of case: every error says what, where (file and line or key path, or the
plugin and hook) and what was expected, with the documented exit status and no traceback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from conftest import ROOT

from perfscore.cli import main

SEED = ROOT / "seeds" / "district-canlian-2022.toml"
PERFSCORE = [sys.executable, "-m", "perfscore.cli"]
RULESET_HEAD = '[ruleset]\nid = "t"\nname = "t"\nversion = "1"\n'



def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([*argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err, captured.err
    return code, captured.out, captured.err


def run_process(*argv: str, timeout: float = 60, unprivileged: bool = False, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """perfscore in a child process (for exits, hangs and what reaches the real stdout).

    ``unprivileged``: file permissions apply to the child even when the tests run as root
    (as CI does): root's capabilities to bypass them are dropped with setpriv.
    """
    command = [*PERFSCORE, *argv]
    if unprivileged and os.geteuid() == 0:
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--", *command]
    # its own process group, so that a run that overstays is ended with every worker it started
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, **kwargs)  # type: ignore[call-overload]
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    assert "Traceback" not in stderr, stderr
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
