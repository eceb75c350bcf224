"""``.include FILE`` and ``.lib FILE SECTION`` of local files, expanded in place.

* Paths are relative to the directory of the file holding the card (for text parsed with
  ``parse_netlist(text, path="<string>")``: the current directory); quotes around the path
  are dropped.  An included file has no title line: its line 1 is a card.
* ``.lib FILE SECTION`` takes the cards between ``.lib SECTION`` and ``.endl`` of FILE;
  ``.lib SECTION ... .endl`` blocks in any file are section definitions, used only when a
  ``.lib FILE SECTION`` card asks for them.
* Every card of an included file remembers its file (:class:`~.cards.FileLine`), so errors
  read ``models.lib:7: ...``; notes are ordered as if the file were pasted at its card.
* A file that includes itself (directly or through others) is refused naming the chain.
"""

from __future__ import annotations

from pathlib import Path

from .cards import Card, Ctx, Deck, FileLine, joined, line_key, read_cards
from .text import decode, split_lines

INCLUDE_CARDS = (".include", ".inc")
MAX_DEPTH = 64


def _argument_text(card: Card) -> str:
    text, _ = joined(card)
    parts = text.split(None, 1)
    return parts[1].strip() if len(parts) > 1 else ""


def _unquote(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'":
        return word[1:-1]
    return word


def _lib_args(card: Card) -> list[str]:
    """The fields of a .lib card: [SECTION] (a definition) or [FILE, SECTION] (a call)."""
    rest = _argument_text(card)
    if rest[:1] in "\"'":
        end = rest.find(rest[0], 1)
        if end > 0:
            return [rest[1:end]] + rest[end + 1:].split()
    return [_unquote(w) for w in rest.split()]


class _Reader:
    def __init__(self, ctx: Ctx):
        self.ctx = ctx
        self.blocks: list[int] = []
        self.trans: list[Card] = []

    def load(self, card: Card, name: str, base: Path, chain: tuple) -> tuple[Path, list[Card]]:
        """Read the file ``name`` asked for by ``card``: its resolved path and its cards."""
        ctx = self.ctx
        head = card.tokens[0]
        if not name:
            raise ctx.error(f"{head.text} needs a file name", card.line, head.text)
        path = Path(name).expanduser()
        path = path if path.is_absolute() else base / path
        if not path.is_file():
            what = "is not a file" if path.exists() else "not found"
            raise ctx.error(f"{head.low} file {name!r} {what} (looked for {str(path)!r}; paths are "
                            "relative to the including file)", card.line, name)
        real = path.resolve()
        if len(chain) >= MAX_DEPTH:
            raise ctx.error(f"files are included more than {MAX_DEPTH} levels deep", card.line, name)
        text, bad_line, byte = decode(path.read_bytes())
        shown = str(path)
        key = line_key(card.line)
        deck = read_cards(split_lines(text.lstrip("\ufeff")), ctx, first=1,
                          line_of=lambda n: FileLine(n, shown, key + (n,)))
        if bad_line is not None:
            ctx.note(FileLine(bad_line, shown, key + (bad_line,)),
                     f"file is not UTF-8 text (byte 0x{byte:02x}); it was read as Latin-1")
        self.blocks += deck.control_blocks
        self.trans += deck.control_trans
        return real, deck.cards

    def expand(self, cards: list[Card], base: Path, chain: tuple) -> list[Card]:
        """``cards`` with every .include / .lib call replaced by the cards it names.

        ``chain``: the (file, section) pairs being expanded, outermost first.
        """
        ctx = self.ctx
        out: list[Card] = []
        section_start: Card | None = None
        for card in cards:
            kw = card.keyword
            if kw == ".endl":
                if section_start is None:
                    raise ctx.error("'.endl' without a matching '.lib SECTION'", card.line,
                                    card.tokens[0].text)
                section_start = None
                continue
            if section_start is not None:
                continue                    # a section definition: used only when called
            if kw == ".lib":
                args = _lib_args(card)
                if len(args) == 1:
                    section_start = card
                    continue
                if len(args) != 2:
                    raise ctx.error(".lib takes 'FILE SECTION' (a call) or 'SECTION' (a "
                                    "definition, up to .endl)", card.line, card.tokens[0].text)
                out += self.library(card, args[0], args[1].lower(), base, chain)
            elif kw in INCLUDE_CARDS:
                name = _unquote(_argument_text(card))
                real, sub = self.load(card, name, base, chain)
                self._check_cycle(card, (real, None), chain, name)
                out += self.expand(sub, real.parent, chain + ((real, None),))
            else:
                out.append(card)
        if section_start is not None:
            raise ctx.error("'.lib SECTION' is never closed by '.endl'", section_start.line,
                            section_start.tokens[0].text)
        return out

    def library(self, card: Card, name: str, section: str, base: Path, chain: tuple) -> list[Card]:
        ctx = self.ctx
        real, sub = self.load(card, name, base, chain)
        self._check_cycle(card, (real, section), chain, f"{name} {section}")
        sections: dict[str, list[Card]] = {}
        current: list[Card] | None = None
        start = card
        for c in sub:
            if c.keyword == ".lib" and current is None and len(_lib_args(c)) == 1:
                sec, current, start = _lib_args(c)[0].lower(), [], c
            elif c.keyword == ".endl" and current is not None:
                sections.setdefault(sec, current)
                current = None
            elif current is not None:
                current.append(c)           # cards outside every section are not used
        if current is not None:
            raise ctx.error(f"section '{sec}' of {name!r} is never closed by '.endl'",
                            start.line, start.tokens[0].text)
        body = sections.get(section)
        if body is None:
            known = ", ".join(sections) or "none"
            raise ctx.error(f".lib: no section '{section}' in {name!r} (sections: {known})",
                            card.line, section)
        return self.expand(body, real.parent, chain + ((real, section),))

    def _check_cycle(self, card: Card, item: tuple, chain: tuple, shown: str) -> None:
        """An .include of a file being expanded, or a .lib call of a section being expanded."""
        files = [f for f, _ in chain]
        hit = item in chain if item[1] is not None else item[0] in files
        if hit:
            first = chain.index(item) if item in chain else files.index(item[0])
            names = [Path(f).name for f in files[first:]] + [Path(item[0]).name]
            raise self.ctx.error(f"include cycle: {' -> '.join(names)} (a file includes itself)",
                                 card.line, shown)


def expand_files(deck: Deck, ctx: Ctx, top: str) -> Deck:
    """``deck`` with .include and .lib calls expanded (``top``: the netlist's own path)."""
    if not any(c.keyword in INCLUDE_CARDS + (".lib", ".endl") for c in deck.cards):
        return deck
    start = Path(top)
    base = start.parent if not top.startswith("<") else Path.cwd()
    chain = (((start.resolve()), None),) if start.is_file() else ()
    reader = _Reader(ctx)
    cards = reader.expand(deck.cards, base, chain)
    return Deck(cards, deck.control_blocks + reader.blocks, deck.control_trans + reader.trans)
