"""First pass of the reading: the comment as a list of mentions (elements), each a span of tokens.

A product code, a name word, a variant phrase, a number, a quantity word, a connector, a negation, a swap or a
beneficiary ("pa mí", "for my sis"). Numbers are left open: the role search (roles.py) decides what each one is.
"""

from __future__ import annotations

from dataclasses import dataclass

from livestreams.intent.local.catalog import CatalogIndex, Key
from livestreams.intent.local.morph import stem
from livestreams.intent.local.text import SENTENCE_BREAK
from livestreams.intent.local.vocab import (
    ARTICLES,
    BENEFICIARY_PREPOSITIONS,
    BOTH_WORDS,
    CONNECTORS,
    EACH_WORDS,
    GUARDED_SIZE_WORDS,
    KEEP_PHRASES,
    NEGATORS,
    ONE_WORDS,
    OTHER_WORDS,
    PERSON_DETERMINERS,
    SELF_WORDS,
    SWAP_FROM_PHRASES,
    SWAP_TO_WORDS,
    VARIANT_MARKERS,
)

# Element kinds.
PROD = "prod"  # a product by code or by name words
VAR = "var"  # a variant phrase ("talla M", "negrita", "extra grande")
NUM = "num"  # a number whose role the search decides
ONE = "one"  # "una", "otra", "um": one unit of the next thing
QTY = "qty"  # a quantity that cannot be anything else ("un par", "2" after "x")
AND = "and"
NEG = "neg"  # "no la M", "não", "not"
NEG_PREV = "negprev"  # "23, não, 24": takes back what came before
SWAP_VERB = "swapverb"  # "cámbiame", "troca", "swap"
SWAP_TO = "swapto"  # "por", "pelo", "for", "to" after a swap verb
SWAP_FROM = "swapfrom"  # "en vez de", "instead of", "from"
KEEP = "keep"  # "me quedo con": what follows is kept, not cancelled
BREAK = "break"
BOTH = "both"  # "los dos", "ambos", "both"
EACH = "each"  # "uno de cada"
BENEF = "benef"  # "pa mí", "pra minha irmã", "for my sis": one beneficiary
UNKNOWN = "unknown"  # looks like a product code but is not in the catalog ("A30", "K20")

_SPANISH_NEGATED = frozenset({"la", "el", "los", "las", "en", "era", "es", "fue", "de", "del", "lo"})
_PLURAL_PEOPLE_ENDINGS = ("as", "os", "es", "s")
_SINGULAR_EXCEPTIONS = frozenset({"mis", "sis", "bros", "mais", "tres"})


@dataclass(slots=True)
class Element:
    kind: str
    start: int
    end: int  # exclusive
    products: frozenset[str] = frozenset()  # PROD: candidate products
    explicit: bool = False  # PROD: named by its code
    keys: tuple[Key, ...] = ()  # VAR: how to find the label in a product
    value: str = ""  # NUM / QTY: the number as a token ("7.5", "13x4")
    unit: str | None = None  # NUM: "~ml", "~in", ... written after it
    forced_qty: bool = False  # NUM: after or before "x", followed by "unidades"
    name_of: frozenset[str] = frozenset()  # VAR that is also a name word of these products ("la negra")
    via_synonym: bool = False  # PROD found through a translated noun, not the product's own words


