"""systemd/assistant.service: valid for systemd, hardened as promised, scored by systemd."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
UNIT = REPO / "systemd" / "assistant.service"
EXAMPLES = REPO / "systemd" / "examples"
MAX_EXPOSURE = 1.5
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(
    SYSTEMD_ANALYZE is None, reason="systemd-analyze missing: apt-get install systemd"
)


def directives(text: str, section: str = "Service") -> dict[str, list[str]]:
    """Key → every value assigned in [section], in order (systemd allows repeats)."""
    values: dict[str, list[str]] = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = line.strip("[]")
            continue
        if current == section:
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


@pytest.fixture(scope="module")
def service() -> dict[str, list[str]]:
    return directives(UNIT.read_text())


def one(service, key: str) -> str:
    assert key in service, f"{key}= is missing"
    return service[key][-1]


def test_runs_the_installed_assistant_with_the_installed_config(service):
    assert one(service, "ExecStart") == (
        "/opt/assistant/venv/bin/assistant --config /etc/assistant/assistant.yaml run"
    )
    # Paths the setup script creates.
    script = (REPO / "scripts" / "setup-pi.sh").read_text()
    assert "VENV=/opt/assistant/venv" in script
    assert "CONFIG=/etc/assistant/assistant.yaml" in script
    assert "STATE=/var/lib/assistant" in script


def test_reload_sends_sighup_to_the_main_process(service):
    assert re.fullmatch(r"(/usr)?/bin/kill -(s )?HUP \$MAINPID", one(service, "ExecReload"))


def test_notify_type_with_watchdog_and_restart(service):
    assert one(service, "Type") == "notify"
    assert one(service, "NotifyAccess") == "main"
    watchdog = one(service, "WatchdogSec")
    assert re.fullmatch(r"\d+s?", watchdog) and int(watchdog.rstrip("s")) > 0
    assert one(service, "Restart") == "on-failure"


def test_dedicated_user_with_private_state(service):
    user = service.get("User", [""])[-1]
    assert (user and user != "root") or service.get("DynamicUser") == ["yes"]
    assert one(service, "StateDirectory") == "assistant"
    assert one(service, "StateDirectoryMode") == "0700"
    assert one(service, "UMask") == "0077"
    assert "audio" in one(service, "SupplementaryGroups").split()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("NoNewPrivileges", "yes"),
        ("DevicePolicy", "closed"),
        ("DeviceAllow", "char-alsa rw"),
        ("PrivateNetwork", "yes"),
        ("IPAddressDeny", "any"),
        ("CapabilityBoundingSet", ""),
        ("LimitCORE", "0"),
        ("MemorySwapMax", "0"),
    ],
)
def test_hardening_directive(service, key, value):
    assert one(service, key) == value


def test_only_local_sockets(service):
    assert service["RestrictAddressFamilies"] == ["AF_UNIX"]


def test_memory_is_capped(service):
    assert re.fullmatch(r"\d+[KMG]", one(service, "MemoryMax"))


def test_no_network_family_anywhere_in_the_default_unit():
    text = UNIT.read_text()
    uncommented = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert "AF_INET" not in uncommented


def test_http_drop_in_is_the_only_place_that_opens_the_network():
    drop_in = directives((EXAMPLES / "http-commands.conf").read_text())
    assert set(drop_in["RestrictAddressFamilies"][0].split()) == {"AF_UNIX", "AF_INET", "AF_INET6"}
    assert drop_in["PrivateNetwork"] == ["no"]
    assert "IPAddressAllow" in drop_in


def runnable_copy(tmp_path: Path, with_drop_ins: list[str] = ()) -> Path:
    """The unit with ExecStart pointed at an executable this machine has.

    `systemd-analyze verify` insists that ExecStart exists; /opt/assistant only exists
    on an installed Raspberry Pi.
    """
    text = UNIT.read_text().replace("/opt/assistant/venv/bin/assistant", shutil.which("true"))
    copy = tmp_path / "assistant.service"
    copy.write_text(text)
    if with_drop_ins:
        directory = tmp_path / "assistant.service.d"
        directory.mkdir()
        for name in with_drop_ins:
            shutil.copy(EXAMPLES / name, directory / name)
    return copy


def verify(unit: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SYSTEMD_ANALYZE, "verify", "--man=no", str(unit)], capture_output=True, text=True
    )


@needs_analyze
def test_systemd_analyze_verify_accepts_the_unit(tmp_path):
    result = verify(runnable_copy(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


@needs_analyze
@pytest.mark.parametrize("drop_in", sorted(p.name for p in EXAMPLES.glob("*.conf")))
def test_systemd_analyze_verify_accepts_each_drop_in(tmp_path, drop_in):
    result = verify(runnable_copy(tmp_path, [drop_in]))
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


@needs_analyze
def test_verify_would_notice_a_broken_unit(tmp_path):
    # The checks above mean something only if verify rejects a mistake.
    copy = runnable_copy(tmp_path)
    copy.write_text(copy.read_text().replace("Type=notify", "Type=notfy"))
    result = verify(copy)
    assert "notfy" in result.stderr


def exposure(unit: Path) -> float:
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "security", "--offline=true", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
    )
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d)", result.stdout)
    assert match, result.stdout + result.stderr
    return float(match.group(1))


@needs_analyze
def test_security_exposure_is_at_most_1_5(tmp_path):
    score = exposure(UNIT)
    assert score <= MAX_EXPOSURE
    # docs/service.md records the score; keep it honest.
    assert f"{score:.1f}" in _recorded_scores()["default"]


@needs_analyze
def test_recorded_score_with_the_http_drop_in_is_current(tmp_path):
    score = exposure(runnable_copy(tmp_path, ["http-commands.conf"]))
    assert f"{score:.1f}" in _recorded_scores()["http"]


def _recorded_scores() -> dict[str, str]:
    text = (REPO / "docs" / "service.md").read_text()
    default = re.search(r"default unit[^\n]*?exposure[^\n]*?(\d+\.\d)", text, re.IGNORECASE)
    http = re.search(r"http-commands\.conf[^\n]*?exposure[^\n]*?(\d+\.\d)", text, re.IGNORECASE)
    assert default and http, "docs/service.md must record both exposure scores"
    return {"default": default.group(1), "http": http.group(1)}
