"""System: "what can you do", "repeat that", "stop", volume, and muting the microphone.

It changes the running assistant only through `services['controls']` (volume, mute,
last reply) and the announcer (silencing a ringing timer); it reads the enabled skills
from `services['catalog']`, with the examples their sentence files list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from assistant.skills import Reply, Request, Skill

from .texts import SKILL_TITLES, TEXT


@dataclass(frozen=True)
class Settings:
    volume_step: int = 1
    """How far "volume up" / "volume down" move, on the 0 to 10 scale."""
    default_mute_minutes: float = 10
    """How long "mute the microphone" lasts when no duration is said."""
    examples_per_skill: int = 2
    """How many example sentences "what can you do" gives per skill."""


_DIGIT = re.compile(r"\d")


class System(Skill):
    Settings = Settings

    def __init__(self, context) -> None:
        super().__init__(context)
        self.language = context.language if context.language in TEXT else "en"
        self.text = TEXT[self.language]
        self._examples: dict[str, list[str]] | None = None

    @property
    def controls(self):
        return self.context.services.get("controls")

    def handle(self, request: Request) -> Reply:
        handler = {
            "SystemCapabilities": self.capabilities,
            "SystemRepeat": self.repeat,
            "SystemStop": self.stop,
            "SystemVolumeUp": lambda slots: self.change_volume(+self.context.settings.volume_step),
            "SystemVolumeDown": lambda slots: self.change_volume(
                -self.context.settings.volume_step
            ),
            "SystemVolumeSet": self.set_volume,
            "SystemVolumeGet": self.get_volume,
            "SystemMute": self.mute,
            "SystemAnswer": lambda slots: self.text["no_question"],
        }[request.intent]
        return Reply(handler(request.slots))

    # ----- what can you do ----------------------------------------------------------------

    def examples(self) -> dict[str, list[str]]:
        """Skill name → example sentences: the `examples` of its sentence file, else a
        sentence sampled from its first template (owner skills, owner commands)."""
        if self._examples is None:
            wanted = self.context.settings.examples_per_skill
            found = {}
            for loaded in self.context.services.get("catalog") or []:
                listed = _listed_examples(loaded, self.language) or _sampled_example(
                    loaded, self.language
                )
                if listed:
                    found[loaded.name] = listed[:wanted]
            self._examples = found
        return self._examples

    def capabilities(self, slots: dict) -> str:
        catalog = self.context.services.get("catalog") or []
        examples = self.examples()
        parts = []
        for loaded in catalog:
            said = examples.get(loaded.name)
            if not said:
                continue  # a skill with no sentences in this language cannot be asked anything
            title = SKILL_TITLES.get(self.language, {}).get(
                loaded.name, loaded.name.replace("_", " ")
            )
            quoted = self.text["or"].join(f"“{s}”" for s in said)
            parts.append(self.text["example"].format(title=title, examples=quoted))
        if not parts:
            return self.text["nothing"]
        return self.text["intro"] + " " + " ".join(parts)

    # ----- repeat, stop -----------------------------------------------------------------------

    def repeat(self, slots: dict) -> str:
        last = self.controls.last_reply if self.controls is not None else None
        return last or self.text["nothing_said"]

    def stop(self, slots: dict) -> str:
        announcer = self.context.announcer
        silenced = announcer.stop() if announcer is not None else False
        return self.text["stopped" if silenced else "okay"]

    # ----- volume ---------------------------------------------------------------------------

    def change_volume(self, step: int) -> str:
        controls = self.controls
        before = controls.volume
        after = controls.set_volume(before + step)
        if after == before:
            return self.text["volume_max" if step > 0 else "volume_min"]
        return self.text["volume_now"].format(level=after)

    def set_volume(self, slots: dict) -> str:
        level = self.controls.set_volume(int(slots["volume_level"]))
        return self.text["volume_now"].format(level=level)

    def get_volume(self, slots: dict) -> str:
        return self.text["volume_is"].format(level=self.controls.volume)

    # ----- microphone -----------------------------------------------------------------------

    def mute(self, slots: dict) -> str:
        minutes = int(slots.get("hours", 0)) * 60 + int(slots.get("minutes", 0))
        if minutes <= 0:
            minutes = self.context.settings.default_mute_minutes
        self.controls.mute_microphone(minutes * 60)
        return self.text["muted"].format(duration=_minutes_text(minutes, self.language))


def _listed_examples(loaded, language: str) -> list[str]:
    path = loaded.sentence_file(language)
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return []
    return [str(e) for e in data.get("examples") or []]


def _sampled_example(loaded, language: str) -> list[str]:
    """One sentence of the skill's first intent, numbers preferably in words."""
    from hassil import Intents, sample_intents

    from assistant.intents import _merge_sentence_files

    merged, _ = _merge_sentence_files([loaded], language)
    if not merged["intents"]:
        return []
    first = next(iter(merged["intents"]))
    try:
        intents = Intents.from_dict({**merged, "intents": {first: merged["intents"][first]}})
        samples = [
            s for _, s in sample_intents(intents, language=language, max_sentences_per_intent=50)
        ]
    except Exception:  # an owner's template hassil cannot expand: no example rather than an error
        return []
    spoken = [s for s in samples if not _DIGIT.search(s)]
    return (spoken or samples)[:1]


def _minutes_text(minutes: float, language: str) -> str:
    minutes = int(round(minutes))
    hours, rest = divmod(minutes, 60)
    if language == "ko":
        return " ".join(
            p for p in (f"{hours}시간" if hours else "", f"{rest}분" if rest else "") if p
        )
    parts = []
    if hours:
        parts.append(f"{hours} hour" + ("s" if hours != 1 else ""))
    if rest:
        parts.append(f"{rest} minute" + ("s" if rest != 1 else ""))
    return " and ".join(parts)


SKILL = System
