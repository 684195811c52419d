"""Beyond one command: a spoken yes/no answer, and a reply cut short by the wake word."""

import json
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import KOREAN_VOICE, rms, run_cli, silence, write_wav
from running import record_speaker

from assistant import app
from assistant import config as config_module
from assistant.audio import SpeakerSink, WavFileSource
from assistant.journal import Journal

pytestmark = pytest.mark.slow  # every test here loads the Korean Vosk model

RECORDING_BYTES_PER_SECOND = 32000
"""What `record_speaker` writes per second (16 kHz int16), sound or silence."""


def test_spoken_yes_confirms_deleting_all_history(tmp_path, ko_config, say):
    # What is tested is the question and its spoken answer, not rejection: the command only
    # has to be one of the sentences. This espeak-ng clip is heard right, but its copies
    # played faster and slower are not (tests/test_recognition.py covers the second opinion).
    with ko_config.open("a", encoding="utf-8") as config:
        config.write("stt:\n  second_opinion: false\n")
    marker = "marker-7f3a9c"
    run_cli("--config", str(ko_config), "ask", f"{marker} 지금 몇 시야")  # typed, logged
    with Journal.open(config_module.load(ko_config)) as journal:
        assert any(marker in (e.transcript or "") for e in journal.last(5))
    clip = np.concatenate(
        [
            silence(1),
            say("hey jarvis"),
            silence(0.6),
            say("전체 기록 지워 줘", KOREAN_VOICE),
            silence(1.5),
            say("네", KOREAN_VOICE),
            silence(3),
        ]
    )
    result = run_cli(
        "--config",
        str(ko_config),
        "run",
        "--json",
        "--input",
        str(write_wav(tmp_path / "c.wav", clip)),
        "--output",
        str(tmp_path / "r.wav"),
    )
    assert result.returncode == 0, result.stderr
    [interaction] = [json.loads(line) for line in result.stdout.splitlines()]
    assert interaction["intent"] == "PrivacyDeleteAll", (
        interaction["transcript"],
        interaction["timings_ms"],
    )
    question, answer = interaction["reply"].split(" / ")
    assert question == "모든 기록을 지울까요? 네 또는 아니요로 대답해 주세요."
    assert answer == "기록 1개를 지웠어요."  # the typed command above, and nothing else
    assert interaction["id"] is None  # what deletes the history is not itself kept
    with Journal.open(config_module.load(ko_config)) as journal:
        assert journal.last(5) == []  # the history is gone, and the deletion left no entry
    db_bytes = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("journal.db*"))
    assert marker.encode() not in db_bytes


def wait_for_growth(recording: Path, seconds: float, timeout: float = 20) -> None:
    """Until the speaker's recording holds `seconds` more audio than now (parec writes
    continuously, silence included), so no fixed sleep guesses how long it takes."""
    size = lambda: recording.stat().st_size if recording.exists() else 0  # noqa: E731
    target = size() + seconds * RECORDING_BYTES_PER_SECOND
    deadline = time.monotonic() + timeout
    while size() < target:
        assert time.monotonic() < deadline, "the speaker's recorder wrote nothing"
        time.sleep(0.02)


class SpeakerSpy(SpeakerSink):
    """The real speaker, noting whether a reply was playing when it was told to stop."""

    def __init__(self, device=None):
        super().__init__(device)
        self.cut_while_playing = 0

    def stop(self):
        if self.playing:
            self.cut_while_playing += 1
        super().stop()


@pytest.mark.audio
def test_wake_word_cuts_a_reply_short(pulse_server, tmp_path, ko_config, say, command_clip):
    # The second "hey jarvis" comes while the first reply (about 3 s) is still playing.
    clip = np.concatenate(
        [command_clip("지금 몇 시야")[: -int(1.0 * 16000)], say("hey jarvis"), silence(5)]
    )
    recording = tmp_path / "speaker.raw"
    recorder = record_speaker(recording)
    sink = SpeakerSpy()
    replies = []
    source = WavFileSource(write_wav(tmp_path / "c.wav", clip))
    assistant = app.build_assistant(
        config_module.load(ko_config), source=source, sink=sink, watcher=replies.append
    )
    assistant.prepare_audio()
    try:
        wait_for_growth(recording, 0.1)  # the recorder is listening
        assistant.run()
        wait_for_growth(recording, 1.0)  # whatever was still playing has reached the recorder
    finally:
        sink.close()
        assistant.close()
        recorder.terminate()
        recorder.wait()
    assert [r.intent for r in replies][:1] == ["ClockTime"]
    assert sink.cut_while_playing >= 1
    heard = np.frombuffer(recording.read_bytes(), np.int16)
    loud_seconds = sum(rms(heard[i : i + 1600]) > 300 for i in range(0, len(heard), 1600)) / 10
    reply_seconds = len(assistant.audio.synthesizer.synthesize(replies[0].reply)[0]) / 22050
    assert loud_seconds < reply_seconds - 1.0, (loud_seconds, reply_seconds)  # not played out
