"""Word shapes of Spanish and Portuguese (and English plurals): one key per lemma.

`stem` folds number, gender, diminutives and augmentatives to the same key, so the catalog's "rosado" answers to
"rosadita", "rosaditas", "rosada"; "preto" to "pretinha"; "chico" to "chiquita"; "grande" to "grandotas";
"chocolate" to "chocolatico"; "jarro" to "jarrito"; "onça" to "oncinha". Both sides (catalog words and comment
words) are stemmed, so the key only has to be consistent, not a real word.

`near_keys` gives the keys one letter away, so a catalog word still finds its typo ("grnde", "leggins").
"""

from __future__ import annotations

# Longest first. After one of these the stem gets its spelling back: chiqu-ita -> chic, amigu-ito -> amig.
_DIMINUTIVES = (
    "ininhos", "ininhas", "ininho", "ininha",
    "ecitos", "ecitas", "ecito", "ecita",
    "zinhos", "zinhas", "zinho", "zinha",
    "citos", "citas", "cito", "cita",
    "inhos", "inhas", "inho", "inha",
    "itos", "itas", "ito", "ita",
    "icos", "icas", "ico", "ica",
    "illos", "illas", "illo", "illa",
    "otes", "otas", "ote", "ota",
)  # fmt: skip
_VOWELS = "aeo"
_PLURAL_ES_AFTER = frozenset("lrnsdzj")

_STEMS: dict[str, str] = {}


def stem(word: str) -> str:
    found = _STEMS.get(word)
    if found is None:
        if len(_STEMS) > 100_000:
            _STEMS.clear()
        found = _STEMS[word] = _stem(word)
    return found


def _stem(word: str) -> str:
    if not word.isalpha():
        return word
    word = _singular(word)
    word = _strip_diminutive(word)
    if len(word) > 3 and word[-1] in _VOWELS:
        word = word[:-1]
    return word


def _singular(word: str) -> str:
    n = len(word)
    if n > 4 and word.endswith("ies"):
        return word[:-3] + "y"  # bodies -> body
    if n > 4 and word.endswith("es") and word[-3] in _PLURAL_ES_AFTER:
        word = word[:-2]  # azules, grises, marrones, colores
        return word[:-1] if word.endswith("is") and len(word) > 3 else word  # grises -> gris -> gri, as "gris"
    if n > 3 and word.endswith("ns"):
        return word[:-2] + "m"  # pt moletons -> moletom
    if n > 4 and word.endswith("oes"):
        return word[:-3] + "ao"  # pt -oes -> -ao
    if n > 3 and word[-1] == "s" and word[-2] != "s":
        return word[:-1]
    return word


def _strip_diminutive(word: str) -> str:
    for suffix in _DIMINUTIVES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            if base.endswith("qu"):
                base = base[:-2] + "c"
            elif base.endswith("gu"):
                base = base[:-1]
            return base
    return word


def near_keys(key: str) -> set[str]:
    """The key and every key one deletion away that keeps the first letter: a catalog word indexed by these
    keys is found from a comment word missing one of its letters ("grnde"); a comment word's own deletions find
    a catalog word with one letter fewer ("leggins" -> "legging" is the other way round, hence both)."""
    keys = {key}
    if len(key) >= 4:
        keys.update(key[:i] + key[i + 1 :] for i in range(1, len(key)))
    return keys
