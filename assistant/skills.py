"""Former home of the skill API, kept so that existing imports keep working; new code
imports `assistant.skillkit`."""

from assistant.skillkit import (  # noqa: F401
    LoadedSkill,
    NoSettings,
    Reply,
    Request,
    Skill,
    SkillContext,
    SystemClock,
    builtin_skills_dir,
    discover,
    enabled_skills,
    load_skills,
    settings_as_dict,
)
from assistant.skillkit.ports import Announcer, Clock, Scheduler  # noqa: F401
