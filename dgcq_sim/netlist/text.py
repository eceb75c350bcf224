"""Netlist text as SPICE sees it: bytes -> str, physical lines, blanks, odd characters.

* Files are UTF-8; content that is not falls back to Latin-1 (which decodes any byte), so
  reading never fails.  The caller records a warning naming the first bad byte's line.
* Only ``\\n``, ``\\r\\n`` and ``\\r`` end a line (``str.splitlines`` also breaks at
  ``\\x0c``, ``\\x85``, ``\\u2028``..., which would shift every reported line number).
* Fields are separated by ASCII blanks (space, tab, form feed, vertical tab), as in ngspice.
  Other characters that cannot belong to a name or number (control characters, Unicode
  separators such as the no-break space, U+FFFD) are reported by :func:`bad_character`.
"""

from __future__ import annotations

import re
import unicodedata

BLANKS = " \t\f\v"
_LINE_END = re.compile(r"\r\n|\r|\n")
# categories of characters that make no sense inside a token
_BAD_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}


def split_lines(text: str) -> list[str]:
    """Physical lines of ``text``; only ``\\n``, ``\\r\\n`` and ``\\r`` end a line."""
    return _LINE_END.split(text)


def decode(data: bytes) -> tuple[str, int | None, int | None]:
    """``(text, line, byte)``: UTF-8 text, or Latin-1 with the line/byte of the first non-UTF-8 byte."""
    try:
        return data.decode("utf-8"), None, None
    except UnicodeDecodeError as err:
        line = len(split_lines(data[:err.start].decode("latin-1")))
        return data.decode("latin-1"), line, data[err.start]


def bad_character(token: str) -> str | None:
    """A description of the first character in ``token`` that cannot be part of a field, or None."""
    for ch in token:
        if ch == "\ufffd" or unicodedata.category(ch) in _BAD_CATEGORIES:
            name = unicodedata.name(ch, "control character" if unicodedata.category(ch) == "Cc"
                                    else "unassigned character")
            return f"U+{ord(ch):04X} ({name.lower()})"
    return None
