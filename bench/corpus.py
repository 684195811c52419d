"""Generated test material: wake word clips with noise, and long speech without a wake word.

Everything is spoken by espeak-ng with fixed seeds, so two runs hear the same audio.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

import numpy as np

from bench.common import RATE, Speech, add_white_noise, rms, silence

WAKE_VOICES = ("en-us", "en-gb", "en-us+f3", "en-us+m3", "en-gb-x-rp", "en-us+f4", "en-gb-scotland")
WAKE_SPEEDS = (130, 155, 175, 200)
SNRS_DB: tuple[float | None, ...] = (None, 20.0, 10.0, 5.0)
"""None: the clean clip."""

SPEECH_VOICES = (
    "en-us",
    "en-gb",
    "en-us+f3",
    "en-us+m3",
    "en-gb-x-rp",
    "en-us+f2",
    "en-gb-scotland",
    "en-us+m7",
    "en-029",
    "en-us-nyc",
)
SPEECH_SPEEDS = (140, 160, 175, 190)

# Household talk, without any of the wake phrases (hey jarvis, alexa, hey mycroft, okay nabu).
_SUBJECTS = (
    "the kids",
    "my sister",
    "our neighbour",
    "the plumber",
    "grandma",
    "your brother",
    "the dog",
    "everyone at work",
    "the teacher",
    "my friend from school",
    "the man next door",
    "we",
    "they",
)
_VERBS = (
    "cooked",
    "forgot",
    "painted",
    "cleaned",
    "bought",
    "fixed",
    "moved",
    "ordered",
    "washed",
    "borrowed",
    "found",
    "lost",
    "watched",
    "planted",
    "carried",
    "opened",
    "sold",
)
_OBJECTS = (
    "the old car",
    "a new kettle",
    "the garden fence",
    "some fresh bread",
    "the blue curtains",
    "a birthday cake",
    "the kitchen window",
    "two bags of rice",
    "the heavy boxes",
    "a small table",
    "the washing machine",
    "the living room lamp",
    "a pot of soup",
    "the bicycle tyre",
)
_WHEN = (
    "yesterday",
    "last week",
    "this morning",
    "on Sunday",
    "before dinner",
    "after the football",
    "in the afternoon",
    "at half past seven",
    "during the holidays",
    "tonight",
)
_QUESTIONS = (
    "did you remember to lock the back door",
    "where did you put the car keys",
    "are we having pasta again tonight",
    "who left the milk out on the table",
    "can you pick up the children at four",
    "what time does the shop close on Fridays",
    "have you seen my reading glasses anywhere",
    "should we call the electrician tomorrow",
)
_REMARKS = (
    "it has been raining all day",
    "the traffic was terrible on the way home",
    "I think the heating is broken again",
    "the tomatoes are finally getting red",
    "that film was much longer than I expected",
    "we need to save a bit more this month",
    "the train was late again this morning",
    "my back hurts from all that gardening",
)


def household_sentences(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.55:
        who, did, what = rng.choice(_SUBJECTS), rng.choice(_VERBS), rng.choice(_OBJECTS)
        return f"{who} {did} {what} {rng.choice(_WHEN)}."
    if kind < 0.8:
        return rng.choice(_QUESTIONS).capitalize() + "?"
    return rng.choice(_REMARKS).capitalize() + "."


def speech_without_wake_word(speech: Speech, seconds: float, seed: int = 7) -> np.ndarray:
    """At least `seconds` of varied English talk in several voices and speeds."""
    rng = random.Random(seed)
    parts: list[np.ndarray] = []
    total = 0
    voices = itertools.cycle(itertools.product(SPEECH_VOICES, SPEECH_SPEEDS))
    while total < seconds * RATE:
        voice, speed = next(voices)
        # About a minute of talk per espeak-ng call: fewer processes, same variety.
        text = " ".join(household_sentences(rng) for _ in range(14))
        clip = speech.say(text, voice, speed)
        parts += [clip, silence(rng.uniform(0.3, 1.5))]
        total += len(clip) + len(parts[-1])
    return np.concatenate(parts)[: int(seconds * RATE)]


@dataclass(frozen=True)
class WakeClip:
    voice: str
    speed: int
    snr_db: float | None
    start: int
    """Sample where the clip's window starts in the stream."""
    end: int


