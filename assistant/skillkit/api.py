"""What a skill receives and returns: `Request`, `Reply`, `SkillContext`, and the `Skill`
base class with its handler registration (`@handles("TimerStart")`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from assistant.errors import SkillError
from assistant.record import Source

if TYPE_CHECKING:
    from assistant.skillkit.ports import (
        Announcer,
        Catalogue,
        ClockPort,
        Controls,
        Privacy,
        SchedulerPort,
    )
    from assistant.skillkit.responses import Responses

PORTS = ("clock", "scheduler", "announcer", "privacy", "controls", "catalogue")
"""Every port a skill may declare in its `ports` class attribute."""


@dataclass(frozen=True)
class Request:
    """What a skill is asked to handle."""

    intent: str
    slots: dict[str, Any]
    text: str
    language: str
    source: Source = Source.VOICE
    room: str | None = None
    """The room whose speaker heard it; None for the speaker the assistant runs on."""


@dataclass
class Reply:
    """What a skill answers.

    `text` is what is shown (`assistant ask`, `--json`, the journal) and, unless `speech`
    is set, also what is spoken. `speech` is the form for the synthesiser where the two
    differ ("11:05 AM" is shown, "11 oh 5 AM" is said)."""

    text: str
    earcon: str | None = None
    on_answer: Callable[[str], Reply] | None = None
    """When set, the reply is a question: the next utterance (no wake word needed) is
    passed to it as text, and its reply is spoken. Called with "" when no answer came."""
    private: bool = False
    """True: the journal records nothing of this interaction ("delete what I just said"
    must not leave itself behind)."""
    speech: str | None = None

    @property
    def spoken(self) -> str:
        """What the synthesiser says."""
        return self.speech or self.text


class PortNotDeclared(SkillError):
    """A skill used a port it did not list in its `ports` class attribute."""


@dataclass(frozen=True)
class SkillContext:
    """Everything a skill gets: its settings, its replies, a private folder, and exactly
    the ports it declared. Asking for an undeclared port raises `PortNotDeclared`."""

    name: str
    settings: Any
    """The skill's validated settings (an instance of its `Settings` class)."""
    language: str
    data_dir: Path
    """A private directory for the skill's own state (timers that survive restarts)."""
    responses: Responses
    ports: Mapping[str, object] = field(default_factory=dict)
    dry_run: bool = False
    """True when a sentence is only being tried (`assistant skills test`): a skill that acts
    on the world (runs a program, sends a request) describes what it would do instead."""

    def has(self, port: str) -> bool:
        return port in self.ports

    def _port(self, port: str) -> Any:
        try:
            return self.ports[port]
        except KeyError:
            raise PortNotDeclared(
                f"skill {self.name} uses the {port} port without declaring it "
                f"(add {port!r} to its `ports`)"
            ) from None

    @property
    def clock(self) -> ClockPort:
        return self._port("clock")

    @property
    def scheduler(self) -> SchedulerPort:
        return self._port("scheduler")

    @property
    def announcer(self) -> Announcer:
        return self._port("announcer")

    @property
    def privacy(self) -> Privacy:
        return self._port("privacy")

    @property
    def controls(self) -> Controls:
        return self._port("controls")

    @property
    def catalogue(self) -> Catalogue:
        return self._port("catalogue")


@dataclass(frozen=True)
class NoSettings:
    """For skills that take no settings of their own."""


Handler = TypeVar("Handler", bound=Callable[..., Reply])


def handles(*intents: str) -> Callable[[Handler], Handler]:
    """Marks a method as the handler of `intents`: `method(self, request) -> Reply`."""

    def mark(method: Handler) -> Handler:
        method._handles = tuple(intents)  # type: ignore[attr-defined]
        return method

    return mark


class Skill:
    """Base class. Declare `ports` and `replies`, mark handlers with `@handles`; keep
    `__init__` cheap (no network, no models)."""

    Settings: ClassVar[type] = NoSettings
    enabled_by_default: ClassVar[bool] = True
    needs_network: ClassVar[bool] = False
    """A skill that reaches the network is opt-in and says so (privacy promise 1)."""
    ports: ClassVar[tuple[str, ...]] = ()
    """The ports this skill gets (names from `PORTS`); it gets no other."""
    replies: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    """Response key → the placeholders the skill fills in. Every language file must have
    every key, and may use only these placeholders (checked when the skill is loaded)."""
    handlers: ClassVar[dict[str, str]] = {}
    """Intent → method name, collected from `@handles` (inherited handlers included)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        unknown = set(cls.ports) - set(PORTS)
        if unknown:
            raise TypeError(f"{cls.__name__}.ports: unknown {sorted(unknown)} (known: {PORTS})")
        handlers = dict(cls.handlers)
        for name, member in vars(cls).items():
            for intent in getattr(member, "_handles", ()):
                handlers[intent] = name
        cls.handlers = handlers

    def __init__(self, context: SkillContext) -> None:
        self.context = context

    def handle(self, request: Request) -> Reply:
        name = self.handlers.get(request.intent)
        if name is None:
            raise SkillError(f"skill {self.context.name} has no handler for {request.intent}")
        reply: Reply = getattr(self, name)(request)
        return reply

    def say(self, key: str, **values: Any) -> Reply:
        """The reply `key` of the skill's language file, with `values` filled in."""
        text, speech = self.context.responses.render(key, values)
        return Reply(text, speech=speech if speech != text else None)

    def text(self, key: str, **values: Any) -> str:
        """The shown text of reply `key` (for composing a longer reply)."""
        return self.context.responses.render(key, values)[0]

    @classmethod
    def extra_sentences(cls, settings: Any, language: str) -> dict[str, Any]:
        """Templates made from the owner's settings, in the sentence-file format
        (`intents`, `lists`, `expansion_rules`); merged after `sentences/<lang>.yaml`."""
        return {}

    def start(self) -> None:
        """Called once the assistant runs (restore persisted state, schedule work)."""

    def close(self) -> None:
        """Called on shutdown."""
