"""First pass of the reading: the comment as a list of mentions (elements), each a span of tokens.

A product code, a name word, a variant phrase, a number, a quantity word, a connector, a negation, a swap or a
beneficiary ("pa mí", "for my sis"). Numbers are left open: the role search (roles.py) decides what each one is.
"""

from __future__ import annotations

from dataclasses import dataclass

from livestreams.intent.local.catalog import CatalogIndex, Key
from livestreams.intent.local.morph import stem
from livestreams.intent.local.names import code_parts
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
    QTY_UNITS,
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
QTY = "qty"  # a quantity that cannot be anything else ("un par")
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

_WORD_LIKE_LETTER_NAMES = frozenset({"de", "te", "se", "que", "ve", "ar", "ex", "why", "see", "oh", "el", "ele", "pe"})
_COLOUR_WORDS = frozenset({"colores", "colors", "colours", "cores", "tonos", "tons"})
_SPANISH_NEGATED = frozenset({"la", "el", "los", "las", "en", "era", "es", "fue", "de", "del", "lo"})
_PLURAL_PEOPLE_ENDINGS = ("as", "os", "es", "s")
_SINGULAR_EXCEPTIONS = frozenset({"mis", "sis", "bros", "mais", "tres"})
_SWAP_VERB_PREFIXES = ("cambi", "troc", "troqu", "swap", "switch", "chang", "exchang")
_PHRASES: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _kind, _phrases in (("swapfrom", SWAP_FROM_PHRASES), ("keep", KEEP_PHRASES)):
    for _phrase in _phrases:
        _PHRASES.setdefault(_phrase[0], []).append((_phrase, _kind))
_PHRASE_STARTS = frozenset(_PHRASES) | {"un", "um", "a", "of", "de"}
_PLURAL_ARTICLES = frozenset({"los", "las", "os", "as", "the", "ambos", "ambas"})
_PHRASE_TRIGGERS = _PHRASE_STARTS | _PLURAL_ARTICLES | BOTH_WORDS | EACH_WORDS
# Words that always take part in the reading, whatever the catalog.
_ROLE_WORDS = (
    ONE_WORDS
    | CONNECTORS
    | NEGATORS
    | BENEFICIARY_PREPOSITIONS
    | PERSON_DETERMINERS
    | SWAP_TO_WORDS
    | BOTH_WORDS
    | EACH_WORDS
    | _PHRASE_STARTS
    | _PLURAL_ARTICLES
    | {"no", "x", ",", "@", "?", SENTENCE_BREAK}
)


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
    forced_qty: bool = False  # NUM: "x2", "2 unidades": a quantity whatever else it could be
    name_of: frozenset[str] = frozenset()  # VAR that is also a name word of these products ("la negra")
    via_synonym: bool = False  # PROD found through a translated noun, not the product's own words


@dataclass(frozen=True, slots=True)
class _Word:
    """What one word can be in this catalog (memoised per catalog: comments repeat the same words all night)."""

    products: frozenset[str] | None
    via_synonym: bool
    stem_keys: tuple[Key, ...] | None
    inert: bool  # nothing at all: skipped without further look


def _word_info(index: CatalogIndex, token: str) -> _Word:
    memo = index.memo
    found: _Word | None = memo.get(token)
    if found is not None:
        return found
    if len(memo) > 20_000:
        memo.clear()
    products, via_synonym = _name_products(index, token)
    key = stem(token)
    stem_keys = index.stem_spans.get(key)
    if stem_keys is None and len(token) >= 5 and products is None:
        near = index.variant_near.get(key)  # a letter missing: "grnde"
        stem_keys = index.stem_spans.get(near) if near else None
    inert = (
        products is None
        and stem_keys is None
        and token not in index.span_starts
        and token not in index.code_starts
        and token not in _ROLE_WORDS
        and not token.startswith(_SWAP_VERB_PREFIXES)
    )
    found = memo[token] = _Word(products, via_synonym, stem_keys, inert)
    return found


