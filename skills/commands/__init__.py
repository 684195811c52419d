"""The owner's own commands: sentences from the configuration, mapped to a program or a
local HTTP request (a Home Assistant webhook, a script), and a reply template.

This is how owners connect lights, music and scripts. The skill is enabled by default
and has no commands until the owner writes some (see `settings.py` for the format).
"""

from __future__ import annotations

import threading
from typing import Any

from assistant.skillkit import Reply, Request, Skill, SkillContext

from .actions import Outcome, fill, run_program, send_request
from .settings import PLACEHOLDER, Command, Settings, slot_list

INTENT_PREFIX = "Command_"


def intent_name(command: Command) -> str:
    return f"{INTENT_PREFIX}{command.name}"


def _list_name(command: Command, slot: str) -> str:
    return f"command_{command.name}_{slot}"


class Commands(Skill):
    Settings = Settings
    replies = {"done": (), "failed": (), "timeout": (), "not_started": (), "refused": ()}

    @classmethod
    def extra_sentences(cls, settings: Settings, language: str) -> dict[str, Any]:
        """The owner's sentences, with each {slot} bound to a list of its own command."""
        intents: dict[str, Any] = {}
        lists: dict[str, Any] = {}
        for command in settings.commands:
            templates = command.templates(language)
            if not templates:
                continue
            rewritten = [
                PLACEHOLDER.sub(
                    lambda m, c=command: f"{{{_list_name(c, m.group(1))}:{m.group(1)}}}", t
                )
                for t in templates
            ]
            intents[intent_name(command)] = {"data": [{"sentences": rewritten}]}
            for slot, spec in command.slots.items():
                lists[_list_name(command, slot)] = slot_list(command.name, slot, spec)
        return {"intents": intents, "lists": lists} if intents else {}

    def __init__(self, context: SkillContext) -> None:
        super().__init__(context)
        self.language = context.language
        self.by_intent = {intent_name(c): c for c in context.settings.commands}

    def handle(self, request: Request) -> Reply:
        # Intents are made from the owner's settings, so they are routed here, not by @handles.
        command = self.by_intent[request.intent]
        values = {k: _as_text(v) for k, v in request.slots.items()}
        if self.context.dry_run:  # say what would run; run nothing
            outcome = self._act(command, values)
            return Reply(outcome.output if outcome.ok else self._reply(command, values, outcome))
        if not command.wait:
            threading.Thread(
                target=self._act,
                args=(command, values),
                name=f"command-{command.name}",
                daemon=True,
            ).start()
            return Reply(self._reply(command, values, Outcome(True)))
        return Reply(self._reply(command, values, self._act(command, values)))

    def _act(self, command: Command, values: dict[str, str]) -> Outcome:
        settings: Settings = self.context.settings
        timeout = settings.timeout_for(command)
        dry_run = self.context.dry_run
        if command.http is not None:
            return send_request(
                command, values, timeout, settings.allow_remote, self.language, dry_run
            )
        return run_program(command, values, timeout, self.context.data_dir, self.language, dry_run)

    def _reply(self, command: Command, values: dict[str, str], outcome: Outcome) -> str:
        if outcome.ok:
            template = command.text_for("reply", self.language) or self.text("done")
        else:
            template = command.text_for("failure_reply", self.language) or self.text(
                outcome.problem or "failed"
            )
        return fill(template, {**values, "output": outcome.output})


def _as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


SKILL = Commands
