"""Doctor checks of the models: each is loaded and run once, as the assistant would."""

from __future__ import annotations

from assistant import config as config_module
from assistant.doctor.result import Check, failed, passed
from assistant.errors import AssistantError


def check_wake_word(config: config_module.Config) -> Check:
    name = "wake word"
    from assistant.audio import FRAME_SAMPLES

    try:
        import numpy as np

        from assistant.wake import WakeDetector, find_model

        detector = WakeDetector(config)
        detector.process(np.zeros(FRAME_SAMPLES, np.int16))  # loaded is not enough: run it once
        where = ", ".join(f"{w} ({find_model(w, config)})" for w in config.wake.words)
    except AssistantError as e:
        return failed(
            name,
            str(e),
            "set wake.words to an available model, or put the .tflite "
            f"file in {config.data_path / 'wake'}",
        )
    return passed(name, f"loaded and running: {where}")


def check_speech_model(config: config_module.Config) -> Check:
    name = "speech model"
    from assistant.models import DEFAULT_MODELS, install_hint, resolve_stt_model

    try:
        location = resolve_stt_model(config)
        from assistant.stt import SpeechModel

        SpeechModel(location.path).recognizer()
    except AssistantError as e:
        wanted = (
            (config.stt.model,) if config.stt.model else DEFAULT_MODELS.get(config.language, ())
        )
        hints = (
            " or ".join(install_hint(n) for n in wanted if n) or "`assistant models install NAME`"
        )
        return failed(
            name,
            str(e),
            f"install it with {hints}, or set stt.model to a model "
            "directory (`assistant models list` shows what is installed)",
        )
    return passed(name, f"{location.name} ({location.origin}, {location.path}) loaded")


def check_voice(config: config_module.Config) -> Check:
    name = "voice"
    try:
        from assistant.speech import Synthesizer

        speech = config.speech
        samples, rate = Synthesizer(
            config.language, speech.voice, speech.rate, speech.volume
        ).synthesize("ok")
    except AssistantError as e:
        return failed(
            name,
            str(e),
            "sudo apt-get install espeak-ng; set speech.voice to one "
            "that `espeak-ng --voices` lists, or leave it unset",
        )
    if not len(samples):
        return failed(
            name, "espeak-ng produced no audio", "sudo apt-get install --reinstall espeak-ng"
        )
    return passed(
        name, f"espeak-ng speaks {config.language} ({len(samples) / rate:.1f} s for a word)"
    )
