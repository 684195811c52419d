"""scripts/setup-pi.sh run into a temporary root: it sets things up once, then changes nothing.

Packages, the service account, systemctl and the model download are skipped (they
need the real system or the internet); the program, configuration, data directory and
unit file are really installed under the temporary root.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # starts processes or plays real audio

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "setup-pi.sh"
OFFLINE = ["--skip-packages", "--skip-user", "--skip-systemd", "--skip-models", "--no-deps"]


def copy_project(destination: Path) -> Path:
    """A frozen copy of what the script installs, so the checkout can change meanwhile."""
    destination.mkdir()
    shutil.copy2(REPO / "pyproject.toml", destination)
    for part in ("assistant", "skills", "config", "systemd"):
        shutil.copytree(
            REPO / part, destination / part, ignore=shutil.ignore_patterns("__pycache__")
        )
    return destination


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    return copy_project(tmp_path_factory.mktemp("release") / "source")


def setup_pi(
    root: Path, source: Path, *extra: str, check: bool = True
) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ["bash", str(SCRIPT), "--root", str(root), "--source", str(source), *OFFLINE, *extra],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=root.parent,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def step_states(output: str) -> dict[str, str]:
    """'changed       program: installed ...' → {'program': 'changed'}."""
    states = {}
    for line in output.splitlines():
        state = line[:13].strip()
        if state in ("ok", "changed", "would change", "skipped"):
            states[line[13:].split(":")[0].strip()] = state
    return states


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path under root with its type, mode, owner, modification time and content."""
    tree = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            content = os.readlink(path)
        elif stat.S_ISREG(info.st_mode):
            content = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            content = None
        tree[str(path.relative_to(root))] = (
            stat.S_IFMT(info.st_mode),
            stat.S_IMODE(info.st_mode),
            info.st_uid,
            info.st_mtime_ns,
            content,
        )
    return tree


@pytest.fixture(scope="module")
def installed(tmp_path_factory, source):
    """A root after one real run, and that run's output."""
    root = tmp_path_factory.mktemp("pi") / "root"
    root.mkdir()
    first = setup_pi(root, source)
    return root, first.stdout


def test_first_run_installs_everything_it_was_not_told_to_skip(installed, source):
    root, output = installed
    assert step_states(output) == {
        "packages": "skipped",
        "service account": "skipped",
        "program": "changed",
        "configuration": "changed",
        "data directory": "changed",
        "speech model": "skipped",
        "service unit": "changed",
        "service enabled and running": "skipped",
    }
    assert "done: 4 step(s) changed something" in output

    config = root / "etc/assistant/assistant.yaml"
    assert config.read_bytes() == (source / "config/assistant.yaml").read_bytes()
    assert stat.S_IMODE(config.stat().st_mode) == 0o640
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o750
    assert stat.S_IMODE((root / "var/lib/assistant").stat().st_mode) == 0o700
    unit = root / "etc/systemd/system/assistant.service"
    assert unit.read_bytes() == (source / "systemd/assistant.service").read_bytes()


def test_the_program_is_installed_as_a_copy_that_runs(installed, tmp_path):
    root, _ = installed
    venv = root / "opt/assistant/venv"
    result = subprocess.run(
        [str(venv / "bin/assistant"), "--version"], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("assistant ")
    # Imported from the environment, not from the checkout it was built from.
    where = subprocess.run(
        [
            str(venv / "bin/python"),
            "-c",
            "import assistant, skills; print(assistant.__file__, skills.__file__)",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    ).stdout.split()
    assert all(path.startswith(str(venv)) for path in where)
    # Building it left nothing behind in the checkout.
    assert not (REPO / "build").exists()


def test_second_run_changes_nothing(installed, source):
    root, _ = installed
    before = snapshot(root)
    second = setup_pi(root, source)
    assert set(step_states(second.stdout).values()) == {"ok", "skipped"}
    assert "done: 0 step(s) changed something" in second.stdout
    assert snapshot(root) == before


def test_dry_run_reports_and_touches_nothing(tmp_path, source):
    root = tmp_path / "root"
    root.mkdir()
    result = setup_pi(root, source, "--dry-run")
    states = step_states(result.stdout)
    assert states["program"] == states["configuration"] == states["service unit"] == "would change"
    assert "dry run: 4 step(s) would change something" in result.stdout
    assert list(root.iterdir()) == []


def test_dry_run_after_install_has_nothing_to_do(installed, source):
    root, _ = installed
    before = snapshot(root)
    result = setup_pi(root, source, "--dry-run")
    assert set(step_states(result.stdout).values()) == {"ok", "skipped"}
    assert "dry run: 0 step(s) would change something" in result.stdout
    assert snapshot(root) == before


def test_the_owners_configuration_is_never_overwritten(installed, source, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(installed[0], root, symlinks=True)
    config = root / "etc/assistant/assistant.yaml"
    config.write_text("language: ko\n")
    result = setup_pi(root, source)
    assert step_states(result.stdout)["configuration"] == "ok"
    assert config.read_text() == "language: ko\n"


def test_a_changed_unit_or_program_is_updated(installed, tmp_path):
    # Another copy of the project stands in for a newer release.
    source = copy_project(tmp_path / "source")
    root = tmp_path / "root"
    shutil.copytree(installed[0], root, symlinks=True)
    with (source / "systemd/assistant.service").open("a") as f:
        f.write("# local change\n")
    (source / "assistant/added_module.py").write_text('"""New in this release."""\n')

    result = setup_pi(root, source)
    states = step_states(result.stdout)
    assert states["service unit"] == "changed"
    assert states["program"] == "changed"
    assert states["configuration"] == "ok"
    assert (root / "etc/systemd/system/assistant.service").read_text().endswith("# local change\n")
    added = list(
        (root / "opt/assistant/venv/lib").glob("python3*/site-packages/assistant/added_module.py")
    )
    assert len(added) == 1


def test_root_without_skipping_system_steps_is_refused(tmp_path):
    result = subprocess.run(
        ["bash", str(SCRIPT), "--root", str(tmp_path), "--skip-packages"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "--root needs --skip-packages --skip-user --skip-systemd" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_unknown_option_is_refused():
    result = subprocess.run(["bash", str(SCRIPT), "--frobnicate"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "unknown option: --frobnicate" in result.stderr
