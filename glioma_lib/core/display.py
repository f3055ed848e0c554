"""How numbers look in the book: three decimals, and never a negative zero.

A bootstrap difference of -0.0001 printed as ``-0.000`` reads as a sign where there is none;
:func:`number` rounds first and then drops the sign of a zero. :func:`set_book_display` makes
pandas tables in the notebooks use it.
"""

from __future__ import annotations

import math

import pandas as pd

DIGITS = 3


def number(value: float, digits: int = DIGITS, signed: bool = False) -> str:
    """``value`` with ``digits`` decimals; a value that rounds to zero prints without a minus sign.

    Example:
        >>> number(-0.0001), number(0.25, signed=True), number(-0.0001, signed=True)
        ('0.000', '+0.250', '+0.000')
    """
    value = float(value)
    if math.isnan(value):
        return "nan"
    rounded = round(value, digits) + 0.0  # -0.0 + 0.0 is 0.0
    return f"{rounded:+.{digits}f}" if signed else f"{rounded:.{digits}f}"


def signed_interval(value: float, low: float, high: float) -> str:
    """A difference and its CI, signed: ``'+0.041 [-0.020, +0.102]'``."""
    return f"{number(value, signed=True)} [{number(low, signed=True)}, {number(high, signed=True)}]"


def set_book_display() -> None:
    """pandas tables in this process print floats through :func:`number`."""
    pd.set_option("display.float_format", number)
