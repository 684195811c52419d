"""Recognition with the compiled grammar on the real Korean model and espeak-ng voices:
whole sentences or nothing, no action on a question or on talk that is no command,
repeatable decoding, early end of a finished sentence."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

from assistant.config import ListenConfig
from assistant.listen import CommandListener, EndedBy
from assistant.measure import rms
from assistant.rejection import STATE_CHANGING, Thresholds, agrees, recognise
from assistant.stt import transcribe
from tests.conftest import run_cli, silence, write_wav

pytestmark = pytest.mark.slow

VOICES = ("ko", "ko+f2", "ko+f3", "ko+m1", "ko+m3")
ANSWER_VOICE = "ko+f3"
"""The voice that answers the assistant's questions (its "네" is heard as one)."""
TIME_QUESTIONS = ("지금 몇 시야", "몇 시야")
OUT_OF_DOMAIN = (
    "오늘 점심 뭐 먹을까",
    "엄마가 시장에 갔어요",
    "내일 비가 올까요",
    "백 나누기 사는 얼마지",
    "이 노래 제목이 뭐야",
    "창문 좀 열어 줄래",
    "배고파 죽겠다",
    "주말에 영화 보러 가자",
)


def _clip(say, commands: list[tuple[str, str]], answer: str | None = None) -> np.ndarray:
    """Each command after the wake word; with `answer`, said after every command as well:
    the reply to the question the assistant asks when it is unsure (assistant.asking), and
    mere talk after a command it took or declined."""
    parts = [silence(1.0)]
    for text, voice in commands:
        parts += [say("hey jarvis", "en-us"), silence(0.6), say(text, voice)]
        if answer:
            parts += [silence(1.5), say(answer, ANSWER_VOICE)]
        parts.append(silence(2.5))
    return np.concatenate(parts)


