"""The history page as the owner uses it: `assistant web` in its own process on loopback,
driven by Debian's headless Chromium through Selenium (chromedriver given explicitly, so
selenium-manager never looks for a driver). Search, play kept audio, delete a marker
through the page, then scan every file of the data directory for the marker's bytes.

ASSISTANT_UPDATE_SCREENSHOTS=1 also writes docs/web-list.png and docs/web-privacy.png."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from test_web import AUDIO_MARKER, MARKER, fill_journal, make_config

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = os.environ.get("ASSISTANT_UPDATE_SCREENSHOTS") == "1"
DESKTOP = (1280, 900)
PHONE = (390, 844)

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip(
        "needs Debian's chromium and chromium-driver (scripts/dev-setup installs them)",
        allow_module_level=True,
    )
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    """`assistant web` on a free loopback port over a filled journal: (url, data, log, pid)."""
    config = make_config(tmp_path)
    fill_journal(config)
    config_file = tmp_path / "assistant.yaml"
    config_file.write_text(
        f"data_dir: {tmp_path / 'data'}\njournal:\n  keep_audio: true\n  retention_days: 365\n",
        encoding="utf-8",
    )
    stderr = (tmp_path / "web.stderr").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "--config", str(config_file), "web",
         "--port", str(free_port())],
        stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=REPO,
    )  # fmt: skip
    try:
        line = process.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/\?token=\S+)", line)
        assert match, f"no URL printed: {line!r}"
        yield match.group(1), config.data_path, tmp_path / "web.stderr", process.pid
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0
        stderr.close()


@pytest.fixture
def browser(monkeypatch):
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.selenium_manager import SeleniumManager

    def no_downloads(*args, **kwargs):
        raise AssertionError("selenium-manager must not run: it would download a driver")

    monkeypatch.setattr(SeleniumManager, "binary_paths", no_downloads)

    profile = tempfile.mkdtemp(prefix="web-test-chromium-")
    options = Options()
    options.binary_location = str(CHROMIUM)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", f"--window-size={DESKTOP[0]},{DESKTOP[1]}"]  # fmt: skip
    for flag in flags:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def files_containing(directory: Path, needle: bytes) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file() and needle in p.read_bytes()]


def heading_after(driver, click_target, expected: str) -> str:
    """Click, then wait for the next page's heading (the old page may still be shown)."""
    from selenium.common.exceptions import StaleElementReferenceException

    click_target.click()

    def next_heading(d) -> str | bool:
        text = d.find_element(By.TAG_NAME, "h1").text
        return text if expected in text else False

    return WebDriverWait(driver, 20, ignored_exceptions=[StaleElementReferenceException]).until(
        next_heading
    )


def screenshot(driver, size: tuple[int, int], name: str, whole_page: bool) -> None:
    if not SCREENSHOTS:
        return
    driver.set_window_size(*size)
    if whole_page:
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(size[0], min(max(height + 120, size[1]), 4000))
    driver.save_screenshot(str(REPO / "docs" / name))
    driver.set_window_size(*DESKTOP)


def test_review_listen_and_delete_in_a_real_browser(served, browser):
    url, data_dir, server_log, pid = served
    browser.get(url)
    assert "token=" not in browser.current_url  # traded for a cookie at once
    entries = browser.find_elements(By.CSS_SELECTOR, "ol.entries li")
    assert len(entries) == 50
    assert AUDIO_MARKER in entries[0].text and MARKER in entries[1].text
    screenshot(browser, DESKTOP, "web-list.png", whole_page=False)

    # Search through the form, as typed by the owner.
    box = browser.find_element(By.NAME, "q")
    box.send_keys(MARKER.upper())
    box.submit()
    WebDriverWait(browser, 20).until(lambda d: "q=" in d.current_url)
    found = browser.find_elements(By.CSS_SELECTOR, "ol.entries li")
    assert len(found) == 1 and MARKER in found[0].text

    # The kept audio plays in the page.
    browser.get(url.split("?")[0])
    heading_after(browser, browser.find_element(By.PARTIAL_LINK_TEXT, AUDIO_MARKER), AUDIO_MARKER)
    audio = browser.find_element(By.TAG_NAME, "audio")
    WebDriverWait(browser, 20).until(
        lambda d: d.execute_script("return arguments[0].readyState", audio) >= 1
    )
    duration = browser.execute_script("return arguments[0].duration", audio)
    assert 0.9 < duration < 1.1  # the one-second tone that was kept
    assert browser.execute_script("return arguments[0].error", audio) is None

    # Delete the marker interaction through the page, confirming the count.
    browser.get(url.split("?")[0] + f"?q={MARKER}")
    heading_after(browser, browser.find_element(By.PARTIAL_LINK_TEXT, MARKER), MARKER)
    delete = browser.find_element(By.XPATH, "//button[contains(., 'Delete this interaction')]")
    assert heading_after(browser, delete, "Delete 1") == "Delete 1 interaction?"
    confirm = browser.find_element(By.XPATH, "//button[contains(., 'Delete 1 interaction')]")
    assert heading_after(browser, confirm, "Deleted") == "Deleted 1 interaction"
    verdict = browser.find_element(By.ID, "verdict").text
    assert "no deleted content remains" in verdict

    assert files_containing(data_dir, MARKER.encode()) == []
    assert files_containing(data_dir, AUDIO_MARKER.encode())  # the rest is still there
    browser.get(url.split("?")[0] + f"?q={MARKER}")
    assert "Nothing matches" in browser.find_element(By.TAG_NAME, "main").text

    # The privacy summary, with the phone's width.
    browser.get(url.split("?")[0].rstrip("/") + "/privacy")
    assert "121 interactions" in browser.find_element(By.TAG_NAME, "main").text
    assert "passed" in browser.find_element(By.CSS_SELECTOR, "table.summary").text
    screenshot(browser, PHONE, "web-privacy.png", whole_page=True)

    # The running page never loaded a speech or audio engine (their shared libraries).
    maps = Path(f"/proc/{pid}/maps").read_text()
    for engine in ("numpy", "vosk", "tflite", "onnxruntime", "portaudio", "espeak"):
        assert engine not in maps, engine

    time.sleep(0.2)
    log = server_log.read_text(encoding="utf-8")
    assert MARKER not in log and AUDIO_MARKER not in log and "what time" not in log
