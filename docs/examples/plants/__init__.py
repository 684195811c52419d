import json
from dataclasses import dataclass

from assistant.paths import write_private_file
from assistant.skillkit import Reply, Request, Skill, handles


@dataclass(frozen=True)
class Settings:
    thirsty_after_days: int = 3  # skills.plants.thirsty_after_days in the configuration


class Plants(Skill):
    Settings = Settings
    ports = ("clock",)  # all it gets: no journal, no controls
    replies = {"noted": ("plant",), "never": ("plant",), "ago": ("plant", "days"),
               "thirsty": ("plant", "days")}  # fmt: skip

    def watered(self) -> dict[str, float]:
        path = self.context.data_dir / "watered.json"
        return json.loads(path.read_text()) if path.exists() else {}

    @handles("PlantsWatered")
    def note(self, request: Request) -> Reply:
        data = {**self.watered(), request.slots["plant"]: self.context.clock.time()}
        write_private_file(self.context.data_dir / "watered.json", json.dumps(data).encode())
        return self.say("noted", plant=request.slots["plant"])

    @handles("PlantsAsk")
    def ask(self, request: Request) -> Reply:
        plant, when = request.slots["plant"], self.watered().get(request.slots["plant"])
        if when is None:
            return self.say("never", plant=plant)
        days = int((self.context.clock.time() - when) // 86400)
        thirsty = days >= self.context.settings.thirsty_after_days
        return self.say("thirsty" if thirsty else "ago", plant=plant, days=days)


SKILL = Plants
