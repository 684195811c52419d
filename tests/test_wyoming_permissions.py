"""Per-peer permissions (`wyoming.permissions`): a small speaker may ask, set timers and
delete what was said in its own room; deleting the whole history, settings and the
owner's commands need the owner's grant. Refused intents are said no to and journaled
as declined; no skill runs. Real skills, real journal, real `wyoming` clients."""

from __future__ import annotations

import asyncio
import logging

import pytest
from wyoming.asr import Transcript
from wyoming_helpers import ServerThread, client, free_port, read_until, wyoming_config

from assistant import config as config_module
from assistant.errors import ConfigError
from assistant.intents import IntentMatch
from assistant.journal import Journal
from assistant.wyoming.host import room_of
from assistant.wyoming.permissions import (
    ASK,
    COMMANDS,
    DEFAULT,
    DELETE_HISTORY,
    DELETE_OWN_ROOM,
    SETTINGS,
    PeerPermissions,
    needed,
)

OWNER = "127.0.0.2"
"""A loopback address the tests connect from to be the owner's own device."""


def _match(intent: str, skill: str) -> IntentMatch:
    return IntentMatch(intent=intent, skill=skill)


# ----- the rules (fast) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "intent, skill, permission",
    [
        ("ClockTime", "clock", ASK),
        ("TimerStart", "timers", ASK),
        ("AlarmSet", "alarms", ASK),
        ("SystemStop", "system", ASK),  # a ringing timer can be stopped from its room
        ("PrivacyDeleteLast", "privacy", DELETE_OWN_ROOM),
        ("PrivacyDeleteAll", "privacy", DELETE_HISTORY),
        ("PrivacyDeleteToday", "privacy", DELETE_HISTORY),
        ("SystemVolumeUp", "system", SETTINGS),
        ("PrivacyPause", "privacy", SETTINGS),
        ("Command_lights", "commands", COMMANDS),
        ("Anything", "an_owner_skill", COMMANDS),
    ],
)
def test_each_intent_needs_one_permission(intent, skill, permission):
    assert needed(_match(intent, skill)) == permission


def test_every_intent_of_the_built_in_skills_is_classified_on_purpose():
    """A new built-in intent that changes something must be placed by someone: it lands
    in `ask` only if it is one of these."""
    from assistant.rejection import STATE_CHANGING

    everyday = {"AlarmSet", "AlarmCancel", "AlarmCancelAll", "TimerStart", "TimerCancel",
                "TimerCancelAll", "SystemStop"}  # fmt: skip
    for intent in STATE_CHANGING - everyday:
        assert needed(_match(intent, "privacy")) != ASK, intent


def test_the_most_specific_network_decides_and_others_get_the_default():
    entries = config_module.parse(
        {"wyoming": {"permissions": [
            {"network": "192.168.1.0/24", "may": ["ask"]},
            {"network": "192.168.1.20", "may": ["all"]},
        ]}}
    ).wyoming.permissions  # fmt: skip
    rules = PeerPermissions(entries, "en")
    delete_all = _match("PrivacyDeleteAll", "privacy")
    assert rules.grant("192.168.1.20").refuse(delete_all) is None
    assert rules.grant("::ffff:192.168.1.20").refuse(delete_all) is None
    assert (
        rules.grant("192.168.1.7").refuse(delete_all)
        == "Sorry, that can't be done from this speaker."
    )
    assert rules.grant("192.168.1.7").allowed == {ASK}
    assert rules.grant("10.0.0.3").allowed == DEFAULT == {ASK, DELETE_OWN_ROOM}


def test_an_owner_skill_reusing_a_built_in_intent_name_needs_commands():
    assert needed(_match("PrivacyDeleteLast", "garage")) == COMMANDS
    assert needed(_match("PrivacyDeleteLast", "privacy")) != COMMANDS


