"""Output files and batch discovery: devices, FIFOs, links, stale temp files, unreadable folders."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import PERFSCORE, SEED, run, run_process

from perfscore.errors import ExitCode
from perfscore.generate import write_submissions


def device(tmp_path: Path, name: str, minor: int) -> Path:
    """A memory device (1, minor) to write to: a node of the test's own when root (so that a
    bug replaces it, not the machine's), else the system's, which a user cannot replace."""
    if os.geteuid() != 0:
        return Path("/dev") / name
    path = tmp_path / name
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
    return path


def test_output_to_dev_null_keeps_the_device(tmp_path: Path) -> None:
    """-o /dev/null writes into the device and leaves it a character device."""
    null = device(tmp_path, "null", 3)
    result = run_process("score", str(SEED), "-o", str(null))
    assert result.returncode == ExitCode.OK
    assert stat.S_ISCHR(os.stat(null).st_mode)


def test_output_to_a_full_device_says_no_space(tmp_path: Path) -> None:
    """-o /dev/full exits 2 with 'no space left' and leaves /dev/full a device."""
    full = device(tmp_path, "full", 7)
    result = run_process("score", str(SEED), "-o", str(full))
    assert result.returncode == ExitCode.USAGE_ERROR
    assert str(full) in result.stderr and "space" in result.stderr.lower()
    assert stat.S_ISCHR(os.stat(full).st_mode)


def test_output_to_a_fifo_is_written_through(tmp_path: Path) -> None:
    """-o onto a FIFO writes into it (a reader gets the table) and leaves it a FIFO."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE, text=True)
    try:
        result = run_process("score", str(SEED), "-o", str(fifo))
        received, _ = reader.communicate(timeout=30)
    finally:
        reader.kill()  # a run that never opened the FIFO leaves the reader waiting
    assert result.returncode == ExitCode.OK
    assert "区残联" in received
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_output_through_a_symlink_replaces_the_target_not_the_link(tmp_path: Path) -> None:
    """-o onto a symlink to a regular file rewrites the file and keeps the link."""
    target = tmp_path / "table.txt"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    result = run_process("score", str(SEED), "-o", str(link))
    assert result.returncode == ExitCode.OK
    assert link.is_symlink() and "区残联" in target.read_text(encoding="utf-8")


def test_stale_temporary_files_are_removed_on_the_next_write(tmp_path: Path) -> None:
    """A temp file left by a killed run beside the output is removed when that output is next written."""
    output = tmp_path / "table.txt"
    result = run_process("score", str(SEED), "-o", str(output))
    assert result.returncode == ExitCode.OK
    # what a run killed between writing and renaming leaves (its process no longer exists)
    stale = tmp_path / ".table.txt.999999999.perfscore-tmp"
    stale.write_text("half", encoding="utf-8")
    result = run_process("score", str(SEED), "-o", str(output))
    assert result.returncode == ExitCode.OK
    assert not stale.exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["table.txt"]


