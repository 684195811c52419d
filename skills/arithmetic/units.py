"""Units the arithmetic skill converts, and how: a factor to the dimension's base unit,
except temperature, which has offsets."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    dimension: str
    factor: float
    """How many base units (gram, meter, liter) one of this unit is."""
    en: tuple[str, str]
    """English singular and plural, for replies."""
    ko: str


UNITS: dict[str, Unit] = {
    # mass, in grams
    "milligram": Unit("mass", 0.001, ("milligram", "milligrams"), "밀리그램"),
    "gram": Unit("mass", 1.0, ("gram", "grams"), "그램"),
    "kilogram": Unit("mass", 1000.0, ("kilogram", "kilograms"), "킬로그램"),
    "ounce": Unit("mass", 28.349523125, ("ounce", "ounces"), "온스"),
    "pound": Unit("mass", 453.59237, ("pound", "pounds"), "파운드"),
    # length, in meters
    "millimeter": Unit("length", 0.001, ("millimeter", "millimeters"), "밀리미터"),
    "centimeter": Unit("length", 0.01, ("centimeter", "centimeters"), "센티미터"),
    "meter": Unit("length", 1.0, ("meter", "meters"), "미터"),
    "kilometer": Unit("length", 1000.0, ("kilometer", "kilometers"), "킬로미터"),
    "inch": Unit("length", 0.0254, ("inch", "inches"), "인치"),
    "foot": Unit("length", 0.3048, ("foot", "feet"), "피트"),
    "yard": Unit("length", 0.9144, ("yard", "yards"), "야드"),
    "mile": Unit("length", 1609.344, ("mile", "miles"), "마일"),
    # volume, in liters (US customary measures)
    "milliliter": Unit("volume", 0.001, ("milliliter", "milliliters"), "밀리리터"),
    "liter": Unit("volume", 1.0, ("liter", "liters"), "리터"),
    "teaspoon": Unit("volume", 0.00492892159375, ("teaspoon", "teaspoons"), "티스푼"),
    "tablespoon": Unit("volume", 0.01478676478125, ("tablespoon", "tablespoons"), "큰술"),
    "cup": Unit("volume", 0.2365882365, ("cup", "cups"), "컵"),
    "pint": Unit("volume", 0.473176473, ("pint", "pints"), "파인트"),
    "quart": Unit("volume", 0.946352946, ("quart", "quarts"), "쿼트"),
    "gallon": Unit("volume", 3.785411784, ("gallon", "gallons"), "갤런"),
    # temperature: converted through Celsius below
    "celsius": Unit("temperature", 1.0, ("degree Celsius", "degrees Celsius"), "섭씨"),
    "fahrenheit": Unit("temperature", 1.0, ("degree Fahrenheit", "degrees Fahrenheit"), "화씨"),
    "kelvin": Unit("temperature", 1.0, ("kelvin", "kelvin"), "켈빈"),
}


class IncompatibleUnits(ValueError):
    pass


def _to_celsius(value: float, unit: str) -> float:
    return {"celsius": value, "fahrenheit": (value - 32) * 5 / 9, "kelvin": value - 273.15}[unit]


def _from_celsius(value: float, unit: str) -> float:
    return {"celsius": value, "fahrenheit": value * 9 / 5 + 32, "kelvin": value + 273.15}[unit]


def convert(value: float, source: str, target: str) -> float:
    a, b = UNITS[source], UNITS[target]
    if a.dimension != b.dimension:
        raise IncompatibleUnits(f"{source} and {target} measure different things")
    if a.dimension == "temperature":
        return _from_celsius(_to_celsius(value, source), target)
    return value * a.factor / b.factor
