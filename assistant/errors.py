"""One error base class, one subclass per stage.

The CLI turns any `AssistantError` into a single clear line on stderr and a non-zero
exit; the running service logs it and goes on. Messages never contain what a person
said: they are written to process logs.
"""


class AssistantError(Exception):
    """Base of every error the assistant reports to a person."""

    exit_code = 1


class ConfigError(AssistantError):
    """The configuration file is missing, unreadable or invalid."""

    exit_code = 2


class ModelError(AssistantError):
    """A wake word or speech model is missing or cannot be loaded."""

    exit_code = 2


class AudioError(AssistantError):
    """An audio device or audio file cannot be opened, read or written."""


class SkillError(AssistantError):
    """A skill failed, timed out or is misconfigured."""


class JournalError(AssistantError):
    """The interaction journal cannot be read or written."""
