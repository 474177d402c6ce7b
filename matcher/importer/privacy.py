"""CPR numbers in an export: refused as ids, removed from free text, never repeated in a message.

A CPR number is ``DDMMYY-XXXX``, or the same ten digits without the hyphen (or with a space).
An id of that shape is refused whatever its digits. In free text (notes, names, titles) only a
number whose first six digits are a real date counts, so that an order number or a phone number
does not lose its digits.
"""
from __future__ import annotations

import re

CPR_SHAPE = r"\d{6}[- ]?\d{4}"
_CPR_IN_TEXT = re.compile(r"(?<!\d)(\d{2})(\d{2})(\d{2})[- ]?\d{4}(?!\d)")
_ANY_CPR_SHAPE = re.compile(r"(?<!\d)" + CPR_SHAPE + r"(?!\d)")
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
REDACTED = "[CPR-nummer fjernet]"
MAX_SHOWN = 80  # characters of a bad value quoted in a message


def _is_cpr(match: re.Match) -> bool:
    day, month, year = (int(g) for g in match.groups())
    if not 1 <= month <= 12 or not 1 <= day <= _DAYS[month - 1]:
        return False
    return not (month == 2 and day == 29 and year % 4)  # the 29th of February only in leap years


def redact(text: str) -> tuple[str, int]:
    """``text`` with every CPR number replaced by :data:`REDACTED`, and how many there were."""
    found = 0

    def replace(match: re.Match) -> str:
        nonlocal found
        if not _is_cpr(match):
            return match.group(0)
        found += 1
        return REDACTED

    return _CPR_IN_TEXT.sub(replace, text), found


def plain(value: object) -> str:
    """A value as written, unless it has the shape of a CPR number."""
    text = str(value)
    return "(a CPR-shaped value, not repeated here)" if re.fullmatch(CPR_SHAPE, text) else text


def quoted(value: object) -> str:
    """A bad value as a message quotes it: repr, cut short, and never with a CPR-shaped number."""
    text = plain(value)
    if text != str(value):
        return text
    text = _ANY_CPR_SHAPE.sub("(CPR-shaped number)", text)
    return repr(text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…")