def _name_products(index: CatalogIndex, token: str) -> tuple[frozenset[str] | None, bool]:
    if len(token) < 2 or not token.isalpha() or token in VARIANT_MARKERS:
        return None, False
    key = stem(token)
    found = index.names.get(key)
    if found is not None:
        return found, False
    if len(token) >= 3:
        found = index.synonyms.get(key)
        if found is not None:
            return found, True
    if len(key) >= 5:
        return index.name_near.get(key), False  # a letter missing ("leggins" for "leggings")
    return None, False


class _Scanner:
    def __init__(self, tokens: list[str], glued: frozenset[int], index: CatalogIndex, spoken: frozenset[int]) -> None:
        self.spoken = spoken
        self.tokens = tokens
        self.n = len(tokens)
        self.glued = glued
        self.index = index
        self.out: list[Element] = []
        self.swap_open = False

    def tok(self, i: int) -> str | None:
        return self.tokens[i] if 0 <= i < self.n else None

    def add(self, element: Element) -> int:
        self.out.append(element)
        return element.end

    def run(self) -> list[Element]:
        tokens, index, glued = self.tokens, self.index, self.glued
        memo = index.memo
        i = 0
        while i < self.n:
            tok = tokens[i]
            if tok[0].isalpha() and i not in glued:
                info: _Word = memo.get(tok) or _word_info(index, tok)
                if info.inert:
                    i += 1
                    continue
            i = self.step(i)
        return self.out

    def step(self, i: int) -> int:
        tok = self.tokens[i]
        if tok in (SENTENCE_BREAK, "?"):
            self.swap_open = False
            return self.add(Element(BREAK, i, i + 1))
        if tok == "@":
            return self.skip_handle(i)
        if tok in _PHRASE_TRIGGERS:
            end = self.phrase(i)
            if end:
                return end
        if tok in self.index.code_starts:
            for length in range(min(self.index.max_code_len, self.n - i), 0, -1):
                code = self.index.codes.get(tuple(self.tokens[i : i + length]))
                if code is not None and self.spelling_allowed(i, length, code):
                    return self.add(Element(PROD, i, i + length, products=frozenset({code}), explicit=True))
        if i in self.glued and i + 1 < self.n and not self.explained_glued(i):
            return self.add(Element(UNKNOWN, i, i + 2))
        if tok[0].isdigit() or tok[0] == "~":
            return self.number(i)
        if tok == "x" and i + 1 < self.n and self.tokens[i + 1][0].isdigit():
            end = self.number(i + 1)
            self.out[-1].forced_qty = True
            self.out[-1].start = i
            return end
        return self.word(i)

    def spelling_allowed(self, i: int, length: int, code: str) -> bool:
        """A letter name that is an everyday word ("de", "te", "que") spells a code only with its number spoken
        too ("la de tres" = D3, "te diez" = T10); "de 1 litro" and "te 2" are not codes (but "AR3" is)."""
        if self.tokens[i] not in _WORD_LIKE_LETTER_NAMES or self.tokens[i] == code_parts(code)[0]:
            return True
        digits = [j for j in range(i + 1, i + length) if self.tokens[j][0].isdigit()]
        return all(j in self.spoken for j in digits)

    def skip_handle(self, i: int) -> int:
        """'@Rosa Yánez ...' names a person, not a colour: the handle (one or two words) is no mention."""
        j = i + 1
        while j < self.n and j <= i + 2 and self.tokens[j].isalpha():
            j += 1
        return j

    def explained_glued(self, i: int) -> bool:
        """Glued letters and digits that are not a code of this catalog are an unknown code ("B20"), unless
        they are a name's model ("A54" of "Samsung A54", "AF1"), a variant ("1B") or a quantity ("x2")."""
        letters, digits = self.tokens[i], self.tokens[i + 1]
        if letters == "x" or stem(letters) in self.index.names or (letters, digits) in self.index.spans:
            return True
        for code in self.index.name_numbers.get(digits, ()):
            if self.index.products[code].name_numbers[digits].letters_before == letters:
                return True
        return False

    def phrase(self, i: int) -> int:
        tokens, tok = self.tokens, self.tokens[i]
        for phrase, kind in _PHRASES.get(tok, ()):
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                if phrase == ("from",) and not self.swap_open:
                    continue
                return self.add(Element(SWAP_FROM if kind == "swapfrom" else KEEP, i, i + len(phrase)))
        nxt = self.tok(i + 1)
        if tok in ("un", "um", "a") and nxt in ("par", "pair"):
            return self.add(Element(QTY, i, i + 2, value="1"))  # a pair of shoes or earrings is one unit
        if tok in _PLURAL_ARTICLES and nxt == "2":
            if self.tok(i + 2) in _COLOUR_WORDS:
                return self.add(Element(EACH, i, i + 3))  # "los dos colores": one of each colour
            return self.add(Element(BOTH, i, i + 2))
        if tok in BOTH_WORDS:
            if nxt in _COLOUR_WORDS:
                return self.add(Element(EACH, i, i + 2))  # "both colors", "ambos colores"
            return self.add(Element(BOTH, i, i + 1))
        if tok in ("de", "of") and nxt in EACH_WORDS:  # "uno de cada", "one of each" (not "una para cada hija")
            if self.out and self.out[-1].kind == ONE:
                self.out.pop()
            return self.add(Element(EACH, i, i + 2))
        return 0

    def number(self, i: int) -> int:
        tok = self.tokens[i]
        if tok[0] == "~":
            return i + 1  # a unit with no number before it
        span = self.variant_span(i)
        if span:
            return span
        digits = self.digit_run(i)
        if digits:
            return digits
        unit = None
        end = i + 1
        nxt = self.tok(i + 1)
        if nxt is not None and nxt[0] == "~":
            unit, end = nxt, i + 2
        after_x = nxt == "x" and not (self.tok(i + 2) or "a")[0].isdigit()
        if after_x:
            end = i + 2
        unit_word = nxt in QTY_UNITS and not self.names_number(tok, nxt)
        if unit_word:
            end = i + 2  # "2 juegos", "3 kits": the unit is not a product
        return self.add(Element(NUM, i, end, value=tok, unit=unit, forced_qty=after_x or unit_word))

    def names_number(self, value: str, after: str | None) -> bool:
        """'Conjunto de 2 piezas': "2 piezas" is the name, not two pieces."""
        key = stem(after) if after else None
        owners = self.index.name_numbers.get(value, ())
        return any(self.index.products[code].name_numbers[value].after == key for code in owners)

    def digit_run(self, i: int) -> int:
        """'dos cero cuatro' = 204 when the catalog has code 204 (single digits spoken one by one)."""
        j = i
        digits = ""
        while j < self.n and len(self.tokens[j]) == 1 and self.tokens[j].isdigit():
            digits += self.tokens[j]
            j += 1
        if j - i < 2 or ("0" not in digits and j - i < 3):
            return 0
        code = self.index.numeric_codes.get(str(int(digits)))
        if code is None:
            return 0
        return self.add(Element(PROD, i, j, products=frozenset({code}), explicit=True))

    def variant_span(self, i: int) -> int:
        index, tokens = self.index, self.tokens
        if tokens[i] not in index.span_starts:
            return 0
        for length in range(min(index.max_span, self.n - i), 0, -1):
            keys = index.spans.get(tuple(tokens[i : i + length]))
            if keys is None:
                continue
            if length == 1 and tokens[i] in GUARDED_SIZE_WORDS and not self.size_guard_ok(i):
                return 0
            return self.add(Element(VAR, i, i + length, keys=keys))
        return 0

    def size_guard_ok(self, i: int) -> bool:
        """'talla ese', 'no gê', '12 em': a letter name is a size after a size word or a number, or at the end."""
        prev, nxt = self.tok(i - 1), self.tok(i + 1)
        if prev in VARIANT_MARKERS or (prev is not None and prev[0].isdigit()):
            return True
        return nxt in (None, SENTENCE_BREAK, ",", "?") and prev is not None and prev not in ARTICLES

    def word(self, i: int) -> int:
        tok, nxt, prev = self.tokens[i], self.tok(i + 1), self.tok(i - 1)
        if tok in ONE_WORDS:
            return self.add(Element(ONE, i, i + 1, value="other" if tok in OTHER_WORDS else "one"))
        if tok in CONNECTORS or tok == ",":
            if tok == "," and (nxt in NEGATORS or nxt == "no") and self.tok(i + 2) in (",", SENTENCE_BREAK):
                return self.add(Element(NEG_PREV, i, i + 3))
            return self.add(Element(AND, i, i + 1))
        if tok in ("no", "nao", "not") and nxt in (",", SENTENCE_BREAK):
            # "la M no, la G": the "no" takes back what came before it; "no, la G", "não, a G" at the start
            # answer an earlier comment and take nothing back
            return self.add(Element(NEG_PREV, i, i + 1))
        if tok in NEGATORS or (tok == "no" and nxt in _SPANISH_NEGATED):
            # Spanish "no" negates ("no la M", "no en M", "no era 9.5"); Portuguese "no" is "in the" ("no M")
            return self.add(Element(NEG, i, i + 1))
        if tok in BENEFICIARY_PREPOSITIONS:
            end = self.beneficiary(i)
            if end:
                return end
        if tok in PERSON_DETERMINERS and prev in CONNECTORS and len(self.out) >= 2 and self.out[-2].kind == BENEF:
            return self.person(i, i)  # "for me and my mom", "pa mí y mi hija"
        if tok.startswith(_SWAP_VERB_PREFIXES):
            self.swap_open = True
            return self.add(Element(SWAP_VERB, i, i + 1))
        if self.swap_open and tok in SWAP_TO_WORDS:
            return self.add(Element(SWAP_TO, i, i + 1))
        info = _word_info(self.index, tok)
        span = self.variant_span(i)
        if span:
            element = self.out[-1]
            if info.products and element.end == i + 1:
                element.name_of = info.products
            return span
        if info.stem_keys is not None and not (tok in GUARDED_SIZE_WORDS and not self.size_guard_ok(i)):
            return self.add(Element(VAR, i, i + 1, keys=info.stem_keys, name_of=info.products or frozenset()))
        if info.products:
            return self.add(Element(PROD, i, i + 1, products=info.products, via_synonym=info.via_synonym))
        return i + 1

    def beneficiary(self, i: int) -> int:
        nxt, after = self.tok(i + 1), self.tok(i + 2)
        # "pa mí" is one beneficiary; "pa mi mamá" is the mother ("mi" + a noun)
        if nxt in SELF_WORDS and not (
            nxt == "mi" and after is not None and after.isalpha() and after not in CONNECTORS
        ):
            return self.add(Element(BENEF, i, i + 2, value="1"))
        if nxt in PERSON_DETERMINERS or nxt == "mi":
            return self.person(i + 1, i)
        return 0

    def person(self, j: int, start: int) -> int:
        """'mi mamá', 'my sis', 'minha irmã': one person; 'mis hijas', 'my bridesmaids': several (count unknown)."""
        noun = self.tok(j + 1)
        if noun is not None and noun[0].isdigit() and (self.tok(j + 2) or "1").isalpha():
            return self.add(Element(BENEF, start, j + 3, value="many"))  # "para mis 4 hijos"
        if noun is None or not noun.isalpha():
            return 0
        plural = self.tokens[j] in ("mis", "sus", "meus", "minhas") or (
            noun.endswith(_PLURAL_PEOPLE_ENDINGS) and noun not in _SINGULAR_EXCEPTIONS and len(noun) > 4
        )
        return self.add(Element(BENEF, start, j + 2, value="many" if plural else "1"))


def scan(tokens: list[str], glued: frozenset[int], index: CatalogIndex, spoken: frozenset[int]) -> list[Element]:
    return _Scanner(tokens, glued, index, spoken).run()
