"""`assistant skills list` and `assistant skills test "..."`.

`test` runs text through the same matcher, dispatcher and skills as the service, but
with no journal, no audio and a scratch data directory: nothing is logged, nothing is
spoken, no model is loaded, and the service's timers and volume are left alone.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile

from assistant import config as config_module
from assistant.cli.common import print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    skills = subparsers.add_parser(
        "skills",
        help="list the skills and try sentences on them",
        description="Show which skills are enabled and what they understand, or try a sentence.",
    )
    commands = skills.add_subparsers(dest="skills_command", metavar="COMMAND")

    listing = commands.add_parser(
        "list",
        help="every skill found, whether it is enabled, its intents and languages",
        description="List the built-in skills and those in skills.directories.",
    )
    listing.add_argument("--json", action="store_true", help="print one JSON object per skill")
    listing.set_defaults(handler=list_command)

    test = commands.add_parser(
        "test",
        help="show the intent, slots and reply for a sentence (nothing is logged or spoken)",
        description="Run a sentence through the enabled skills as if it had been said. Nothing "
        "is logged and nothing is spoken; exits with status 1 when the sentence is not understood.",
    )
    test.add_argument("text", help='what you would say, e.g. "set a timer for five minutes"')
    test.add_argument("--json", action="store_true", help="print the result as JSON")
    test.set_defaults(handler=test_command)
    skills.set_defaults(handler=lambda args: _usage(skills))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def skill_rows(config) -> list[dict]:
    from assistant.intents import _merge_sentence_files
    from assistant.skills import load_skills

    rows = []
    for skill in load_skills(config):
        intents: set[str] = set()
        languages = []
        for language in config_module.SUPPORTED_LANGUAGES:
            merged, _ = _merge_sentence_files([skill], language)
            if merged["intents"]:
                languages.append(language)
            intents.update(merged["intents"])
        rows.append(
            {
                "name": skill.name,
                "enabled": skill.enabled,
                "intents": sorted(intents),
                "languages": languages,
                "directory": str(skill.directory),
            }
        )
    return rows


def list_command(args: argparse.Namespace) -> int:
    config = config_module.load(args.config)
    rows = skill_rows(config)
    if args.json:
        for row in rows:
            print_json(row)
        return 0
    width = max((len(r["name"]) for r in rows), default=4)
    for row in rows:
        state = "enabled " if row["enabled"] else "disabled"
        languages = ",".join(row["languages"]) or "-"
        intents = ", ".join(row["intents"]) or "(no sentences)"
        print(f"{row['name']:<{width}}  {state}  {languages:<5}  {intents}")
    return 0


def test_command(args: argparse.Namespace) -> int:
    from assistant.pipeline import Assistant

    config = config_module.load(args.config)
    # A scratch data directory: a test "set a timer" must not leave a real timer behind,
    # nor change the volume or consume timers the service has saved.
    with tempfile.TemporaryDirectory(prefix="assistant-skills-test-") as scratch:
        assistant = Assistant(dataclasses.replace(config, data_dir=scratch), journal=None)
        for skill in assistant.skills.values():
            skill.context.dry_run = True  # owner commands describe what they would run
        try:
            interaction, reply = assistant.ask(args.text, record=False)
        finally:
            assistant.close()
    result = {
        "text": args.text,
        "language": config.language,
        "intent": interaction.intent,
        "skill": interaction.skill,
        "slots": interaction.slots,
        "reply": reply.text,
        "earcon": reply.earcon,
        "asks_for_answer": reply.on_answer is not None,
        "private": reply.private,
        "outcome": str(interaction.outcome),
    }
    if args.json:
        print_json(result)
    else:
        slots = ", ".join(f"{k}={v!r}" for k, v in interaction.slots.items()) or "-"
        print(f"intent:  {interaction.intent or '-'} ({interaction.skill or 'no skill'})")
        print(f"slots:   {slots}")
        print(f"reply:   {reply.text}")
        print(f"outcome: {interaction.outcome}")
    return 0 if interaction.intent else 1
