"""Wyoming has no authentication or encryption: what the service does with peers it must
not trust. Hostile input closes that connection with one log line; the service goes on."""

from __future__ import annotations

import asyncio
import json
import logging

import numpy as np
import pytest
from conftest import KOREAN_VOICE, silence
from wyoming.asr import Transcript
from wyoming.audio import AudioChunk, AudioStart
from wyoming.info import Describe
from wyoming_helpers import (
    ServerThread,
    audio_stream,
    client,
    free_port,
    is_the_time_question,
    read_until,
    wyoming_config,
)

from assistant import config as config_module
from assistant.errors import ConfigError
from assistant.wyoming.framing import (
    MAX_PAYLOAD_BYTES,
    PeerGate,
    ProtocolViolation,
    read_event,
)


def read_bytes(raw: bytes):
    async def go():
        reader = asyncio.StreamReader(limit=64 * 1024)
        reader.feed_data(raw)
        reader.feed_eof()
        return await read_event(reader)

    return asyncio.run(go())


# ----- the guarded reader (fast) --------------------------------------------------------------


def test_a_well_formed_event_is_read_with_its_data_and_payload():
    data = json.dumps({"rate": 16000, "width": 2, "channels": 1}).encode()
    header = {"type": "audio-chunk", "data_length": len(data), "payload_length": 4}
    event = read_bytes(json.dumps(header).encode() + b"\n" + data + b"\x01\x00\x02\x00")
    assert event.type == "audio-chunk" and event.data["rate"] == 16000
    assert event.payload == b"\x01\x00\x02\x00"


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"\x00\xff garbage\n", "not valid JSON"),
        (b"[1, 2]\n", "not a JSON object"),
        (b'{"data": {}}\n', "no valid type"),
        (b'{"type": "audio-chunk", "payload_length": 99999999999}\n', "over the limit"),
        (b'{"type": "info", "data_length": 1073741824}\n', "over the limit"),
        (b'{"type": "info", "data_length": -5}\n', "not a byte count"),
        (b'{"type": "info", "data_length": 10}\n[1,2,3,4]\n', "not a JSON object"),
        (b'{"type": "audio-chunk", "payload_length": 100}\nshort', "closed in the middle"),
        (b'{"type": "describe"', "closed in the middle"),
    ],
)
def test_malformed_input_is_a_protocol_violation(raw, reason):
    with pytest.raises(ProtocolViolation, match=reason):
        read_bytes(raw)


def test_a_header_without_end_is_refused_at_the_reader_limit():
    with pytest.raises(ProtocolViolation, match="longer than"):
        read_bytes(b"{" + b"x" * 200_000)


def test_end_of_stream_between_events_is_a_clean_close():
    assert read_bytes(b"") is None


def test_allow_list_admits_networks_and_logs_each_refused_address_once(caplog):
    gate = PeerGate(["192.168.1.0/24", "::1/128"])
    assert gate.admits("192.168.1.20") and gate.admits("::1")
    assert gate.admits("::ffff:192.168.1.7")  # IPv4 peer seen on a dual-stack socket
    with caplog.at_level(logging.WARNING):
        for _ in range(5):
            assert not gate.admits("10.0.0.9")
        assert not gate.admits("192.168.2.1") and not gate.admits(None)
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 3 and "10.0.0.9" in refused[0]


@pytest.mark.parametrize(
    "section, message",
    [
        ({"port": 0}, "wyoming.port"),
        ({"port": 70000}, "wyoming.port"),
        ({"host": "kitchen.local"}, "wyoming.host"),
        ({"allow": ["192.168.1.0/33"]}, "wyoming.allow[0]"),
        ({"remote": "http://main:10700"}, "wyoming.remote"),
    ],
)
def test_bad_wyoming_settings_are_named(section, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        config_module.parse({"wyoming": section})


def test_off_by_default_and_on_loopback():
    wyoming = config_module.Config().wyoming
    assert not wyoming.enabled and wyoming.host == "127.0.0.1"
    assert wyoming.allow == ("127.0.0.1/32", "::1/128")


# ----- the running service (slow) ---------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("guard")
    extra = '  allow: ["127.0.0.1/32"]\n'
    running = ServerThread(wyoming_config(tmp / "a.yaml", tmp / "data", free_port(), extra))
    yield running
    running.close()


async def _raw_exchange(port: int, raw: bytes, local: str = "127.0.0.1") -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(local, 0))
    writer.write(raw)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(), 10)  # the server closes: b"" or answers
    finally:
        writer.close()