@pytest.mark.parametrize(
    "section, message",
    [
        ({"permissions": [{"network": "192.168.1.0/33", "may": ["ask"]}]},
         "wyoming.permissions[0].network: not an address or network"),
        ({"permissions": [{"network": "10.0.0.1", "may": ["ask", "fly"]}]},
         "wyoming.permissions[0].may[1]: unknown permission 'fly'"),
        ({"permissions": [{"network": "10.0.0.1", "mayy": ["ask"]}]},
         "wyoming.permissions[0].mayy: unknown key"),
        ({"permissions": [{"may": ["ask"]}]}, "wyoming.permissions[0]"),
        ({"permissions": "all"}, "wyoming.permissions[0]"),
        ({"microphone": "yes"}, "wyoming.microphone: expected true/false"),
        ({"permissions": [{"network": "192.168.1.20/24", "may": ["all"]}]},
         "wyoming.permissions[0].network: 192.168.1.20/24 has host bits set: write "
         "192.168.1.0/24 for the network, or 192.168.1.20 for one address"),
        ({"permissions": [{"network": "::ffff:192.168.1.20", "may": ["all"]}]},
         "wyoming.permissions[0].network: write 192.168.1.20 as IPv4"),
        ({"allow": ["10.0.0.5/8"]}, "wyoming.allow[0]: 10.0.0.5/8 has host bits set"),
        ({"room": "kitchen\n"}, "wyoming.room: a name of 1 to 64 printable characters"),
        ({"room": ""}, "wyoming.room: a name of 1 to 64 printable characters"),
        ({"room": "k" * 10_000}, "wyoming.room: a name of 1 to 64 printable characters"),
    ],
)  # fmt: skip
def test_bad_permissions_are_named_by_key(section, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        config_module.parse({"wyoming": section})


# ----- the running service, text requests (no speech model) -------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("permissions")
    extra = f'  allow: ["127.0.0.0/8"]\n  permissions:\n    - network: {OWNER}\n      may: [all]\n'
    path = wyoming_config(tmp / "a.yaml", tmp / "data", free_port(), extra)
    running = ServerThread(path, prepare=False)
    yield running
    running.close()


def _say(server, text: str, room: str, local: str | None = None):
    async def go():
        async with client(server.port, local) as c:
            await c.write_event(Transcript(text=text, context={"room": room}).event())
            event, _ = await read_until(c, "handled", "not-handled")
            return event

    return asyncio.run(go())


def _entries(server):
    with Journal.open(config_module.load(server.config.source), sweep_every=None) as journal:
        return journal.last(100)


def test_a_small_speaker_may_not_delete_all_history_nor_change_settings(server, caplog):
    _say(server, "지금 몇 시야", "kitchen")
    _say(server, "오 분 타이머 맞춰 줘", "kitchen")
    kept = _entries(server)
    volume = server.host.assistant.controls.volume
    with caplog.at_level(logging.INFO, logger="assistant"):
        refused = _say(server, "전체 기록 지워 줘", "kitchen")
        louder = _say(server, "볼륨 좀 올려 줘", "kitchen")
    assert refused.type == louder.type == "not-handled"
    assert refused.data["text"] == "죄송해요, 이 스피커에서는 할 수 없어요."
    assert server.host.assistant.controls.volume == volume
    entries = _entries(server)
    assert entries[2:] == kept  # nothing deleted
    declined = entries[:2]
    assert [e.intent for e in declined] == ["SystemVolumeUp", "PrivacyDeleteAll"]
    assert all(e.outcome == "declined" and room_of(e) == "kitchen" for e in declined)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "refused PrivacyDeleteAll from 127.0.0.1: it needs delete_history" in logged
    assert "전체" not in logged  # the intent's name, never what was said


def test_the_owners_device_may_change_settings(server):
    server.host.assistant.controls.set_volume(5)
    handled = _say(server, "볼륨 좀 올려 줘", "study", local=OWNER)
    assert handled.type == "handled"
    assert server.host.assistant.controls.volume > 5
    assert _entries(server)[0].outcome == "handled"


def test_a_small_speaker_may_still_delete_what_was_said_in_its_own_room(server):
    _say(server, "오늘 며칠", "garage")
    before = _entries(server)
    assert before[0].room == "garage"
    deleted = _say(server, "방금 한 말 지워 줘", "garage")
    assert deleted.type == "handled"
    after = _entries(server)
    assert [e.id for e in after] == [e.id for e in before[1:]]  # that one, and only it


def test_a_peer_that_names_no_room_cannot_delete_the_main_speaker_s_own_words(server):
    server.host.assistant.ask("지금 몇 시야")  # the main speaker's own turn: no room
    before = _entries(server)
    assert before[0].room is None

    async def go():
        async with client(server.port) as c:  # like Home Assistant: no room in the context
            await c.write_event(Transcript(text="방금 한 말 지워 줘").event())
            event, _ = await read_until(c, "handled", "not-handled")
            return event

    asyncio.run(go())
    after = _entries(server)
    assert [e.id for e in after] == [e.id for e in before]  # the main speaker's turn is kept