LEAD_SECONDS = 1.5
TAIL_SECONDS = 1.5
"""Either side of each "hey jarvis": longer together than the wake stage's refractory
period, so one clip's detection never hides the next one."""


def wake_word_stream(
    speech: Speech, count: int, seed: int = 11
) -> tuple[np.ndarray, list[WakeClip]]:
    """`count` "hey jarvis" clips (voices x speeds x noise levels, spread evenly when fewer
    are asked for) in one stream, each in its own window of silence and noise."""
    combos = list(itertools.product(WAKE_VOICES, WAKE_SPEEDS, SNRS_DB))
    random.Random(seed).shuffle(combos)
    chosen = (
        combos[:count] if count <= len(combos) else [combos[i % len(combos)] for i in range(count)]
    )
    rng = np.random.default_rng(seed)
    parts, clips, position = [], [], 0
    for voice, speed, snr in chosen:
        spoken = speech.say_trimmed("hey jarvis", voice, speed)
        window = np.concatenate([silence(LEAD_SECONDS), spoken, silence(TAIL_SECONDS)])
        if snr is not None:
            window = add_white_noise(window, snr, rms(spoken), rng)
        clips.append(WakeClip(voice, speed, snr, position, position + len(window)))
        parts.append(window)
        position += len(window)
    return np.concatenate(parts), clips


KOREAN_OUT_OF_DOMAIN = (
    # Household Korean that is no command of the assistant, as said after a wake word by
    # mistake or to someone else in the room: none may lead to an action.
    "오늘 점심 뭐 먹을까",
    "엄마가 시장에 갔어요",
    "내일 비가 올까요",
    "이 노래 제목이 뭐야",
    "창문 좀 열어 줄래",
    "배고파 죽겠다",
    "주말에 영화 보러 가자",
    "고양이 밥 줘",
    "숙제 다 했어",
    "강아지 산책 시켜야 해",
    "설거지는 내가 할게",
    "어제 축구 경기 봤어",
    "이번 주에 할머니 댁에 가요",
    "우유가 다 떨어졌네",
    "차 키 어디 뒀어",
    "빨리 학교 가야지",
    "오늘 날씨 정말 좋다",
    "저녁에 친구가 온대",
    "전화 좀 받아 줄래",
    "불 좀 꺼 줄래",
    "문 잠갔어",
    "냉장고에 김치 있어",
    "오늘 회사에서 늦게 와",
    "이거 얼마 주고 샀어",
    "책 좀 읽어 줄래",
    "피곤해서 일찍 잘래",
    "아이들 벌써 잤어",
    "택배 왔나 봐",
    "쓰레기 버리고 올게",
    "커피 한 잔 마실래",
    "오늘 저녁은 라면 먹자",
    "다음 주 월요일이 휴일이야",
    "버스가 안 와",
    "머리가 좀 아파",
    "세탁기 다 돌았어",
    "이 옷 어때",
    "화분에 물 줬어",
    "지갑을 잃어버렸어",
    "생일 선물 뭐 사 줄까",
    "청소기 좀 돌려 줘",
    "텔레비전 좀 켜 봐",
    "누나한테 전화해 봐",
    "아빠 언제 와",
    "밥 먹었어",
    "시험 잘 봤어",
    "길이 많이 막히네",
    "여름 휴가 어디로 갈까",
    "손 씻고 와",
    "그 영화 재미있었어",
    "오늘 너무 추워",
    "사과 하나 줄래",
    "방 청소 했니",
    "게임 그만하고 자",
    "주차장에 자리 있어",
    "내일 몇 시에 만나",
    "회의가 몇 시에 끝나",
    "비밀번호가 뭐였지",
    "빵 좀 사 와",
    "이 사진 예쁘다",
    "물 좀 갖다 줘",
    "약 먹을 시간이야",
    "창문 닫아",
)
"""62 sentences; several share words with commands (몇 시, 꺼 줘, 타이머-like numbers)."""
