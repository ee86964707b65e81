"""How a comment is phrased, apart from the items it names: a condition on a claim ("si me lo dejas en 300"),
a possessive that claims ("mío", "pa mí"), a judgement of fit ("muy grande para mí"), a request for information
("manda o link do pix"). The local engine's comment (`local_engine._Comment`) builds on it."""

from __future__ import annotations

import re

from livestreams.intent.local.catalog import CatalogIndex
from livestreams.intent.local.morph import stem
from livestreams.intent.local.signals import FILLERS, POSSESSIVE_CLAIMS
from livestreams.intent.local.text import SENTENCE_BREAK
from livestreams.intent.local.vocab import VARIANT_MARKERS, words

_POSSESSIVE_TRIGGERS = POSSESSIVE_CLAIMS | {"mi", "mim", "me"}
_CONDITIONAL_PRONOUNS = frozenset({"me", "te", "lo", "la", "los", "las", "le", "les", "nos", "you", "it", "they"})
_PT_FUTURE_SUBJUNCTIVE = frozenset({"tiver", "for", "vier", "der", "fizer", "puder", "quiser", "tem", "houver"})
# "si puedes apártame la M", "se puder separa a G", "if possible i'll take the M": politeness, not a condition,
# when a claim (or a pause) follows; "si puedes traerla en verde me la llevo" stays a condition.
_POLITE_CONDITIONS = words("puedes puede pueden podes podeis puder puderes possivel posible possible can could")
_NOT_CONDITIONAL_AFTER_SI = frozenset({"o", ",", "|", "?", "porfa", "claro", "senora", "senor", "gracias", "se"})
_CLAIM_VERBS_AFTER_SI = re.compile(
    r"^(?:quiero|kiero|la quiero|lo quiero|me lo llevo|me la llevo|porfa|compro|lo compro|la compro|la llevo|"
    r"lo llevo|me interesa)"
)
_NOT_A_VERB = FILLERS - {"das", "da", "va", "dale", "pega", "separa", "llevo", "take", "want", "quiero", "quero"}
# "muy alto para mí", "too big for me", "grande demais pra mim": a judgement of fit, not a claim.
_FIT_PREPOSITIONS = frozenset({"pa", "para", "pra", "for"})
_TOO_MUCH = words("muy mui demasiado demasiada demasiados demasiadas muito mto demais too tan tao so bastante medio")
_COPULAS = words(
    "ya se son estan es esta quedo quedaron llego llegaron tiene tienen sao estao e eram foi foram were are "
    "is was broke se dañaron"
)
# "manda o link do pix", "pásame tu whatsapp", "send me the link": asking for information, not claiming.
_INFORMATION = words(
    "link links enlace pix chave cuenta conta cbu alias datos dados numero whatsapp wpp foto fotos video videos "
    "info informacion informacao ubicacion direccion endereco detalles detalhes catalogo catalog qr"
)
_BEFORE_OBJECT = words("o a os as el la los las the me mi my tu your su seu sua um uma un una de del do da")


