"""What `describe` answers: this assistant's stages as Wyoming programs."""

from __future__ import annotations

from wyoming.info import (
    AsrModel,
    AsrProgram,
    Attribution,
    HandleModel,
    HandleProgram,
    Info,
    IntentModel,
    IntentProgram,
    Satellite,
    TtsProgram,
    TtsVoice,
    WakeModel,
    WakeProgram,
)

from assistant import __version__

ATTRIBUTION = Attribution(name="household-assistant", url="")
"""The project has no web address of its own; Wyoming requires the field."""


def _credit(name: str, url: str) -> Attribution:
    return Attribution(name=name, url=url)


def wake_program(wake_words: list[str]) -> WakeProgram:
    return WakeProgram(
        name="assistant-wake",
        attribution=ATTRIBUTION,
        installed=True,
        description="openWakeWord models, run on this speaker",
        version=__version__,
        models=[
            WakeModel(
                name=word,
                attribution=_credit("openWakeWord", "https://github.com/dscripka/openWakeWord"),
                installed=True,
                description=word.replace("_", " "),
                version=None,
                languages=[],
                phrase=word.replace("_", " "),
            )
            for word in wake_words
        ],
    )


def service_info(language: str, wake_words: list[str]) -> Info:
    """Every stage `assistant serve` offers."""
    return Info(
        asr=[
            AsrProgram(
                name="assistant-vosk",
                attribution=ATTRIBUTION,
                installed=True,
                description="Vosk, restricted to the sentences of the enabled skills",
                version=__version__,
                models=[
                    AsrModel(
                        name=f"vosk-{language}",
                        attribution=_credit("Vosk", "https://alphacephei.com/vosk/"),
                        installed=True,
                        description=f"Vosk model for {language}",
                        version=None,
                        languages=[language],
                    )
                ],
            )
        ],
        tts=[
            TtsProgram(
                name="assistant-espeak-ng",
                attribution=ATTRIBUTION,
                installed=True,
                description="espeak-ng",
                version=__version__,
                voices=[
                    TtsVoice(
                        name=f"espeak-ng-{language}",
                        attribution=_credit("eSpeak NG", "https://github.com/espeak-ng/espeak-ng"),
                        installed=True,
                        description=f"espeak-ng voice for {language}",
                        version=None,
                        languages=[language],
                    )
                ],
            )
        ],
        intent=[
            IntentProgram(
                name="assistant-intents",
                attribution=ATTRIBUTION,
                installed=True,
                description="sentence templates of the enabled skills (hassil)",
                version=__version__,
                models=[_skills_model(IntentModel, language)],
            )
        ],
        handle=[
            HandleProgram(
                name="assistant-skills",
                attribution=ATTRIBUTION,
                installed=True,
                description="the enabled skills; replies in the language of the assistant",
                version=__version__,
                models=[_skills_model(HandleModel, language)],
            )
        ],
        wake=[wake_program(wake_words)],
    )


def _skills_model(cls: type, language: str):
    return cls(
        name=f"skills-{language}",
        attribution=ATTRIBUTION,
        installed=True,
        description="the enabled skills",
        version=__version__,
        languages=[language],
    )


def satellite_info(room: str | None, wake_words: list[str]) -> Info:
    """What `assistant satellite` answers: a satellite with a local wake word."""
    return Info(
        wake=[wake_program(wake_words)],
        satellite=Satellite(
            name=f"assistant-{room}" if room else "assistant",
            attribution=ATTRIBUTION,
            installed=True,
            description="household assistant speaker",
            version=__version__,
            area=room,
            has_vad=False,
            active_wake_words=list(wake_words),
            max_active_wake_words=len(wake_words),
            supports_trigger=False,
        ),
    )
