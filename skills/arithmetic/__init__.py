"""Arithmetic, percentages and unit conversions: "what is 12 times 7", "15% of 80",
"how many grams in a pound", "convert 20 celsius to fahrenheit"."""

from __future__ import annotations

from typing import Any

from assistant.skillkit import Reply, Request, Skill, handles
from assistant.skillkit.words import has_final_consonant, particle

from .numbers import say_number
from .units import UNITS, IncompatibleUnits, convert

OPERATIONS = {
    "plus": lambda a, b: a + b,
    "minus": lambda a, b: a - b,
    "times": lambda a, b: a * b,
    "divided": lambda a, b: a / b,
}


def _ro(word: str) -> str:
    """으로 after a final consonant other than ㄹ, else 로 ("그램으로", "마일로")."""
    rieul = word[-1:] and "가" <= word[-1] <= "힣" and (ord(word[-1]) - ord("가")) % 28 == 8
    return "으로" if has_final_consonant(word) and not rieul else "로"


class Arithmetic(Skill):
    replies = {
        "result": ("a", "op", "b", "result"),
        "percent": ("a", "b", "result"),
        "by_zero": (),
        "converted": ("value", "source", "result", "target", "is_"),
        "converted_temperature": ("value", "source", "result", "target", "is_"),
        "incompatible": ("source", "target", "eul", "ro"),
        **{f"op_{name}": () for name in OPERATIONS},
    }

    @handles("MathCompute")
    def compute(self, request: Request) -> Reply:
        a, b, operation = request.slots["a"], request.slots["b"], request.slots["op"]
        if operation == "divided" and b == 0:
            return self.say("by_zero")
        result = OPERATIONS[operation](a, b)
        return self.say(
            "result",
            a=say_number(a),
            op=self.text(f"op_{operation}"),
            b=say_number(b),
            result=say_number(result),
        )

    @handles("MathPercent")
    def percent(self, request: Request) -> Reply:
        a, b = request.slots["a"], request.slots["b"]
        return self.say("percent", a=say_number(a), b=say_number(b), result=say_number(a * b / 100))

    def _unit_name(self, unit: str, value: float) -> str:
        if self.context.language == "ko":
            return UNITS[unit].ko
        singular, plural = UNITS[unit].en
        return singular if abs(value) == 1 else plural

    @handles("MathConvert")
    def convert(self, request: Request) -> Reply:
        slots: dict[str, Any] = request.slots
        value = slots.get("value", 1)
        source, target = slots["unit_from"], slots["unit_to"]
        try:
            result = convert(value, source, target)
        except IncompatibleUnits:
            a, b = self._unit_name(source, 2), self._unit_name(target, 2)
            return self.say(
                "incompatible", source=a, target=b, eul=particle(a, "을", "를"), ro=_ro(b)
            )
        source_name = self._unit_name(source, value)
        key = "converted_temperature" if UNITS[source].dimension == "temperature" else "converted"
        return self.say(
            key,
            value=say_number(value),
            source=source_name,
            result=say_number(result),
            target=self._unit_name(target, result),
            is_=particle(source_name, "은", "는"),
        )


SKILL = Arithmetic
