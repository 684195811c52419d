"""scripts/dev-setup installs once, then starts at once while nothing pip reads changed.

Runs the real script on a copy of the project whose `.venv` holds this test run's
interpreter and a pip that only records how it was called (a real install would take
minutes and reach the package index).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("espeak-ng", "libportaudio2", "pulseaudio", "pulseaudio-utils", "libasound2-plugins",
            "sox", "python3-venv", "python3-wheel", "systemd")  # fmt: skip

RECORDING_PIP = """#!/bin/sh
echo "$@" >> "$(dirname "$0")/../pip-calls"
"""


def _installed(package: str) -> bool:
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True
    )
    return "install ok installed" in result.stdout


@pytest.fixture
def project(tmp_path) -> Path:
    if shutil.which("dpkg-query") is None or not all(map(_installed, PACKAGES)):
        pytest.skip("dev-setup would install system packages first")
    copy = tmp_path / "project"
    (copy / "scripts").mkdir(parents=True)
    (copy / "assistant").mkdir()
    shutil.copy2(REPO / "scripts" / "dev-setup", copy / "scripts")
    shutil.copy2(REPO / "pyproject.toml", copy)
    shutil.copy2(REPO / "assistant" / "__init__.py", copy / "assistant")
    bin_dir = copy / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    # This run's interpreter, which imports the installed assistant.
    python = f'#!/bin/sh\nexec "{sys.executable}" "$@"\n'
    for name, text in (("pip", RECORDING_PIP), ("assistant", "#!/bin/sh\n"), ("python", python)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return copy


def dev_setup(project: Path) -> tuple[str, list[str]]:
    result = subprocess.run(
        ["bash", str(project / "scripts" / "dev-setup")], capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    calls = project / ".venv" / "pip-calls"
    lines = calls.read_text().splitlines() if calls.exists() else []
    calls.unlink(missing_ok=True)
    return result.stdout + result.stderr, lines


@pytest.mark.slow
def test_second_run_skips_pip_and_a_changed_pyproject_reinstalls(project):
    output, calls = dev_setup(project)
    assert calls == ["install -q --upgrade pip", "install -q -e .[test]"]
    assert "Ready:" in output

    output, calls = dev_setup(project)
    assert calls == []
    assert output.strip() == "Ready (nothing changed): .venv/bin/assistant --help"

    with (project / "pyproject.toml").open("a") as f:
        f.write("\n# a new dependency would go here\n")
    _, calls = dev_setup(project)
    assert calls == ["install -q --upgrade pip", "install -q -e .[test]"]
    assert dev_setup(project)[1] == []
