"""Arithmetic and unit conversions: "what is 12 times 7", "how many grams in a pound",
"convert 20 celsius to fahrenheit"."""

from __future__ import annotations

from assistant.skills import Reply, Request, Skill

from .numbers import say_number
from .units import UNITS, IncompatibleUnits, convert

OPERATIONS = {
    "plus": lambda a, b: a + b,
    "minus": lambda a, b: a - b,
    "times": lambda a, b: a * b,
    "divided": lambda a, b: a / b,
}
OPERATION_WORDS = {
    "en": {"plus": "plus", "minus": "minus", "times": "times", "divided": "divided by"},
    "ko": {"plus": "더하기", "minus": "빼기", "times": "곱하기", "divided": "나누기"},
}
TEXT = {
    "en": {
        "result": "{a} {op} {b} is {result}.",
        "by_zero": "I can't divide by zero.",
        "converted": "{value} {source} is {result} {target}.",
        "incompatible": "I can't convert {source} to {target}: they measure different things.",
    },
    "ko": {
        "result": "{a} {op} {b}, 답은 {result}입니다.",
        "by_zero": "0으로는 나눌 수 없어요.",
        "converted": "{value}{source}{is_} {result}{target}입니다.",
        "incompatible": "{source}{eul} {target}{ro} 바꿀 수 없어요. 서로 다른 단위예요.",
    },
}


def _final_consonant(word: str) -> bool:
    last = word[-1:]
    return "가" <= last <= "힣" and (ord(last) - ord("가")) % 28 != 0


def _ro(word: str) -> str:
    """으로 after a final consonant other than ㄹ, else 로 ("그램으로", "마일로")."""
    rieul = word[-1:] and "가" <= word[-1] <= "힣" and (ord(word[-1]) - ord("가")) % 28 == 8
    return "으로" if _final_consonant(word) and not rieul else "로"


class Arithmetic(Skill):
    def __init__(self, context) -> None:
        super().__init__(context)
        self.language = context.language if context.language in TEXT else "en"
        self.text = TEXT[self.language]

    def handle(self, request: Request) -> Reply:
        if request.intent == "MathCompute":
            return Reply(self.compute(request.slots))
        return Reply(self.convert(request.slots))

    def compute(self, slots: dict) -> str:
        a, b, operation = slots["a"], slots["b"], slots["op"]
        if operation == "divided" and b == 0:
            return self.text["by_zero"]
        result = OPERATIONS[operation](a, b)
        words = OPERATION_WORDS[self.language][operation]
        return self.text["result"].format(
            a=say_number(a), op=words, b=say_number(b), result=say_number(result)
        )

    def _unit_name(self, unit: str, value: float) -> str:
        if self.language == "ko":
            return UNITS[unit].ko
        singular, plural = UNITS[unit].en
        return singular if abs(value) == 1 else plural

    def convert(self, slots: dict) -> str:
        value = slots.get("value", 1)
        source, target = slots["unit_from"], slots["unit_to"]
        try:
            result = convert(value, source, target)
        except IncompatibleUnits:
            a, b = self._unit_name(source, 2), self._unit_name(target, 2)
            return self.text["incompatible"].format(
                source=a, target=b,
                eul="을" if _final_consonant(a) else "를",
                ro=_ro(b),
            )  # fmt: skip
        shown, said = say_number(value), say_number(result)
        if self.language == "ko" and UNITS[source].dimension == "temperature":
            # "섭씨 20도는 화씨 68도입니다": the scale comes before the number in Korean.
            return f"{UNITS[source].ko} {shown}도는 {UNITS[target].ko} {said}도입니다."
        source_name = self._unit_name(source, value)
        target_name = self._unit_name(target, result)
        return self.text["converted"].format(
            value=shown, source=source_name, result=said, target=target_name,
            is_="은" if _final_consonant(source_name) else "는",
        )  # fmt: skip


SKILL = Arithmetic
