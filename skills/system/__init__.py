"""System: "what can you do", "repeat that", "stop", volume, and muting the microphone.

It changes the running assistant only through the controls port (volume, mute, last
reply) and the announcer (silencing a ringing timer); it reads the enabled skills from
the catalogue port, with the examples their sentence files list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from assistant.skillkit import LoadedSkill, Reply, Request, Skill, SkillContext, handles
from assistant.skillkit.yaml_files import load_yaml

BUILTIN_TITLES = ("clock", "timers", "alarms", "privacy", "system", "arithmetic", "commands")
"""Skills with a title of their own in the responses (`title_<name>`); others use their name."""


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
    ports = ("announcer", "controls", "catalogue")
    replies = {
        "intro": (),
        "example": ("title", "examples"),
        "or": (),
        "nothing": (),
        "nothing_said": (),
        "stopped": (),
        "okay": (),
        "volume_now": ("level",),
        "volume_is": ("level",),
        "volume_max": (),
        "volume_min": (),
        "muted": ("duration",),
        "no_question": (),
        "hours": ("count",),
        "hour": (),
        "minutes": ("count",),
        "minute": (),
        "and": (),
        **{f"title_{name}": () for name in BUILTIN_TITLES},
    }

    def __init__(self, context: SkillContext) -> None:
        super().__init__(context)
        self.language = context.language
        self._examples: dict[str, list[str]] | None = None

    # ----- what can you do ----------------------------------------------------------------

    def examples(self) -> dict[str, list[str]]:
        """Skill name → example sentences: the `examples` of its sentence file, else a
        sentence sampled from its first template (owner skills, owner commands)."""
        if self._examples is None:
            wanted = self.context.settings.examples_per_skill
            found = {}
            for loaded in self.context.catalogue:
                listed = _listed_examples(loaded, self.language) or _sampled_example(
                    loaded, self.language
                )
                if listed:
                    found[loaded.name] = listed[:wanted]
            self._examples = found
        return self._examples

    def _title(self, name: str) -> str:
        if name in BUILTIN_TITLES:
            return self.text(f"title_{name}")
        return name.replace("_", " ")

    @handles("SystemCapabilities")
    def capabilities(self, request: Request) -> Reply:
        examples = self.examples()
        parts = []
        for loaded in self.context.catalogue:
            said = examples.get(loaded.name)
            if not said:
                continue  # a skill with no sentences in this language cannot be asked anything
            quoted = self.text("or").join(f"“{s}”" for s in said)
            parts.append(self.text("example", title=self._title(loaded.name), examples=quoted))
        if not parts:
            return self.say("nothing")
        return Reply(self.text("intro") + " " + " ".join(parts))

    # ----- repeat, stop, a stray answer ---------------------------------------------------

    @handles("SystemRepeat")
    def repeat(self, request: Request) -> Reply:
        last = self.context.controls.last_reply
        return Reply(last) if last else self.say("nothing_said")

    @handles("SystemStop")
    def stop(self, request: Request) -> Reply:
        return self.say("stopped" if self.context.announcer.stop() else "okay")

    @handles("SystemAnswer")
    def stray_answer(self, request: Request) -> Reply:
        return self.say("no_question")

    # ----- volume ---------------------------------------------------------------------------

    def change_volume(self, step: int) -> Reply:
        controls = self.context.controls
        before = controls.volume
        after = controls.set_volume(before + step)
        if after == before:
            return self.say("volume_max" if step > 0 else "volume_min")
        return self.say("volume_now", level=after)

    @handles("SystemVolumeUp")
    def volume_up(self, request: Request) -> Reply:
        return self.change_volume(+self.context.settings.volume_step)

    @handles("SystemVolumeDown")
    def volume_down(self, request: Request) -> Reply:
        return self.change_volume(-self.context.settings.volume_step)

    @handles("SystemVolumeSet")
    def set_volume(self, request: Request) -> Reply:
        level = self.context.controls.set_volume(int(request.slots["volume_level"]))
        return self.say("volume_now", level=level)

    @handles("SystemVolumeGet")
    def get_volume(self, request: Request) -> Reply:
        return self.say("volume_is", level=self.context.controls.volume)

    # ----- microphone -----------------------------------------------------------------------

    @handles("SystemMute")
    def mute(self, request: Request) -> Reply:
        slots = request.slots
        minutes = int(slots.get("hours", 0)) * 60 + int(slots.get("minutes", 0))
        if minutes <= 0:
            minutes = int(self.context.settings.default_mute_minutes)
        self.context.controls.mute_microphone(minutes * 60)
        return self.say("muted", duration=self._minutes_text(minutes))

    def _minutes_text(self, minutes: int) -> str:
        hours, rest = divmod(int(round(minutes)), 60)
        parts = []
        if hours:
            parts.append(self.text("hours", count=hours) if hours != 1 else self.text("hour"))
        if rest:
            parts.append(self.text("minutes", count=rest) if rest != 1 else self.text("minute"))
        return self.text("and").join(parts)


def _listed_examples(loaded: LoadedSkill, language: str) -> list[str]:
    path = loaded.sentence_file(language)
    if not path.is_file():
        return []
    try:
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return []
    return [str(e) for e in data.get("examples") or []]


def _sampled_example(loaded: LoadedSkill, language: str) -> list[str]:
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


SKILL = System
