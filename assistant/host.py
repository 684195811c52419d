"""The enabled skills and what they may touch, started and closed as one.

`assistant.app` builds it (and each skill's context); the assistant starts it once it
is the one serving, so a skill host that is built and then thrown away (a rejected
reload) never restored a timer, never ran the scheduler's thread, never wrote a file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.controls import Announcements, Controls
    from assistant.dispatch import Dispatcher
    from assistant.intents import IntentMatcher
    from assistant.scheduler import Scheduler
    from assistant.skillkit import LoadedSkill, Skill


log = logging.getLogger(__name__)


@dataclass
class SkillHost:
    loaded: list[LoadedSkill]
    matcher: IntentMatcher
    skills: dict[str, Skill]
    dispatcher: Dispatcher
    controls: Controls
    announcements: Announcements
    scheduler: Scheduler

    def start(self) -> None:
        """Let the skills restore their state and schedule their work, then run the
        scheduler. A skill whose `start` raises stops the whole start (the caller closes)."""
        for skill in self.skills.values():
            skill.start()
        self.scheduler.start()

    def close(self) -> None:
        self.scheduler.stop()
        for name, skill in self.skills.items():
            try:
                skill.close()
            except Exception as e:
                log.error("skill %s failed to close: %s", name, type(e).__name__)
