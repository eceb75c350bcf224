"""Physical lines -> cards -> tokens, and the table of what every card kind means to us.

A card is one logical line: comments stripped, ``+`` continuations joined, ``.end`` stops
reading.  ``.control ... .endc`` blocks are not cards, but a ``tran`` command inside one is
kept (it is the analysis when there is no ``.tran``).  Every token remembers its physical
line, so an error on a continuation line names that line.

:func:`check_card` classifies a card before any value is evaluated, so a netlist using
something outside the subset is told so first, with the real cause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from typing import Callable

from ..errors import NetlistError
from .circuit import SourceLoc
from .text import BLANKS, bad_character

ELEMENT_LETTERS = "rclviseghfb"
SUPPORTED_ELEMENTS = "R C L V I S E G F H B X"
SUPPORTED_CARDS = (".param", ".model", ".tran", ".func", ".subckt ... .ends", ".include",
                   ".lib", ".ic", ".end", ".control ... .endc")

_OUTPUT = "output directive; every node is available in the result"
_ANALYSIS = "analysis other than .tran; only the transient is simulated"
# Cards that do not change a transient: accepted, recorded in Circuit.ignored with the reason.
IGNORED_CARDS: dict[str, str] = {
    ".print": _OUTPUT, ".plot": _OUTPUT, ".probe": _OUTPUT, ".save": _OUTPUT,
    ".width": "output format directive",
    ".four": "Fourier analysis of the .tran output; compute it from the result",
    ".meas": "measurement; compute it from the result",
    ".measure": "measurement; compute it from the result",
    ".op": "operating point analysis; the transient always starts from the DC operating point",
    ".ac": _ANALYSIS, ".dc": _ANALYSIS, ".noise": _ANALYSIS, ".sens": _ANALYSIS,
    ".tf": _ANALYSIS, ".pz": _ANALYSIS, ".disto": _ANALYSIS,
    ".options": "simulator options do not apply to the phase-exact engine",
    ".option": "simulator options do not apply to the phase-exact engine",
    ".opt": "simulator options do not apply to the phase-exact engine",
    ".global": "a global node keeps its name inside subcircuit instances; no other effect "
               "(gnd is ground anyway)",
    ".temp": "temperature recorded as Circuit.temperature_c; no element depends on it",
}

_NOT_YET = "not supported yet"
# Cards and elements the subset will grow into: refused plainly, naming the feature.
UNSUPPORTED_CARDS: dict[str, str] = {
    ".nodeset": "DC operating point guesses (.nodeset) are not supported yet",
}
UNSUPPORTED_ELEMENTS: dict[str, str] = {}
# elements refused for good, with the reason
REFUSED_ELEMENTS: dict[str, str] = {
    "w": "current-controlled switches (W) are not supported: a switch controlled by a circuit "
         "current flips at a time that depends on the state; use a voltage-controlled S switch",
}
# source functions (V/I) the subset will grow into
SOURCE_FUNCS_NOT_YET = ("am", "trnoise", "trrandom", "pat")
_SEMICONDUCTORS = {"m": "MOSFET", "d": "diode", "q": "bipolar transistor", "j": "JFET"}

_INLINE_COMMENT = re.compile(f";|(?:^|(?<=[{BLANKS}]))\\$")


@dataclass(frozen=True)
class Tok:
    text: str
    line: int

    @property
    def low(self) -> str:
        return self.text.lower()


class FileLine(int):
    """A line number of an included file: ``path`` names the file; ``key`` orders notes
    (the include chain of line numbers, e.g. ``(5, 3)`` = line 3 of the file included at
    line 5).  Lines of the top-level file are plain ints."""

    path: str
    key: tuple

    def __new__(cls, line: int, path: str, key: tuple):
        obj = super().__new__(cls, line)
        obj.path, obj.key = path, key
        return obj


def line_key(line: int) -> tuple:
    """Sort key of a (possibly included) line: its include chain."""
    return getattr(line, "key", (int(line),))


@dataclass
class Card:
    line: int                                    # physical line of the card's first line
    segments: list[tuple[str, int]]              # (text, physical line), continuations joined
    tokens: list[Tok] = field(default_factory=list)
    scope: object = None                         # subcircuit instance (structure.Scope) or None

    @property
    def keyword(self) -> str:
        return self.tokens[0].low if self.tokens else ""


@dataclass
class Deck:
    """The cards of a netlist plus what its ``.control`` blocks hold that we use."""

    cards: list[Card]
    control_blocks: list[int]                    # first line of each .control block
    control_trans: list[Card]                    # 'tran ...' commands inside .control blocks


class Ctx:
    """Path plus helpers that raise located errors and collect located warnings."""

    def __init__(self, path: str):
        self.path = path
        self._notes: list[tuple[int, str]] = []

    def path_of(self, line: int | None) -> str:
        """The file a line belongs to (an included file's, or this netlist's)."""
        return getattr(line, "path", self.path)

    def loc(self, line: int) -> SourceLoc:
        return SourceLoc(self.path_of(line), int(line))

    def note(self, line: int, message: str) -> None:
        """Record ``path:line: message`` for ``Circuit.ignored``."""
        self._notes.append((line_key(line), f"{self.path_of(line)}:{line}: {message}"))

    def notes(self) -> tuple[str, ...]:
        """The recorded notes in line order (included files at their .include line)."""
        return tuple(text for _, text in sorted(self._notes, key=lambda n: n[0]))

    def error(self, message: str, line: int | None, token: str | None = None) -> NetlistError:
        return NetlistError(message, self.path_of(line), line, token)

    def relocate(self, err: NetlistError, line: int) -> NetlistError:
        """Attach this file and ``line`` to an error raised without location."""
        return NetlistError(err.reason, self.path_of(line), line, err.token)


def strip_comment(text: str) -> str:
    m = _INLINE_COMMENT.search(text)
    return text[:m.start()] if m else text


def read_cards(lines: list[str], ctx: Ctx, first: int = 2,
               line_of: Callable[[int], int] = int) -> Deck:
    """Group physical lines ``first``.. into cards; skip comments and .control blocks; stop
    at .end.  ``first`` = 2 skips the title (an included file has none: 1); ``line_of``
    turns a line number into the stored one (a :class:`FileLine` for an included file)."""
    cards: list[Card] = []
    blocks: list[int] = []
    trans: list[Card] = []
    in_control = False
    for number, raw in enumerate(lines[first - 1:], start=first):
        lineno = line_of(number)
        text = strip_comment(raw).strip(BLANKS)
        if not text or text.startswith("*"):
            continue
        words = text.split(None, 1)
        first = words[0].lower() if words else ""
        if in_control:
            if first == ".endc":
                in_control = False
            elif first == "tran":
                trans.append(Card(lineno, [(text, lineno)]))
            continue
        if text.startswith("+"):
            if not cards:
                raise ctx.error("continuation line '+' with no card before it", lineno, text[:20])
            cards[-1].segments.append((text[1:], lineno))
            continue
        if first == ".control":
            in_control = True
            blocks.append(lineno)
            continue
        if first == ".endc":
            raise ctx.error("'.endc' without a matching '.control'", lineno, ".endc")
        if first == ".end":
            break
        cards.append(Card(lineno, [(text, lineno)]))
    if in_control:
        raise ctx.error("'.control' block is never closed by '.endc'", blocks[-1], ".control")
    for card in cards + trans:
        card.tokens = tokenize(card, ctx)
    # a card of separators only (e.g. a line of commas) says nothing
    return Deck([c for c in cards if c.tokens], blocks, trans)


def joined(card: Card) -> tuple[str, list[int]]:
    """Card text with continuations joined by a space, and the physical line of each char."""
    text_parts: list[str] = []
    line_of: list[int] = []
    for text, line in card.segments:
        if text_parts:
            text_parts.append(" ")
            line_of.append(line)
        text_parts.append(text)
        line_of.extend([line] * len(text))
    return "".join(text_parts), line_of


SINGLE = "()="
_STOP = set(BLANKS + ",(){}='")


def tokenize(card: Card, ctx: Ctx) -> list[Tok]:
    """Words, '(' ')' '=', and whole ``{...}`` / ``'...'`` expressions; commas separate."""
    text, line_of = joined(card)
    toks: list[Tok] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in BLANKS or ch == ",":
            i += 1
        elif ch in SINGLE:
            toks.append(Tok(ch, line_of[i]))
            i += 1
        elif ch == "{":
            depth, j = 0, i
            while j < n:
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if j >= n:
                raise ctx.error("unbalanced '{' (no closing '}')", line_of[i], text[i:i + 20])
            toks.append(Tok(text[i:j + 1], line_of[i]))
            i = j + 1
        elif ch == "'":
            j = text.find("'", i + 1)
            if j < 0:
                raise ctx.error("unbalanced quote (no closing ')", line_of[i], text[i:i + 20])
            toks.append(Tok(text[i:j + 1], line_of[i]))
            i = j + 1
        elif ch == "}":
            raise ctx.error("'}' without a matching '{'", line_of[i], "}")
        else:
            j = i
            while j < n and text[j] not in _STOP:
                j += 1
            word = text[i:j]
            bad = bad_character(word)
            if bad is not None:
                raise ctx.error(f"character {bad} cannot be part of a name or number (fields are "
                                "separated by blanks and tabs; is the file in another encoding?)",
                                line_of[i], word[:40].encode("ascii", "backslashreplace").decode())
            toks.append(Tok(word, line_of[i]))
            i = j
    return toks


def unwrap(expr_text: str) -> str:
    """``{a*b}`` or ``'a*b'`` -> ``a*b``; anything else unchanged."""
    t = expr_text.strip()
    if len(t) >= 2 and ((t[0] == "{" and t[-1] == "}") or (t[0] == "'" and t[-1] == "'")):
        return t[1:-1]
    return t


def check_card(card: Card, ctx: Ctx) -> str | None:
    """Refuse a card outside the subset (with the real cause); return the ignore reason, if any.

    Runs on every card before ``.param`` values are resolved.
    """
    head = card.tokens[0]
    kw = card.keyword
    if kw.startswith("."):
        if kw in IGNORED_CARDS:
            return IGNORED_CARDS[kw]
        if kw in UNSUPPORTED_CARDS:
            raise ctx.error(UNSUPPORTED_CARDS[kw], head.line, head.text)
        if kw not in (".param", ".model", ".func", ".tran", ".ic"):
            raise ctx.error(f"unknown card '{head.text}' (supported: {', '.join(SUPPORTED_CARDS)}; "
                            f"accepted and ignored: {' '.join(sorted(IGNORED_CARDS))})",
                            head.line, head.text)
        return None
    letter = kw[0]
    if letter in _SEMICONDUCTORS:
        raise ctx.error(f"{head.text}: semiconductor devices ({_SEMICONDUCTORS[letter]}) are not "
                        "supported: dgcq_sim is a behavioural, linear circuit simulator (supported "
                        f"elements: {SUPPORTED_ELEMENTS}; model an amplifier with E, a transistor "
                        "switch with S)", head.line, head.text)
    if letter in REFUSED_ELEMENTS:
        raise ctx.error(f"{head.text}: {REFUSED_ELEMENTS[letter]}", head.line, head.text)
    if letter in UNSUPPORTED_ELEMENTS:
        raise ctx.error(f"{head.text}: {UNSUPPORTED_ELEMENTS[letter]} are {_NOT_YET} (supported "
                        f"elements: {SUPPORTED_ELEMENTS})", head.line, head.text)
    if letter not in ELEMENT_LETTERS:
        raise ctx.error(f"unknown or unsupported element type '{head.text[0]}' "
                        f"(supported: {SUPPORTED_ELEMENTS})", head.line, head.text)
    toks = card.tokens
    for k, t in enumerate(toks[1:], start=1):
        if t.low == "ic" and k + 1 < len(toks) and toks[k + 1].text == "=" and letter not in "cl":
            raise ctx.error(f"{head.text}: initial conditions (ic=) are only read on C and L "
                            "elements", t.line, t.text)
        if letter in "vi" and k >= 3 and t.low in SOURCE_FUNCS_NOT_YET:
            raise ctx.error(f"{head.text}: {t.text.upper()} sources are {_NOT_YET} (supported: DC, "
                            "PULSE, PWL, SIN, EXP, SFFM)", t.line, t.text)
    return None
