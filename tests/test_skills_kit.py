"""The skill kit: each skill gets exactly the ports it declares, handlers are found by
`@handles`, no skill imports another, and `assistant` never imports the `skills` package."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_skills_support import make_assistant

from assistant.config import parse
from assistant.journal import Journal
from assistant.skillkit import (
    PortNotDeclared,
    Reply,
    Request,
    Skill,
    builtin_skills_dir,
    handles,
)
from assistant.skillkit.due import Due

QUIET_SKILL = """
from assistant.skillkit import Reply, Skill, handles


class Quiet(Skill):
    @handles("QuietPing")
    def ping(self, request):
        ports = ",".join(sorted(self.context.ports)) or "none"
        return Reply(f"ports: {ports}")

    @handles("QuietTime")
    def time(self, request):
        return Reply(str(self.context.clock.time()))


SKILL = Quiet
"""


@pytest.fixture
def assistant(tmp_path):
    owner = tmp_path / "owner" / "quiet"
    (owner / "sentences").mkdir(parents=True)
    (owner / "__init__.py").write_text(textwrap.dedent(QUIET_SKILL))
    (owner / "sentences" / "en.yaml").write_text(
        "language: en\nintents:\n  QuietPing: {data: [{sentences: [ping the quiet skill]}]}\n"
        "  QuietTime: {data: [{sentences: [quiet skill what time]}]}\n"
    )
    config = parse({"data_dir": str(tmp_path / "data")})
    with Journal.open(config, sweep_every=None) as journal:
        a = make_assistant(
            tmp_path / "data", journal=journal, skills={"directories": [str(tmp_path / "owner")]}
        )
        yield a
        a.close()


def test_a_skill_that_declares_nothing_gets_nothing(assistant):
    assert assistant.ask("ping the quiet skill", record=False)[1].text == "ports: none"
    quiet = assistant.skills["quiet"]
    with pytest.raises(PortNotDeclared, match="quiet uses the clock port without declaring"):
        quiet.context.clock  # noqa: B018
    # Through the dispatcher, using an undeclared port is one contained skill error.
    interaction, reply = assistant.ask("quiet skill what time", record=False)
    assert str(interaction.outcome) == "skill_error"


def test_each_builtin_skill_gets_only_the_ports_it_declares(assistant):
    granted = {name: set(skill.context.ports) for name, skill in assistant.skills.items()}
    assert granted["privacy"] == {"clock", "privacy"}
    assert granted["system"] == {"announcer", "controls", "catalogue"}
    assert granted["timers"] == granted["alarms"] == {"clock", "scheduler", "announcer"}
    assert granted["arithmetic"] == set() and granted["commands"] == set()
    # Only the privacy skill may delete history, and only through its narrow port.
    holders = [n for n, s in assistant.skills.items() if s.context.has("privacy")]
    assert holders == ["privacy"]


def test_the_privacy_port_is_not_the_journal(assistant):
    port = assistant.skills["privacy"].context.privacy
    assert port is not assistant.recorder.journal
    powers = ("record", "delete_all", "delete_matching", "delete", "prune", "entries", "verify")
    for power in powers:
        assert not hasattr(port, power), power


def test_without_a_journal_the_privacy_skill_gets_no_port_and_says_so(tmp_path):
    bare = make_assistant(tmp_path)  # as `assistant skills test` runs it
    try:
        assert not bare.skills["privacy"].context.has("privacy")
        reply = bare.ask("delete what i just said", record=False)[1]
        assert reply.text == "No history is open here, so there is nothing to change."
    finally:
        bare.close()


def test_handlers_are_collected_and_inherited():
    class Base(Skill):
        @handles("A", "B")
        def first(self, request: Request) -> Reply:
            return Reply("first")

    class Child(Base):
        @handles("C")
        def third(self, request: Request) -> Reply:
            return Reply("third")

    assert Child.handlers == {"A": "first", "B": "first", "C": "third"}
    assert Base.handlers == {"A": "first", "B": "first"}
    with pytest.raises(TypeError, match="unknown"):
        type("Greedy", (Skill,), {"ports": ("journal",)})


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_no_skill_imports_another_skill():
    for path in builtin_skills_dir().rglob("*.py"):
        wrong = {n for n in _imports(path) if n == "skills" or n.startswith("skills.")}
        assert not wrong, f"{path} imports {wrong}"


def test_timers_and_alarms_share_one_due_class(assistant):
    for name in ("timers", "alarms"):
        module = sys.modules[type(assistant.skills[name]).__module__]
        assert module.Due is Due


@pytest.mark.slow  # starts a process: a fresh interpreter shows every module imported
def test_the_assistant_does_not_import_the_skills_package(tmp_path):
    code = (
        "import sys\n"
        "from assistant.config import parse\n"
        "from assistant.app import build_assistant\n"
        f"a = build_assistant(parse({{'data_dir': {str(tmp_path)!r}}}))\n"
        "print(a.ask('what is two plus two', record=False)[1].text)\n"
        "a.close()\n"
        "print(sorted(m for m in sys.modules if m == 'skills' or m.startswith('skills.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["2 plus 2 is 4.", "[]"]
