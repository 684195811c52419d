"""An offline voice assistant for a household speaker.

The package is organised by pipeline stage; `assistant.pipeline` is the only module
that knows their order. Heavy engines (openWakeWord, Vosk, pyttsx3, sounddevice) are
imported inside the stage that uses them so that owner commands such as
`assistant log list` start fast and never load a model.
"""

__version__ = "0.1.0"
