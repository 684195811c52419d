"""`assistant web` as a command and a service: its configuration, its start and stop, HTTPS,
its imports, the systemd unit, and the per-day chart's geometry."""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli

from assistant import config as config_module
from assistant.errors import ConfigError
from assistant.web.server import bind


def test_the_page_never_imports_the_speech_engines(tmp_path):
    code = (
        "import sys; from assistant.cli import main; main.build_parser();"
        "from assistant.web import app, server; import uvicorn, uvicorn.protocols.http.h11_impl;"
        "heavy = ('numpy', 'vosk', 'openwakeword', 'tflite_runtime', 'onnxruntime', 'sounddevice',"
        " 'pyttsx3', 'hassil', 'scipy');"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize(
    ("web", "message"),
    [({"listen": "0.0.0.0"}, "web.password: required"),
     ({"listen": "speaker.local"}, "not an IP address"),
     ({"port": 70000}, "web.port"),
     ({"password": "short"}, "at least 8"),
     ({"certificate": "cert.pem"}, "give both")],
)  # fmt: skip
def test_the_web_section_is_validated(web, message):
    with pytest.raises(ConfigError, match=message):
        config_module.parse({"web": web})


# --- the optional service unit ---------------------------------------------------------------

WEB_UNIT = Path(__file__).resolve().parent.parent / "systemd" / "assistant-web.service"
needs_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="needs systemd-analyze (apt-get install systemd)",
)


@needs_analyze
@pytest.mark.slow
def test_the_web_unit_is_valid_and_hardened(tmp_path):
    copy = tmp_path / "assistant-web.service"
    copy.write_text(WEB_UNIT.read_text().replace("/opt/assistant/venv/bin/assistant",
                                                 shutil.which("true")))  # fmt: skip
    verify = subprocess.run(["systemd-analyze", "verify", "--man=no", str(copy)],
                            capture_output=True, text=True)  # fmt: skip
    assert verify.returncode == 0 and verify.stderr.strip() == "", verify.stderr
    security = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager", str(WEB_UNIT)],
        capture_output=True, text=True,
    )  # fmt: skip
    score = float(re.search(r"Overall exposure level for \S+: (\d+\.\d)", security.stdout)[1])
    assert score <= 1.5
    text = WEB_UNIT.read_text()
    assert "SupplementaryGroups" not in text and "DeviceAllow" not in text  # no sound devices
    setup = (WEB_UNIT.parent.parent / "scripts" / "setup-pi.sh").read_text()
    assert "assistant-web" not in setup  # optional: never enabled by the installer


def test_the_chart_scales_bars_to_the_busiest_day_and_keeps_labels_inside():
    from datetime import date

    from assistant.web import chart

    today = date(2026, 11, 29)
    drawn = chart.build([("2026-11-27", 10, 4), ("2026-11-29", 5, 0), ("2026-10-01", 99, 9)],
                        today)  # fmt: skip
    assert drawn.peak == 10  # the day outside the 30 days does not count
    tallest, half = drawn.total_bars
    assert tallest.height == pytest.approx(2 * half.height)
    assert tallest.y + tallest.height == pytest.approx(half.y + half.height)  # one baseline
    assert tallest.y >= chart.TOP_MARGIN
    [wakes] = drawn.false_wake_bars
    assert wakes.height == pytest.approx(0.4 * tallest.height) and "2026-11-27" in wakes.title
    assert all(0 <= x <= chart.WIDTH for x, _, _ in drawn.labels)
    assert drawn.labels[-1][1:] == ("29 Nov", "end")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
def test_https_with_the_configured_certificate_marks_the_cookie_secure(tmp_path):
    import ssl

    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext",
         "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(tmp_path / "key.pem"),
         "-out", str(tmp_path / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    config_file = tmp_path / "assistant.yaml"
    config_file.write_text(
        f"data_dir: {tmp_path / 'data'}\nweb:\n  certificate: cert.pem\n  key: key.pem\n",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "--config", str(config_file), "web", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = process.stdout.readline()
        match = re.search(r"https://127\.0\.0\.1:(\d+)/\?token=(\S+)", line)
        assert match, line + process.stderr.read()
        context = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
        conn = http.client.HTTPSConnection("127.0.0.1", int(match[1]), context=context)
        conn.request("GET", f"/?token={match[2]}")
        response = conn.getresponse()
        assert response.status == 303
        cookie = response.getheader("set-cookie")
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        conn.close()
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0


# --- the command line -------------------------------------------------------------------------


def test_command_line_mistakes_are_one_line_errors(tmp_path, capsys):
    from assistant.cli.main import main

    config_file = tmp_path / "assistant.yaml"
    config_file.write_text(f"data_dir: {tmp_path / 'data'}\n", encoding="utf-8")
    busy = bind("127.0.0.1", 0)
    try:
        port = str(busy.getsockname()[1])
        assert main(["--config", str(config_file), "web", "--port", port]) == 1
    finally:
        busy.close()
    assert f"cannot listen on 127.0.0.1 port {port}" in capsys.readouterr().err
    assert main(["--config", str(config_file), "web", "--listen", "0.0.0.0"]) == 2
    assert "set web.password" in capsys.readouterr().err
    assert main(["--config", str(config_file), "web", "--port", "70000"]) == 2
    assert "--port: must be between 0 and 65535" in capsys.readouterr().err
    config_file.write_text("web:\n  listen: 0.0.0.0\n", encoding="utf-8")
    assert main(["--config", str(config_file), "web"]) == 2
    err = capsys.readouterr().err
    assert "web.password: required" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "data").exists()  # nothing was created by a refused start


def test_config_show_never_prints_the_page_password(tmp_path):
    secret = "correct horse battery staple"
    config = tmp_path / "assistant.yaml"
    config.write_text(
        f"data_dir: {tmp_path / 'data'}\nweb:\n  listen: 0.0.0.0\n  password: {secret}\n",
        encoding="utf-8",
    )
    for extra in ([], ["--json"]):
        shown = run_cli("--config", str(config), "config", "show", *extra)
        assert shown.returncode == 0, shown.stderr
        assert secret not in shown.stdout and "(set, not shown)" in shown.stdout
