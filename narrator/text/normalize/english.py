"""English normalization: the finders, in priority order.

Addresses first (their digits and dots are not numbers or abbreviations), then amounts and
numbers, abbreviations, Roman numerals. Where context cannot decide (the pronoun "I", "MIX",
"Appendix C"), text stays as written: the voice reading the original is the fallback, never
a wrong guess.
"""

from __future__ import annotations

from narrator.text.normalize.abbreviations import find_abbreviations
from narrator.text.normalize.addresses import find_addresses
from narrator.text.normalize.amounts import find_amounts
from narrator.text.normalize.roman import find_numerals
from narrator.text.normalize.rules import Finder

FINDERS: tuple[Finder, ...] = (find_addresses, find_amounts, find_abbreviations, find_numerals)