def _still_serving(port: int) -> bool:
    async def go():
        async with client(port) as c:
            await c.write_event(Describe().event())
            event, _ = await read_until(c, "info")
            return event.type == "info"

    return asyncio.run(go())


def _wire(*events) -> bytes:
    from io import BytesIO

    from wyoming.event import write_event

    buffer = BytesIO()
    for event in events:
        write_event(event, buffer)
    return buffer.getvalue()


def _stream_then(chunk) -> bytes:
    """An ASR stream opened as a client would, then one hostile chunk."""
    return b'{"type": "transcribe"}\n' + _wire(AudioStart(16000, 2, 1).event(), chunk)


HOSTILE = {
    "garbage bytes": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 hello\n",
    "huge data_length": b'{"type": "info", "data_length": 4000000000}\n',
    "huge payload_length": json.dumps(
        {"type": "audio-chunk", "payload_length": MAX_PAYLOAD_BYTES + 1}
    ).encode()
    + b"\n",
    "chunk before start": AudioChunk(16000, 2, 1, b"\0\0" * 10).event(),
    "stop before start": b'{"type": "audio-stop"}\n',
    "text that is not text": b'{"type": "synthesize", "data": {"text": 5}}\n',
    "a room that is not a name": b'{"type": "info", "data": {"satellite": {"area": [1]}}}\n',
    "a room link on an asr stream": b'{"type": "transcribe"}\n'
    b'{"type": "info", "data": {"satellite": {"area": "kitchen"}}}\n',
    # 64 kB at a claimed 16 Hz would become 128 MB of 16 kHz audio in the conversion.
    "a chunk that claims 16 Hz": _stream_then(AudioChunk(16, 2, 1, b"\1\0" * 32768).event()),
    "a chunk of width 0": _stream_then(AudioChunk(16000, 0, 1, b"\0" * 100).event()),
    "a chunk whose rate is text": _stream_then(AudioChunk("x", 2, 1, b"\0" * 100).event()),
    "a chunk of 8 s": _stream_then(AudioChunk(16000, 2, 1, b"\0" * 256_000).event()),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input_closes_one_connection_with_one_log_line(server, name, caplog):
    from wyoming.event import Event

    raw = HOSTILE[name]
    if isinstance(raw, Event):
        from io import BytesIO

        from wyoming.event import write_event

        buffer = BytesIO()
        write_event(raw, buffer)
        raw = buffer.getvalue()
    with caplog.at_level(logging.INFO, logger="assistant"):
        answer = asyncio.run(_raw_exchange(server.port, raw))
        assert _still_serving(server.port)
    assert answer == b""
    closed = [r for r in caplog.records if "closed the Wyoming connection" in r.getMessage()]
    assert len(closed) == 1, [r.getMessage() for r in caplog.records]


@pytest.mark.slow
def test_a_client_that_vanishes_mid_stream_costs_nothing(server, say, caplog):
    clip = np.concatenate([silence(0.3), say("지금 몇 시야", KOREAN_VOICE)])

    async def half_then_gone():
        async with client(server.port) as c:
            for event in audio_stream(clip)[:10]:
                await c.write_event(event)

    with caplog.at_level(logging.INFO, logger="assistant"):
        asyncio.run(half_then_gone())
        assert _still_serving(server.port)

    async def whole():
        async with client(server.port) as c:
            for event in audio_stream(np.concatenate([clip, silence(0.5)])):
                await c.write_event(event)
            event, _ = await read_until(c, "transcript")
            return Transcript.from_event(event).text

    assert is_the_time_question(asyncio.run(whole()))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "지금" not in logged and "시야" not in logged  # no transcript in the process log


@pytest.mark.slow
def test_a_peer_outside_the_allow_list_is_refused(server, caplog):
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            answer = asyncio.run(_raw_exchange(server.port, b'{"type": "describe"}\n', "127.0.0.2"))
            assert answer == b""  # closed without an answer
    refused = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 1 and "127.0.0.2" in refused[0].getMessage()
    assert _still_serving(server.port)  # 127.0.0.1 is on the list


@pytest.mark.slow
def test_a_chunk_that_would_grow_in_conversion_is_refused_before_it_grows(server):
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # 256 kB claimed at 8 Hz: 512 MB once converted to 16 kHz.
    raw = _stream_then(AudioChunk(8, 2, 1, b"\1\0" * 131072).event())
    assert asyncio.run(_raw_exchange(server.port, raw)) == b""
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100, f"the server grew by {grown_mb:.0f} MB"
    assert _still_serving(server.port)
