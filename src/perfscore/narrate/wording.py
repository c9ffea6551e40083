"""Narrate stage, its typography: item numerals and cutting a text to a length.

The narrative (:mod:`perfscore.narrate.narrative`) numbers items （一）（二）… (the numeral
is :func:`perfscore.numbers.chinese_numeral`'s) and holds
each to the ruleset's length; when nothing else is left to drop it cuts the text here, at
a clause break, never inside a figure or between a figure and its unit. How a language
breaks clauses and separates words is catalogue data (``messages/narrate.toml``).
"""

from __future__ import annotations

from perfscore.messages import message
from perfscore.numbers import chinese_numeral

#: characters of a written figure: a cut never falls next to them
_NUMBER_CHARS = frozenset("0123456789.%‰")


def _at_break(text: str, index: int, breaks: str, word_separator: str) -> bool:
    """Is text[index] a clause break a cut may replace (never a decimal point or 1,000)?"""
    if text[index] not in breaks:
        return False
    if word_separator:
        return index + 1 == len(text) or text[index + 1] == word_separator
    return True


def _safe_cut(text: str, index: int) -> bool:
    """A cut before text[index] that leaves no number split from its digits or its unit."""
    if index <= 0:
        return False
    before = text[:index].rstrip()
    if not before:
        return False
    return before[-1] not in _NUMBER_CHARS and (index == len(text) or text[index] not in _NUMBER_CHARS)


def shorten(text: str, room: int, lang: str, ellipsis: str) -> str:
    """``text`` if it fits in ``room`` characters, else cut at the last clause break that fits.

    The break itself is replaced by the ellipsis; when no break fits, the cut falls on the
    last position that splits no number from its digits or its unit (between words, in a
    language that separates them).
    """
    if len(text) <= room:
        return text
    if room <= 0:
        return ""
    limit = room - len(ellipsis)
    if limit <= 0:
        return ellipsis[:room]
    breaks = message("narrate.clause_breaks", lang)
    word_separator = message("narrate.word_separator", lang)
    for index in range(min(limit, len(text) - 1), 0, -1):
        if _at_break(text, index, breaks, word_separator) and text[:index].rstrip():
            return text[:index].rstrip() + ellipsis
    if word_separator:
        for index in range(min(limit, len(text) - 1), 0, -1):
            if text[index] == word_separator and _safe_cut(text, index):
                return text[:index].rstrip() + ellipsis
    for index in range(min(limit, len(text) - 1), 0, -1):
        if _safe_cut(text, index):
            return text[:index].rstrip() + ellipsis
    return ellipsis


__all__ = ["chinese_numeral", "shorten"]