class Phrasing:
    """The token-level questions about a comment's phrasing. `strong` (a claim verb or a possessive claim) is
    set by the subclass once it knows; a condition is looked for only after that."""

    def __init__(self, tokens: list[str], claim_words: set[int], index: CatalogIndex) -> None:
        self.tokens = tokens
        self.claim_words = claim_words
        self.index = index
        self.strong = False
        self._conditional: bool | None = None

    def conditional(self) -> bool:
        """'si me la deja en 300 me la llevo', 'se tiver P eu levo', 'would buy if it came in red': a condition
        on a claim is a question for the seller, not a claim."""
        if self._conditional is None:
            self._conditional = self._find_conditional()
        return self._conditional

    def _find_conditional(self) -> bool:
        tokens = self.tokens
        if "si" not in tokens and "se" not in tokens and "if" not in tokens:
            return False
        for i, tok in enumerate(tokens):
            if tok not in ("si", "se", "if"):
                continue
            j = i + 1
            while j < len(tokens) and tokens[j] in _CONDITIONAL_PRONOUNS:
                j += 1
            nxt = tokens[j] if j < len(tokens) else None
            if nxt is None or not nxt.isalpha():
                continue
            if nxt in _POLITE_CONDITIONS and self.claim_follows(j + 1):
                continue
            if tok == "if":
                return True
            if tok == "se":
                if nxt in _PT_FUTURE_SUBJUNCTIVE or (nxt.endswith("r") and nxt not in FILLERS and j == i + 1):
                    return True
                continue
            if (
                nxt in _NOT_CONDITIONAL_AFTER_SI
                or nxt in _NOT_A_VERB
                or _CLAIM_VERBS_AFTER_SI.match(" ".join(tokens[j:]))
            ):
                continue
            if j + 1 < len(tokens) or self.strong:
                return True
        return False

    def asks_for_information(self) -> bool:
        """Every claim word asks for something that is not a product ("manda o link do pix", "dame tu número")."""
        tokens = self.tokens
        spans = 0
        for i in sorted(self.claim_words):
            if i - 1 in self.claim_words:
                continue
            spans += 1
            k = i
            while k in self.claim_words:
                k += 1
            while k < len(tokens) and tokens[k] in _BEFORE_OBJECT:
                k += 1
            if k >= len(tokens) or tokens[k] not in _INFORMATION:
                return False
        return spans > 0

    def claim_follows(self, start: int) -> bool:
        """A claim word, or a pause before one, comes right after `start` (pronouns skipped)."""
        tokens = self.tokens
        k = start
        while k < len(tokens) and (tokens[k] in _CONDITIONAL_PRONOUNS or tokens[k] == "se"):
            k += 1
        if k < len(tokens) and tokens[k] in (",", SENTENCE_BREAK):
            k += 1
        return k in self.claim_words

    def possessive_claim(self) -> bool:
        """'mio', 'bolsa bege minha', 'pa mi' claim; 'meu pedido', 'pra minha mae', 'para mi hija' do not."""
        tokens = self.tokens
        if _POSSESSIVE_TRIGGERS.isdisjoint(tokens) and "che" not in tokens:
            return False
        for i, tok in enumerate(tokens):
            after_for = tok in ("mi", "mim") and i > 0 and tokens[i - 1] in ("pa", "para", "pra")
            for_me = tok == "me" and i > 0 and tokens[i - 1] == "for"
            guarani = tok == "mbae" and i > 0 and tokens[i - 1] == "che"
            if tok in POSSESSIVE_CLAIMS or after_for or for_me or guarani:
                if tok == "mbae" and not guarani:
                    continue
                if (after_for or for_me) and self.judges_fit(i - 1):
                    continue  # "muy alto para mí", "too big for me", "grande demais pra mim"
                nxt = tokens[i + 1] if i + 1 < len(tokens) else None
                if nxt in _COPULAS and i > 0 and tokens[i - 1] in ("los", "las", "el", "la", "os", "as", "o", "a"):
                    continue  # "los míos ya se dañaron": a statement about one's own things
                if nxt is None or (self.not_a_noun(nxt) and stem(nxt) not in self.index.names):
                    return True  # "mío", "minha!!! tam G"; not "meu gato ia amar"
        return False

    def judges_fit_for_self(self) -> bool:
        tokens = self.tokens
        return any(
            tok in ("mi", "mim", "me") and i >= 1 and tokens[i - 1] in _FIT_PREPOSITIONS and self.judges_fit(i - 1)
            for i, tok in enumerate(tokens)
        )

    def judges_fit(self, preposition: int) -> bool:
        """'muy alto para mí', 'too big for me', 'grande demais pra mim': the words before "para mí" say how
        something fits ("too ..."), not that the viewer takes it."""
        tokens = self.tokens
        before = tokens[preposition - 1] if preposition >= 1 else ""
        two_before = tokens[preposition - 2] if preposition >= 2 else ""
        return before in _TOO_MUCH or (two_before in _TOO_MUCH and before.isalpha())

    def not_a_noun(self, token: str) -> bool:
        index = self.index
        key = stem(token)
        return (
            token in FILLERS
            or token in VARIANT_MARKERS
            or token[0].isdigit()
            or token in (SENTENCE_BREAK, "?", ",")
            or key in index.stem_spans
            or (token,) in index.spans
            or key in index.names
            or key in index.synonyms
        )
