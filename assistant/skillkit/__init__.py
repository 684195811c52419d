"""The skill kit: what a skill is given and what it returns.

A skill is a folder `<dir>/<name>/` with `__init__.py` defining `SKILL`, a subclass of
`Skill`, and `sentences/<lang>.yaml` with hassil templates (`intents`, `lists`) and its
reply texts (`responses`). It declares the ports it needs (`ports = ("clock",)`), the
replies it says (`replies = {"key": ("placeholder",)}`) and marks its handlers with
`@handles("IntentName")`. A skill never touches audio devices or the database, and
never imports another skill: what skills share lives here.
"""

from assistant.skillkit.api import (
    PORTS,
    NoSettings,
    PortNotDeclared,
    Reply,
    Request,
    Skill,
    SkillContext,
    handles,
)
from assistant.skillkit.context import Ports, build_context
from assistant.skillkit.due import Due, DueStore
from assistant.skillkit.journal_port import JournalPrivacy
from assistant.skillkit.loading import (
    LoadedSkill,
    builtin_skills_dir,
    discover,
    enabled_skills,
    load_skills,
    settings_as_dict,
)
from assistant.skillkit.ports import (
    Announcer,
    Catalogue,
    ClockPort,
    Controls,
    Deletion,
    Privacy,
    SchedulerPort,
    SpokenEntry,
    SystemClock,
)
from assistant.skillkit.responses import Responses, load_responses
from assistant.skillkit.words import Words, moment_words, time_of_day

__all__ = [
    "PORTS",
    "Announcer",
    "Catalogue",
    "ClockPort",
    "Controls",
    "Deletion",
    "Due",
    "DueStore",
    "JournalPrivacy",
    "LoadedSkill",
    "NoSettings",
    "PortNotDeclared",
    "Ports",
    "Privacy",
    "Reply",
    "Request",
    "Responses",
    "SchedulerPort",
    "Skill",
    "SkillContext",
    "SpokenEntry",
    "SystemClock",
    "Words",
    "build_context",
    "builtin_skills_dir",
    "discover",
    "enabled_skills",
    "handles",
    "load_responses",
    "load_skills",
    "moment_words",
    "settings_as_dict",
    "time_of_day",
]
