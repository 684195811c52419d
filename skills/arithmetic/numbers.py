"""Numbers as the skill says them: few digits, no scientific notation."""

from __future__ import annotations

import math


def say_number(value: float) -> str:
    """84.0 → '84'; 453.59237 → '453.6'; 0.0295735 → '0.02957'; -17.7778 → '-17.78'."""
    if not math.isfinite(value):
        return str(value)
    if float(value).is_integer():
        return str(int(value))
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(0, 3 - magnitude)  # about four significant digits
    text = f"{round(value, decimals):.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
