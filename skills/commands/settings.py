"""The owner's commands, as written in the configuration, and their checks.

    skills:
      commands:
        commands:
          - name: lights_on
            sentences:
              en: ["turn on the {room} lights"]
              ko: ["{room} 불 켜 줘"]
            slots:
              room: {kitchen: light.kitchen, "living room": light.living_room}
            run: ["/usr/local/bin/lights", "on", "{room}"]
            reply:
              en: "Turning on the {room} lights."
              ko: "{room} 불을 켰어요."

A slot is a list of words (`[kitchen, bedroom]`), a mapping from the spoken words to
the value passed on, a number range (`{range: [1, 10]}`) or `wildcard` (any text;
typed commands only, the recogniser cannot hear free text in grammar mode).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from assistant.dispatch import SKILL_TIME_LIMIT_SECONDS
from assistant.errors import ConfigError

PLACEHOLDER = re.compile(r"\{(\w+)\}")
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
RESERVED_PLACEHOLDERS = {"output"}
"""`{output}` in a reply is what the program printed (or the HTTP response body)."""


@dataclass(frozen=True)
class HttpRequest:
    url: str
    """An http:// or https:// address; a loopback or private one unless allow_remote is set."""
    method: Literal["GET", "POST", "PUT"] = "POST"
    headers: dict[str, Any] = field(default_factory=dict)
    """Extra request headers (an access token for a local hub, for example)."""


@dataclass(frozen=True)
class Command:
    name: str
    """Letters, digits and underscores; the intent is called Command_<name>."""
    sentences: dict[str, Any] = field(default_factory=dict)
    """Language ('en', 'ko') → a list of hassil templates using the slots as {slot}."""
    slots: dict[str, Any] = field(default_factory=dict)
    run: tuple[str, ...] = ()
    """The program and its arguments; '{slot}' in an argument is replaced by the slot's value.
    Never run through a shell."""
    http: HttpRequest | None = None
    reply: dict[str, Any] | str = field(default_factory=dict)
    """Language → what to say when it worked ('{slot}' and '{output}' are filled in)."""
    failure_reply: dict[str, Any] | str = field(default_factory=dict)
    timeout_seconds: float | None = None
    """Overrides the skill's timeout_seconds for this command."""
    wait: bool = True
    """False: start the program (or request) and answer at once; for long-running programs."""

    def __post_init__(self) -> None:
        where = f"skills.commands: command {self.name!r}"
        if not NAME.match(self.name):
            raise ConfigError(f"{where}: the name may hold only letters, digits and underscores")
        if bool(self.run) == (self.http is not None):
            raise ConfigError(
                f"{where}: give exactly one of 'run' (a program) or 'http' (a request)"
            )
        if not self.sentences:
            raise ConfigError(f"{where}: 'sentences' is empty; nothing would start it")
        for language, templates in self.sentences.items():
            for template in _as_list(templates, f"{where}: sentences.{language}"):
                self._check_placeholders(
                    template, f"{where}: sentences.{language}", allow_output=False
                )
        for slot, spec in self.slots.items():
            slot_list(self.name, slot, spec)  # raises on a bad definition
        for index, arg in enumerate(self.run):
            if index == 0 and PLACEHOLDER.search(arg):
                raise ConfigError(f"{where}: run[0] is the program; it cannot hold a slot")
            self._check_placeholders(arg, f"{where}: run[{index}]", allow_output=False)
        for key in ("reply", "failure_reply"):
            for language, text in _per_language(getattr(self, key)).items():
                if not isinstance(text, str):
                    raise ConfigError(f"{where}: {key}.{language} must be text")
                self._check_placeholders(text, f"{where}: {key}.{language}", allow_output=True)
        if self.http is not None:
            check_url(self.http.url, where)

    def _check_placeholders(self, text: str, where: str, allow_output: bool) -> None:
        for name in PLACEHOLDER.findall(text):
            if name in self.slots or (allow_output and name in RESERVED_PLACEHOLDERS):
                continue
            raise ConfigError(f"{where}: {{{name}}} is not one of this command's slots")

    def templates(self, language: str) -> list[str]:
        return _as_list(self.sentences.get(language) or [], "")

    def text_for(self, key: str, language: str) -> str | None:
        texts = _per_language(getattr(self, key))
        return texts.get(language) or texts.get("*")


@dataclass(frozen=True)
class Settings:
    commands: tuple[Command, ...] = ()
    timeout_seconds: float = 4.0
    """How long a program (or request) may take before it is stopped."""
    allow_remote: bool = False
    """Let HTTP commands reach addresses outside this machine and the local network."""

    def __post_init__(self) -> None:
        names = [c.name for c in self.commands]
        for name in names:
            if names.count(name) > 1:
                raise ConfigError(f"skills.commands: two commands are called {name!r}")
        for command in self.commands:
            limit = self.timeout_for(command)
            if limit <= 0:
                raise ConfigError(f"skills.commands: command {command.name!r}: timeout must be > 0")
            if command.wait and limit >= SKILL_TIME_LIMIT_SECONDS:
                raise ConfigError(
                    f"skills.commands: command {command.name!r}: a timeout of {limit:g} s is not "
                    f"below the {SKILL_TIME_LIMIT_SECONDS:g} s a skill may take to answer; "
                    "shorten it or set 'wait: false' to answer at once"
                )

    def timeout_for(self, command: Command) -> float:
        return (
            command.timeout_seconds if command.timeout_seconds is not None else self.timeout_seconds
        )


def slot_list(command: str, slot: str, spec: Any) -> dict[str, Any]:
    """A slot definition → a hassil list."""
    where = f"skills.commands: command {command!r}: slots.{slot}"
    if not re.match(r"^\w+$", slot):
        raise ConfigError(f"{where}: a slot name is letters, digits and underscores")
    if spec == "wildcard":
        return {"wildcard": True}
    if isinstance(spec, list) and spec and all(isinstance(v, (str, int, float)) for v in spec):
        return {"values": [str(v) for v in spec]}
    if isinstance(spec, dict) and set(spec) == {"range"}:
        bounds = spec["range"]
        if (
            isinstance(bounds, list) and len(bounds) == 2
            and all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
            and bounds[0] <= bounds[1]
        ):  # fmt: skip
            return {"range": {"from": bounds[0], "to": bounds[1]}}
        raise ConfigError(f"{where}: range must be [lowest, highest] whole numbers")
    if isinstance(spec, dict) and spec and all(isinstance(k, str) for k in spec):
        return {"values": [{"in": k, "out": str(v)} for k, v in spec.items()]}
    raise ConfigError(
        f"{where}: expected a list of words, a mapping of words to values, "
        "{range: [low, high]} or 'wildcard'"
    )


def check_url(url: str, where: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a port
    except ValueError as e:
        raise ConfigError(f"{where}: http.url {url!r} is not a valid address ({e})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where}: http.url must be an http:// or https:// address")


def is_local_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_loopback or ip.is_private or ip.is_link_local


def _as_list(value: Any, where: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(t, str) for t in items):
        raise ConfigError(f"{where}: expected a sentence or a list of sentences")
    return items


def _per_language(value: dict[str, Any] | str) -> dict[str, Any]:
    """A reply given as plain text applies to every language."""
    return {"*": value} if isinstance(value, str) else dict(value)