def test_output_into_a_read_only_folder_is_a_clear_error(tmp_path: Path) -> None:
    """-o into a folder the user cannot write: exit 2 naming the path (run as an unprivileged user when root)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    result = run_process("score", str(SEED), "-o", str(folder / "t.txt"), unprivileged=True)
    assert result.returncode == ExitCode.USAGE_ERROR
    assert str(folder) in result.stderr


def test_symlink_loops_and_dangling_links_are_named(tmp_path: Path) -> None:
    """In a batch folder, a symlink loop and a dangling link are errors naming each path; exit 1."""
    (tmp_path / "seed.toml").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "loop").symlink_to(tmp_path)
    (tmp_path / "gone.toml").symlink_to(tmp_path / "nowhere.toml")
    result = run_process("table", str(tmp_path))
    assert result.returncode == ExitCode.PARTIAL
    report = result.stdout + result.stderr
    assert "区残联" in result.stdout
    assert "loop" in report and "gone.toml" in report


def test_unreadable_folders_and_files_are_named(tmp_path: Path) -> None:
    """An unreadable sub-folder and file in a batch are named in the errors section; exit 1."""
    units = tmp_path / "units"
    units.mkdir()
    (units / "seed.toml").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    locked = units / "locked"
    locked.mkdir()
    (locked / "x.toml").write_text("x = 1\n", encoding="utf-8")
    locked.chmod(0)
    secret = units / "secret.toml"
    secret.write_text("x = 1\n", encoding="utf-8")
    secret.chmod(0)
    result = run_process("table", str(units), unprivileged=True)
    assert result.returncode == ExitCode.PARTIAL
    report = result.stdout + result.stderr
    assert "locked" in report and "secret.toml" in report


def test_an_unreadable_folder_is_not_called_empty(tmp_path: Path) -> None:
    """A batch folder that cannot be read says so (permission), not 'no .toml submissions found'."""
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "x.toml").write_text("x = 1\n", encoding="utf-8")
    locked.chmod(0)
    result = run_process("table", str(locked), unprivileged=True)
    assert result.returncode in (ExitCode.PARTIAL, ExitCode.USAGE_ERROR)
    assert "no .toml" not in result.stderr and str(locked) in result.stderr


# --------------------------------------------------------------------------- further cases


def test_a_full_disk_keeps_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A write that runs out of space exits 2 saying so, and the previous file and folder are as they were."""
    output = tmp_path / "table.txt"
    output.write_text("previous table\n", encoding="utf-8")

    def full(descriptor: int, data: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("perfscore.files.os.write", full)
    code, _, err = run(capsys, "score", str(SEED), "-o", str(output))
    assert code == ExitCode.USAGE_ERROR
    assert f"{output}: cannot write the output: no space left" in err
    assert output.read_text(encoding="utf-8") == "previous table\n"
    assert [path.name for path in tmp_path.iterdir()] == ["table.txt"]


def test_a_live_process_temporary_file_is_left_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A temp file whose process is still running (another run, about to rename) is not removed."""
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / f".table.txt.{other.pid}.perfscore-tmp"
        live.write_text("half", encoding="utf-8")
        stale_of_another_output = tmp_path / ".other.txt.999999999.perfscore-tmp"
        stale_of_another_output.write_text("half", encoding="utf-8")
        code, _, _ = run(capsys, "score", str(SEED), "-o", str(tmp_path / "table.txt"))
        assert code == ExitCode.OK
        assert live.exists() and stale_of_another_output.exists()
    finally:
        other.kill()
        other.wait()


def test_a_replaced_file_keeps_its_permissions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Rewriting an existing output keeps its mode (a new one gets the umask's, not a temp file's 0600)."""
    output = tmp_path / "table.txt"
    output.write_text("old", encoding="utf-8")
    output.chmod(0o640)
    assert run(capsys, "score", str(SEED), "-o", str(output))[0] == ExitCode.OK
    assert stat.S_IMODE(output.stat().st_mode) == 0o640
    fresh = tmp_path / "fresh.txt"
    assert run(capsys, "score", str(SEED), "-o", str(fresh))[0] == ExitCode.OK
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_link_into_proc_is_written_through_not_replaced(tmp_path: Path) -> None:
    """-o onto a link to /proc/self/fd/1 (what /dev/stdout is) writes into the redirected file, never renames over it."""
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    redirected = tmp_path / "redirected.txt"
    with redirected.open("wb") as handle:
        before = os.fstat(handle.fileno()).st_ino
        result = subprocess.run([*PERFSCORE, "score", str(SEED), "-o", str(link)], stdout=handle, stderr=subprocess.PIPE, text=True, timeout=60)
    assert result.returncode == ExitCode.OK and "Traceback" not in result.stderr
    assert redirected.stat().st_ino == before and "区残联" in redirected.read_text(encoding="utf-8")
    assert link.is_symlink() and sorted(path.name for path in tmp_path.iterdir()) == ["redirected.txt", "stdout"]


def test_generate_removes_stale_temporaries_once(tmp_path: Path) -> None:
    """perfscore generate into a folder with a killed run's temp files removes them (and writes every unit)."""
    (tmp_path / ".synthetic-0-00001.toml.999999999.perfscore-tmp").write_text("half", encoding="utf-8")
    written = write_submissions(3, 0, tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(path.name for path in written)


def test_a_folder_reached_twice_is_scored_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A link to a folder of the batch is followed once: its unit is one row, no duplicate note, exit 0."""
    units = tmp_path / "units"
    (units / "real").mkdir(parents=True)
    (units / "real" / "seed.toml").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    (units / "alias").symlink_to(units / "real")
    code, out, _ = run(capsys, "table", str(units))
    assert code == ExitCode.OK
    assert out.count("区残联") == 1


def test_a_link_to_a_folder_above_is_a_loop(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A link to the folder it is in, or above it (up -> ..), is named as a loop; the rest is scored; exit 1."""
    units = tmp_path / "units"
    (units / "sub").mkdir(parents=True)
    (units / "seed.toml").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    (units / "sub" / "up").symlink_to("..")
    (units / "sub" / "top").symlink_to("../..")
    (tmp_path / "outside.toml").write_text("x = 1\n", encoding="utf-8")
    code, out, _ = run(capsys, "table", str(units))
    assert code == ExitCode.PARTIAL
    assert "区残联" in out
    # the errors section is in the table's language (Chinese by default)
    assert f"{units / 'sub' / 'up'}：符号链接循环" in out and f"{units / 'sub' / 'top'}：符号链接循环" in out
    assert "outside.toml" not in out


def test_a_named_dangling_link_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A dangling link named on the command line is exit 2 naming it and its missing target."""
    gone = tmp_path / "gone.toml"
    gone.symlink_to(tmp_path / "nowhere.toml")
    code, _, err = run(capsys, "table", str(gone))
    assert code == ExitCode.USAGE_ERROR
    assert f"{gone}: dangling link" in err and "nowhere.toml" in err


def test_an_unreadable_folder_beside_a_good_one_is_partial(tmp_path: Path) -> None:
    """Two named folders, one unreadable: the other's units are scored and the unreadable one named; exit 1."""
    good = tmp_path / "good"
    good.mkdir()
    (good / "seed.toml").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    result = run_process("table", str(good), str(locked), unprivileged=True)
    assert result.returncode == ExitCode.PARTIAL
    assert "区残联" in result.stdout
    assert f"{locked}：无法读取文件夹：permission denied" in result.stdout