def _run(tmp_path, ko_config, clip) -> list[dict]:
    wav = write_wav(tmp_path / "clip.wav", clip)
    result = run_cli("--config", str(ko_config), "run", "--input", str(wav), "--json", timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_questions_and_other_talk_never_trigger_an_action(tmp_path, ko_config, say):
    questions = [(q, v) for v in VOICES for q in TIME_QUESTIONS]
    other = [(s, v) for v in ("ko+f2", "ko+m3") for s in OUT_OF_DOMAIN]
    # A question the assistant asks when unsure is answered no: nothing may come of it.
    interactions = _run(tmp_path, ko_config, _clip(say, questions + other, answer="아니요"))
    assert len(interactions) == len(questions) + len(other)

    asked, talked = interactions[: len(questions)], interactions[len(questions) :]
    assert not [i for i in interactions if i["intent"] in STATE_CHANGING]
    assert {(i["intent"], i["outcome"]) for i in asked} <= {
        ("ClockTime", "handled"),
        (None, "not_understood"),
        (None, "declined"),  # asked about, and answered no
    }
    assert any(i["intent"] == "ClockTime" for i in asked)
    answered = [
        (i["transcript"], i["intent"])
        for i in talked
        if i["outcome"] not in ("not_understood", "declined")
    ]
    assert answered == []

    data = tmp_path / "data"
    assert not list(data.glob("skills/*/*.json")) or all(
        json.loads(p.read_text() or "[]") in ([], {}) for p in data.glob("skills/*/*.json")
    ), "an alarm or timer was stored"
    with sqlite3.connect(data / "journal.db") as db:
        [(count,)] = db.execute("SELECT COUNT(*) FROM interactions").fetchall()
    assert count == len(interactions)  # nothing was deleted


@pytest.mark.parametrize("voice", ["ko", "ko+f3", "ko+m1"])
def test_decoding_the_same_clip_twice_gives_the_same_transcript(ko_grammar_model, say, voice):
    pcm = bytes(10240) + say("알람 목록 알려 줘", voice).tobytes() + bytes(32000)
    first = transcribe(ko_grammar_model, None, pcm, word_confidences=True)
    assert all(
        transcribe(ko_grammar_model, None, pcm, word_confidences=True) == first for _ in "ab"
    )


@pytest.mark.parametrize(
    ("command", "speed"),
    [
        ("지금 몇 시야", 175),
        ("알람 목록 알려 줘", 175),
        ("알람 취소", 130),  # at 175 this voice's "알람 취소" is heard as "알람 몇 개 있어"
        ("기록 다 지워 줘", 175),
        ("소리 키워 줘", 175),
    ],
)
def test_commands_are_understood_with_the_compiled_grammar(
    ko_grammar_model, ko_compiled_grammar, say, command, speed
):
    # The grammar holds several ways to say each command ("지금 몇 시야", "지금 몇 시 이에요"):
    # what must come out is a sentence of the grammar with the command's intent and slots.
    matcher, grammar = ko_compiled_grammar
    pcm = bytes(10240) + say(command, "ko+f3", speed).tobytes() + bytes(32000)
    [heard] = transcribe(ko_grammar_model, None, pcm, word_confidences=True)[:1]
    assert grammar.sentences.accepts(heard)
    expected, got = matcher.match(command), matcher.match(heard)
    assert got is not None and (got.intent, got.slots) == (expected.intent, expected.slots), heard


def _frames(samples: np.ndarray):
    for start in range(0, len(samples), 1280):
        yield samples[start : start + 1280]


def test_a_finished_sentence_ends_before_vosk_s_endpoint(
    ko_grammar_model, ko_compiled_grammar, say
):
    _, grammar = ko_compiled_grammar
    audio = np.concatenate([silence(0.3), say("지금 몇 시야", "ko+f3"), silence(3.0)])
    config = ListenConfig()
    early = CommandListener(ko_grammar_model, None, config, grammar.sentences).listen(
        _frames(audio)
    )
    late = CommandListener(
        ko_grammar_model,
        None,
        ListenConfig(early_end_seconds=0, early_end_extendable_seconds=0),
        grammar.sentences,
    ).listen(_frames(audio))
    assert early.ended_by is EndedBy.EARLY and late.ended_by is EndedBy.ENDPOINT
    assert early.text == late.text and grammar.sentences.accepts(early.text)
    assert early.audio_seconds < late.audio_seconds - 0.3


@pytest.fixture(scope="module")
def growing_grammar(tmp_path_factory, ko_model_path):
    """A small grammar in which one sentence is the start of another."""
    from hassil import Intents

    from assistant.grammar_cache import compiled_grammar
    from assistant.stt import SpeechModel

    templates = {
        "language": "ko",
        "intents": {
            "AlarmCancel": {"data": [{"sentences": ["알람 취소", "알람 취소 그만"]}]},
            "ClockTime": {"data": [{"sentences": ["지금 몇 시야"]}]},
        },
    }
    cache = tmp_path_factory.mktemp("growing")
    grammar = compiled_grammar(Intents.from_dict(templates), templates, "ko", ko_model_path, cache)
    return grammar, SpeechModel(grammar.model_dir)


def test_a_sentence_that_can_still_grow_is_not_cut_at_a_short_pause(growing_grammar, say):
    grammar, model = growing_grammar
    audio = np.concatenate(
        [silence(0.3), say("알람 취소", "ko+f3"), silence(0.5), say("그만", "ko+f3"), silence(3)]
    )
    assert grammar.sentences.prefix("알람 취소").value == "extendable"
    patient = CommandListener(model, None, ListenConfig(), grammar.sentences).listen(_frames(audio))
    assert patient.text == "알람 취소 그만"
    # The same pause is too long for a listener that waits only 0.3 s after any sentence.
    hasty = ListenConfig(early_end_extendable_seconds=0.3)
    cut = CommandListener(model, None, hasty, grammar.sentences).listen(_frames(audio))
    assert (cut.text, cut.ended_by) == ("알람 취소", EndedBy.EARLY)


CUT_CASES = (
    ("오늘 기록 다 좀 지워 줘라", "ko+f2", 150),
    ("오늘 요일 좀 알려 주세요", "ko+f2", 150),
    ("강아지 산책 시켜야 해", "ko+f2", 175),
    ("일 마일은 몇 킬로미터야", "ko+f3", 175),
    ("오후 두 시에 알람 설정해 줘", "ko+m3", 175),
)
"""Speech the decoder heard mostly as its way out, in the voices where early end once cut
it short: the listener's noise floor was taken from the pre-roll as one chunk (silence and
the first word together), so the rest of the speech counted as a pause."""


@pytest.mark.parametrize(("text", "voice", "speed"), CUT_CASES)
def test_early_end_never_cuts_speech_short(
    ko_grammar_model, ko_compiled_grammar, say, text, voice, speed
):
    _, grammar = ko_compiled_grammar
    speech = say(text, voice, speed)
    audio = np.concatenate([silence(0.5), speech, silence(3.0)])
    loud = [i for i in range(0, len(audio), 1280) if rms(audio[i : i + 1280]) > 300]
    speech_ends = (loud[-1] + 1280) / 16000
    heard = CommandListener(ko_grammar_model, None, ListenConfig(), grammar.sentences).listen(
        _frames(audio)
    )
    assert heard.waited_seconds + heard.audio_seconds >= speech_ends, heard.text


def _listened(model, sentences, samples: np.ndarray):
    from assistant.second_opinion import SecondOpinion

    listener = CommandListener(
        model, None, ListenConfig(), sentences, SecondOpinion(model).transcripts
    )
    return listener.listen(_frames(np.concatenate([silence(1.0), samples, silence(2.5)])))


@pytest.mark.parametrize(
    ("command", "voice"),
    [
        # Heard as "오 시 에 알람 설정해 줘" with every word at full confidence: an alarm
        # for five o'clock that nobody asked for.
        ("오후 두 시에 알람 설정해 줘", "ko+m3"),
        # Heard as "차 타이머 얼마나 남아", a question about a timer named "차".
        ("타이머 얼마나 남았지", "ko+f2"),
    ],
)
def test_the_second_opinion_declines_a_mishearing_the_confidence_let_through(
    ko_grammar_model, ko_compiled_grammar, say, command, voice
):
    matcher, grammar = ko_compiled_grammar
    utterance = _listened(ko_grammar_model, grammar.sentences, say(command, voice))
    understood = recognise(
        utterance.hypotheses,
        utterance.confidence,
        matcher.match_strict,
        grammar.sentences,
        Thresholds(questions=0.5, actions=0.95),  # the thresholds before the second opinion
    )
    meant = matcher.match(command)
    assert understood.accepted, utterance.hypotheses  # what rejection alone acted on
    assert (understood.match.intent, understood.match.slots) != (meant.intent, meant.slots)
    assert utterance.second_opinion is not None  # asked during the pause, not after it
    assert not agrees(understood.match, utterance.second_opinion, matcher.match_strict)


@pytest.mark.parametrize("command", ["지금 몇 시야", "알람 목록 알려 줘", "기록 다 지워 줘"])
def test_the_second_opinion_confirms_a_clear_command(
    ko_grammar_model, ko_compiled_grammar, say, command
):
    matcher, grammar = ko_compiled_grammar
    utterance = _listened(ko_grammar_model, grammar.sentences, say(command, "ko+f3"))
    understood = recognise(
        utterance.hypotheses,
        utterance.confidence,
        matcher.match_strict,
        grammar.sentences,
        Thresholds(),
    )
    meant = matcher.match(command)
    assert understood.accepted and understood.match.intent == meant.intent, utterance.hypotheses
    assert utterance.second_opinion is not None  # asked during the pause
    assert agrees(understood.match, utterance.second_opinion, matcher.match_strict)


@pytest.mark.parametrize("answer", ["네", "아니요"])
def test_an_unsure_command_is_asked_about_and_only_a_yes_runs_it(tmp_path, ko_config, say, answer):
    """Through `run --input`: a sentence short of its standard (this clip is heard right,
    with a low word confidence) is asked about ("…, 맞아요?"). "네" runs exactly what the
    question named; "아니요" leaves everything as it was."""
    from assistant.config import load
    from assistant.intents import IntentMatcher
    from assistant.skillkit import enabled_skills

    clip = _clip(say, [("여섯 시에 좀 깨워 줄래", "ko")], answer=answer)
    [interaction] = _run(tmp_path, ko_config, clip)
    question, reply = interaction["reply"].split(" / ")
    assert question == f"{interaction['transcript']}, 맞아요? 네 또는 아니요로 대답해 주세요."
    alarms = [
        item["details"]
        for stored in (tmp_path / "data").glob("skills/alarms/*.json")
        for item in json.loads(stored.read_text())["items"]
    ]
    if answer == "네":
        named = IntentMatcher(enabled_skills(load(ko_config)), "ko").match(
            interaction["transcript"]
        )
        assert (named.intent, named.slots) == ("AlarmSet", {"hour": 6})
        assert (interaction["intent"], interaction["outcome"]) == ("AlarmSet", "handled")
        assert alarms == [{"hour": 6, "minute": 0}]
    else:
        assert (interaction["intent"], interaction["outcome"]) == (None, "declined")
        assert reply == "알겠어요, 하지 않을게요."
        assert alarms == []