class _Scanner:
    def __init__(self, tokens: list[str], glued: frozenset[int], index: CatalogIndex) -> None:
        self.tokens = tokens
        self.glued = glued
        self.index = index
        self.out: list[Element] = []
        self.swap_open = False

    def tok(self, i: int) -> str | None:
        return self.tokens[i] if 0 <= i < len(self.tokens) else None

    def add(self, kind: str, start: int, end: int, **fields: object) -> int:
        self.out.append(Element(kind, start, end, **fields))  # type: ignore[arg-type]
        return end

    def run(self) -> list[Element]:
        i, n = 0, len(self.tokens)
        while i < n:
            i = self.step(i)
        return self.out

    def step(self, i: int) -> int:
        tok = self.tokens[i]
        if tok in (SENTENCE_BREAK, "?"):
            self.swap_open = False
            return self.add(BREAK, i, i + 1)
        if tok == "@":
            return self.skip_handle(i)
        phrase = self.phrase(i)
        if phrase:
            return phrase
        if tok in self.index.code_starts:
            for length in range(min(self.index.max_code_len, len(self.tokens) - i), 0, -1):
                code = self.index.codes.get(tuple(self.tokens[i : i + length]))
                if code is not None and self.code_allowed(i, length):
                    return self.add(PROD, i, i + length, products=frozenset({code}), explicit=True)
        if i in self.glued and self.tok(i + 1) is not None and not self.explained_glued(i):
            return self.add(UNKNOWN, i, i + 2)
        if tok[0].isdigit() or tok[0] == "~":
            return self.number(i)
        if tok == "x" and (self.tok(i + 1) or "a")[0].isdigit():
            end = self.number(i + 1)
            self.out[-1].forced_qty = True
            self.out[-1].start = i
            return end
        return self.word(i)

    def skip_handle(self, i: int) -> int:
        """'@Rosa Yánez ...' names a person, not a colour: skip the handle (one or two words)."""
        j = i + 1
        while j < len(self.tokens) and j <= i + 2 and self.tokens[j].isalpha():
            j += 1
        return self.add(BREAK, i, j) if False else j

    def code_allowed(self, i: int, length: int) -> bool:
        """A spelled code whose first word is an everyday word ("a", "de", "te") needs its digits right after."""
        return True

    def explained_glued(self, i: int) -> bool:
        letters = self.tokens[i]
        if letters == "x" or letters in self.index.names or stem(letters) in self.index.names:
            return True
        return (letters, self.tokens[i + 1]) in self.index.spans

    def phrase(self, i: int) -> int:
        tokens, tok = self.tokens, self.tokens[i]
        for phrase in SWAP_FROM_PHRASES:
            if tok == phrase[0] and tuple(tokens[i : i + len(phrase)]) == phrase:
                if phrase == ("from",) and not self.swap_open:
                    continue
                return self.add(SWAP_FROM, i, i + len(phrase))
        for phrase in KEEP_PHRASES:
            if tok == phrase[0] and tuple(tokens[i : i + len(phrase)]) == phrase:
                return self.add(KEEP, i, i + len(phrase))
        nxt = self.tok(i + 1)
        if tok in ("un", "um", "a") and nxt in ("par", "pair"):
            return self.add(QTY, i, i + 2, value="1")  # a pair of shoes or earrings is one unit
        if tok in ("los", "las", "os", "as", "the", "ambos", "ambas") and nxt == "2":
            return self.add(BOTH, i, i + 2)
        if tok in BOTH_WORDS:
            return self.add(BOTH, i, i + 1)
        if tok in EACH_WORDS or (tok == "de" and nxt in EACH_WORDS) or (tok == "of" and nxt == "each"):
            end = i + 1 if tok in EACH_WORDS else i + 2
            if self.out and self.out[-1].kind == ONE:
                self.out.pop()
            return self.add(EACH, i, end)
        return 0

    def number(self, i: int) -> int:
        tok = self.tokens[i]
        if tok[0] == "~":
            return i + 1  # a unit with no number before it
        span = self.variant_span(i)
        if span:
            return span
        unit = None
        end = i + 1
        nxt = self.tok(i + 1)
        if nxt is not None and nxt[0] == "~":
            unit, end = nxt, i + 2
        forced = (nxt == "x" and not (self.tok(i + 2) or "a")[0].isdigit()) or self.index_is_qty_unit(nxt)
        if nxt == "x" and forced:
            end = i + 2
        digits = self.digit_run(i)
        if digits:
            return digits
        return self.add(NUM, i, end, value=tok, unit=unit, forced_qty=forced)

    def index_is_qty_unit(self, token: str | None) -> bool:
        from livestreams.intent.local.vocab import QTY_UNITS

        return token in QTY_UNITS

    def digit_run(self, i: int) -> int:
        """'dos cero cuatro' = 204 when the catalog has code 204 (single digits spoken one by one)."""
        j = i
        digits = ""
        while j < len(self.tokens) and len(self.tokens[j]) == 1 and self.tokens[j].isdigit():
            digits += self.tokens[j]
            j += 1
        if j - i < 2 or ("0" not in digits and j - i < 3):
            return 0
        code = self.index.numeric_codes.get(str(int(digits)))
        if code is None:
            return 0
        return self.add(PROD, i, j, products=frozenset({code}), explicit=True)

    def variant_span(self, i: int) -> int:
        index = self.index
        tokens = self.tokens
        if tokens[i] not in index.span_starts:
            return 0
        for length in range(min(index.max_span, len(tokens) - i), 0, -1):
            keys = index.spans.get(tuple(tokens[i : i + length]))
            if keys is None:
                continue
            if length == 1 and tokens[i] in GUARDED_SIZE_WORDS and not self.size_guard_ok(i):
                return 0
            return self.add(VAR, i, i + length, keys=keys)
        return 0

    def size_guard_ok(self, i: int) -> bool:
        prev, nxt = self.tok(i - 1), self.tok(i + 1)
        if prev in VARIANT_MARKERS or (prev is not None and prev[0].isdigit()):
            return True
        return nxt in (None, SENTENCE_BREAK, ",", "?") and prev not in ARTICLES and prev is not None

    def word(self, i: int) -> int:
        tok, nxt, prev = self.tokens[i], self.tok(i + 1), self.tok(i - 1)
        if tok in ONE_WORDS:
            return self.add(ONE, i, i + 1, value="other" if tok in OTHER_WORDS else "one")
        if tok in CONNECTORS or tok == ",":
            if tok == "," and nxt in NEGATORS | {"no"} and self.tok(i + 2) in (",", SENTENCE_BREAK):
                return self.add(NEG_PREV, i, i + 3)
            return self.add(AND, i, i + 1)
        if tok in NEGATORS or (tok == "no" and self.spanish_negation(i)):
            return self.add(NEG, i, i + 1)
        if tok in BENEFICIARY_PREPOSITIONS:
            end = self.beneficiary(i)
            if end:
                return end
        if self.out and self.out[-1].kind == BENEF and tok in PERSON_DETERMINERS and prev in CONNECTORS:
            return self.person(i, i)
        swap = self.swap_word(tok)
        if swap:
            return self.add(swap, i, i + 1)
        span = self.variant_span(i)
        products = self.name_products(tok)
        if span:
            element = self.out[-1]
            if products and element.end == i + 1:
                element.name_of = products
            return span
        stem_keys = self.index.stem_spans.get(stem(tok))
        if stem_keys is None and len(tok) >= 5 and products is None:
            stem_keys = self.near_variant(stem(tok))
        if stem_keys is not None and not (tok in GUARDED_SIZE_WORDS and not self.size_guard_ok(i)):
            return self.add(VAR, i, i + 1, keys=stem_keys, name_of=products or frozenset())
        if products:
            return self.add(PROD, i, i + 1, products=products, via_synonym=self.via_synonym)
        return i + 1

    via_synonym = False

    def near_variant(self, key: str) -> tuple[Key, ...] | None:
        """A variant word with one letter missing ("grnde") or one letter too many."""
        near = self.index.variant_near.get(key)
        return self.index.stem_spans.get(near) if near else None

    def name_products(self, tok: str) -> frozenset[str] | None:
        self.via_synonym = False
        if len(tok) < 2 or not tok.isalpha() or tok in VARIANT_MARKERS:
            return None
        key = stem(tok)
        found = self.index.names.get(key)
        if found is None and len(tok) >= 3:
            found = self.index.synonyms.get(key)
            self.via_synonym = found is not None
        if found is None and len(key) >= 5:
            found = self.index.name_near.get(key)  # a letter missing ("leggins" for "leggings")
        return found

    def spanish_negation(self, i: int) -> bool:
        """Spanish 'no' negates ("no la M", "no en M", "no era 9.5"); Portuguese 'no' is "in the" ("no M")."""
        nxt = self.tok(i + 1)
        return nxt in _SPANISH_NEGATED or nxt in (",", SENTENCE_BREAK)

    def beneficiary(self, i: int) -> int:
        nxt = self.tok(i + 1)
        if nxt in SELF_WORDS and not (nxt == "mi" and self.tok(i + 2) not in (None, SENTENCE_BREAK, ",", "y", "e")
                                      and (self.tok(i + 2) or "").isalpha() and self.tok(i + 2) not in CONNECTORS):
            return self.add(BENEF, i, i + 2, value="1")  # fmt: skip
        if nxt in PERSON_DETERMINERS or nxt == "mi":
            return self.person(i + 1, i)
        return 0

    def person(self, j: int, start: int) -> int:
        """'mi mamá', 'my sis', 'minha irmã': one person; 'mis hijas', 'my bridesmaids': several (count unknown)."""
        noun = self.tok(j + 1)
        if noun is None or not noun.isalpha():
            return 0
        plural = self.tokens[j] in ("mis", "sus", "meus", "minhas") or (
            noun.endswith(_PLURAL_PEOPLE_ENDINGS) and noun not in _SINGULAR_EXCEPTIONS and len(noun) > 4
        )
        return self.add(BENEF, start, j + 2, value="many" if plural else "1")

    def swap_word(self, tok: str) -> str | None:
        if tok.startswith(("cambi", "troc", "troqu", "swap", "switch", "chang", "exchang")):
            self.swap_open = True
            return SWAP_VERB
        if self.swap_open and tok in SWAP_TO_WORDS:
            return SWAP_TO
        return None


def scan(tokens: list[str], glued: frozenset[int], index: CatalogIndex) -> list[Element]:
    return _Scanner(tokens, glued, index).run()
