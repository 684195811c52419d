"""The whole chain over a recording, through the `assistant run --input` command."""

import json
import wave

import numpy as np
import pytest
from conftest import rms, run_cli, silence, write_config, write_wav

from assistant import config as config_module
from assistant.audio import resample
from assistant.journal import Journal

pytestmark = pytest.mark.slow  # each test runs the assistant, most load the Korean model


def run_on(clip, config, reply):
    """`assistant run --json` over a recording, replies written to `reply`."""
    return run_cli(
        "--config", str(config), "run", "--input", str(clip), "--output", str(reply), "--json"
    )


def interactions(result):
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_wake_word_and_korean_question_give_one_answered_interaction(
    tmp_path, ko_config, command_clip
):
    clip = write_wav(tmp_path / "command.wav", command_clip("지금 몇 시야"))
    reply = tmp_path / "reply.wav"
    result = run_on(clip, ko_config, reply)
    [interaction] = interactions(result)
    assert interaction["wake_word"] == "hey_jarvis" and interaction["wake_score"] >= 0.5
    assert interaction["transcript"] in ("지금 몇 시야", "지금 몇 시 예요")  # both are ClockTime
    assert (interaction["intent"], interaction["outcome"]) == ("ClockTime", "handled")
    assert interaction["reply"].startswith("지금은")
    assert {"listen", "decode", "dispatch", "synthesize"} <= set(interaction["timings_ms"])
    with Journal.open(config_module.load(ko_config)) as journal:
        [row] = journal.last(5)
    assert interaction["id"] == row.id and row.transcript == interaction["transcript"]
    with wave.open(str(reply)) as w:
        samples = np.frombuffer(w.readframes(w.getnframes()), np.int16)
        assert w.getnframes() / w.getframerate() > 1.0  # a spoken sentence, not a click
    assert rms(samples) > 500


def test_two_commands_give_two_interactions_in_order(tmp_path, ko_config, command_clip):
    clip = write_wav(tmp_path / "two.wav", command_clip("지금 몇 시야", "알람 목록 알려 줘"))
    result = run_on(clip, ko_config, tmp_path / "r.wav")
    assert [i["intent"] for i in interactions(result)] == ["ClockTime", "AlarmList"]


def test_stereo_recording_at_another_rate_is_understood(tmp_path, ko_config, command_clip):
    mono = resample(command_clip("지금 몇 시야"), 16000, 44100)
    stereo = np.stack([mono, mono], axis=1).reshape(-1)
    clip = write_wav(tmp_path / "stereo.wav", stereo, rate=44100, channels=2)
    result = run_on(clip, ko_config, tmp_path / "r.wav")
    assert [i["intent"] for i in interactions(result)] == ["ClockTime"]


def test_wake_word_then_silence_is_a_no_speech_interaction_with_no_reply(tmp_path, ko_config, say):
    clip = write_wav(
        tmp_path / "nothing.wav", np.concatenate([silence(1), say("hey jarvis"), silence(6)])
    )
    reply = tmp_path / "reply.wav"
    result = run_on(clip, ko_config, reply)
    [interaction] = interactions(result)
    assert interaction["outcome"] == "no_speech" and interaction["reply"] is None
    with wave.open(str(reply)) as w:
        assert w.getnframes() == 0


def test_unknown_command_is_answered_with_an_apology(tmp_path, command_clip):
    # Free recognition: the grammar holds only what the skills understand, so it would
    # hear nothing in a command no skill has; the whole vocabulary always hears words.
    config = write_config(
        tmp_path / "free.yaml", f"language: ko\ndata_dir: {tmp_path / 'data'}\nstt:\n  mode: free\n"
    )
    clip = write_wav(tmp_path / "other.wav", command_clip("고양이 밥 줘"))
    result = run_on(clip, config, tmp_path / "r.wav")
    [interaction] = interactions(result)
    assert interaction["transcript"], interaction
    assert (interaction["outcome"], interaction["intent"]) == ("not_understood", None)
    assert interaction["reply"] == "죄송해요, 이해하지 못했어요."


def test_a_typed_command_prints_the_journal_row_it_was_kept_in(ko_config):
    result = run_cli("--config", str(ko_config), "ask", "지금 몇 시야", "--json")
    assert result.returncode == 0, result.stderr
    interaction = json.loads(result.stdout)
    assert (interaction["intent"], interaction["source"]) == ("ClockTime", "typed")
    with Journal.open(config_module.load(ko_config)) as journal:
        [row] = journal.last(5)
    assert interaction["id"] == row.id and row.transcript == "지금 몇 시야"


@pytest.mark.parametrize("kind", ["silence", "noise", "speech without wake word"])
def test_recordings_without_the_wake_word_produce_nothing(tmp_path, ko_config, say, kind):
    samples = {
        "silence": lambda: silence(5),
        "noise": lambda: np.random.default_rng(1).normal(0, 2000, 16000 * 5).astype(np.int16),
        "speech without wake word": lambda: np.concatenate([say("지금 몇 시야", "ko"), silence(1)]),
    }[kind]()
    clip = write_wav(tmp_path / "in.wav", samples)
    result = run_on(clip, ko_config, tmp_path / "r.wav")
    assert interactions(result) == []


def test_free_and_auto_modes_run_the_whole_chain(tmp_path, command_clip):
    clip = write_wav(tmp_path / "command.wav", command_clip("지금 몇 시야"))
    for mode in ("free", "auto"):
        config = tmp_path / f"{mode}.yaml"
        config.write_text(f"language: ko\ndata_dir: {tmp_path / 'data'}\nstt:\n  mode: {mode}\n")
        result = run_on(clip, config, tmp_path / "r.wav")
        [interaction] = interactions(result)
        assert interaction["transcript"], mode
        if mode == "auto":
            # The grammar pass understood it, so no free-mode fallback was needed.
            assert interaction["intent"] == "ClockTime"
            assert "free_decode" not in interaction["timings_ms"]
