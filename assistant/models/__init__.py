"""Speech (Vosk) models: where the one in use comes from, and installing more.

- `catalog`: the models the assistant knows, and which one a configuration uses;
- `download`: a resumable, verified download that reports progress to a callback;
- `unpack`: a safe, atomic unpacking of the zip;
- `installer`: the three together, and removal.

Nothing here writes to the screen or imports vosk.
"""

from assistant.models.catalog import (
    CATALOGUE,
    DEFAULT_MODELS,
    ORIGIN_CONFIG,
    ORIGIN_DATA_DIR,
    CatalogueEntry,
    ModelLocation,
    downloads_dir,
    install_hint,
    installed_models,
    models_dir,
    resolve_stt_model,
    validate_model_dir,
)
from assistant.models.download import DownloadProgress, ProgressCallback
from assistant.models.installer import install, remove

__all__ = [
    "CATALOGUE",
    "DEFAULT_MODELS",
    "ORIGIN_CONFIG",
    "ORIGIN_DATA_DIR",
    "CatalogueEntry",
    "DownloadProgress",
    "ModelLocation",
    "ProgressCallback",
    "downloads_dir",
    "install",
    "install_hint",
    "installed_models",
    "models_dir",
    "remove",
    "resolve_stt_model",
    "validate_model_dir",
]
