"""The skill written out in docs/skills.md is the one in docs/examples/plants, and it
works: loaded from that folder as an owner's skill, in English and Korean."""

from __future__ import annotations

from pathlib import Path

from test_skills_support import ShiftedClock, ask, make_assistant

DOCS = Path(__file__).resolve().parent.parent / "docs"
EXAMPLE = DOCS / "examples" / "plants"


def test_the_documented_example_is_the_tested_one_and_short():
    guide = (DOCS / "skills.md").read_text(encoding="utf-8")
    code = (EXAMPLE / "__init__.py").read_text(encoding="utf-8")
    replies = (EXAMPLE / "sentences" / "en.yaml").read_text(encoding="utf-8")
    assert f"```python\n{code}```" in guide
    assert f"```yaml\n{replies}```" in guide
    assert len(code.splitlines()) < 40


def test_the_example_skill_runs(tmp_path):
    clock = ShiftedClock()
    skills = {"directories": [str(DOCS / "examples")], "plants": {"thirsty_after_days": 2}}
    assistant = make_assistant(tmp_path, clock=clock, skills=skills)
    try:
        assert ask(assistant, "did i water the fern") == "I have no note of watering the fern."
        assert ask(assistant, "i watered the fern") == "Noted: the fern is watered."
        assert ask(assistant, "when did i water the fern") == "You watered the fern 0 days ago."
        clock.offset += 2 * 86400 + 60
        assert ask(assistant, "did i water the fern") == (
            "The fern was watered 2 days ago; it may be thirsty."
        )
        assert set(assistant.skills["plants"].context.ports) == {"clock"}
    finally:
        assistant.close()
    korean = make_assistant(tmp_path, language="ko", clock=clock, skills=skills)
    try:
        assert ask(korean, "바질 물 줬어") == "바질에 물 준 것을 적어 두었어요."
        assert ask(korean, "바질 물 언제 줬어") == "0일 전에 바질에 물을 줬어요."
    finally:
        korean.close()
