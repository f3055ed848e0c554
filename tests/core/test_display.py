"""Numbers in the book: three decimals and no negative zero."""

import numpy as np
import pandas as pd
import pytest

from glioma_lib.core.display import number, set_book_display, signed_interval


@pytest.mark.parametrize(("value", "signed", "text"), [
    (-0.0001, False, "0.000"), (-0.0004999, True, "+0.000"), (0.0005001, True, "+0.001"),
    (-0.25, True, "-0.250"), (0.321429, False, "0.321"), (np.nan, False, "nan"),
])  # fmt: skip
def test_number_rounds_and_never_prints_negative_zero(value, signed, text):
    assert number(value, signed=signed) == text


def test_signed_interval_and_tables_use_it():
    assert signed_interval(-0.00001, -0.05, 0.07) == "+0.000 [-0.050, +0.070]"
    with pd.option_context("display.float_format", None):
        set_book_display()
        shown = repr(pd.DataFrame({"difference": [-0.00004, 0.123456]}))
    pd.reset_option("display.float_format")
    assert "-0.000" not in shown and "0.000" in shown and "0.123" in shown and "0.1234" not in shown
