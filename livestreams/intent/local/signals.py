"""Signals of intent in live-selling comments (Spanish, Portuguese, English, already accent-folded).

Each signal is a family of phrases (a claim, a cancellation, a price question, a conditional offer, spam...);
`scan_signals` finds which families a comment contains in one pass. The engine (local_engine.py) weighs them.
"""

from __future__ import annotations

import re
from typing import Any


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


POSSESSIVE_CLAIMS = _wordset("mio mia mios mias mine meu minha meus minhas mbae")
FILLERS = _wordset(
    "la el lo los las un una uno unos unas o a os as um uma the an de del da do das en em in no na nos nas of on "
    "y e and con com with para pa pra por for x porfa porfavor favor pls plis please plz xfa xf pf porfis porfi "
    "gracias grax obrigada obrigado thanks thx ty talla tallas talle tam tamanho size sz numero num cod codigo "
    "code item esa ese esta este essa esse this that it one same igual misma mismo mesmo mesma tambien tb tbm too "
    "also ya ja ok okay si sim yes dale bueno weno wena va oye hey amiga amigo amor gente nena yo me mi i my eu "
    "meu color colour cor otra otro outra outro another ambos ambas both errei era es e nao not from to que q mis "
    "mio mias meus porfavorcito mana mija bb bebe jaja jajaja jeje kk k lol haha rs kkk sold claim claimed | , / "
    "# ? @ $ % tambem quiero quero kiero qro want take ill llevo me pega separa mine mio mia mios mias minha meus "
    "minhas pls"
)

# --- signals (regexes run on the normalised text) ----------------------------------------------------------------
_W = r"(?<![a-z0-9])"
_E = r"(?![a-z0-9])"


# Imperatives and "me la apartas?", not participles ("vende separado?", "esta reservado?").
_RESERVE_VERBS = (
    r"apart(?:a|as|ame|amela|amelo|amelos|ar|en|o|eme|emela|emelo|enme|ai)|apunt(?:a|e|as|ame|amela|amelo|ar|o)"
    r"|separ(?:a|e|as|ame|a-me|ar|em|o)|reserv(?:a|e|as|ame|amela|amelo|ar|o)"
)


def _words(*patterns: str) -> re.Pattern[str]:
    return re.compile(_W + "(?:" + "|".join(patterns) + ")" + _E)


CLAIM = _words(
    r"qu?i+e+r+o+", r"k+i+e+r+o+", r"qiero", r"quiro", r"kero", r"qu?e+r+o+", r"ke+r+o+", r"qro", r"qero",
    r"me (?:lo|la|los|las) (?:llevo|quedo|apartas?|separas?|guardas?|reservas?|mandas|das|pasas|apuntas)",
    r"me llevo", r"me quedo", r"llevo", r"lo llevo", r"la llevo",
    r"guardame\w*", r"anotame", r"anota",
    r"sold", r"claim", r"claimed", r"claiming", r"i?ll take", r"i will take", r"i take", r"ill get",
    r"i want", r"want", r"wanna", r"i need", r"gimme", r"give me", r"dame", r"me das", r"mandame",
    r"fechado", r"fecho", r"to dentro", r"vou levar", r"levo", r"vou querer", r"pega", r"compro",
    r"yo tambien", r"me too", r"eu tambem", r"quiero uno", r"count me in", r"can i (?:get|have)", r"dibs",
    r"(?:my|mi|minha|mis|minhas) \w+ (?:wants|quiere|quer|quieren|querem)", r"i?ll buy", r"add me",
    r"agrega(?:me|mela|melo)?", r"sumame", r"pode separar",
    r"ocupo", r"regal(?:ame|eme|amela|amelo|enme)", r"me regala(?:s|n)?", r"deme", r"denme", r"demel[ao]s?",
    r"me ve", r"me manda", r"manda(?:me)?", r"vou ficar com", r"fico com", r"eu fico", r"put me down",
    r"me apunto", r"separa(?:me)?", r"reservame", r"i need (?:this|these|it|one|the)", r"need (?:this|these|one)",
    r"dam(?:ela|elo|elas|elos)", r"anotala", r"anotalo", r"bota (?:no meu nome|pra mim)", r"no meu nome",
    r"a mi nombre", r"add (?:it |one |that |this )?to my cart", r"put (?:one|it) in my cart",
    r"i?d like", r"i would like", r"quisiera", r"gostaria", r"cuenta conmigo", r"conta comigo",
)  # fmt: skip
WEAK_CLAIM = _words(r"yo", r"eu", r"yo yo")
RESERVE = _words(_RESERVE_VERBS)
RESERVATION = _words(
    r"guard(?:a|as|ame|amela|amelo)", r"anota\w*",
    r"switch", r"change (?:my|it|to)", r"cambi\w*", r"troc\w*", r"can i (?:get|have)",
)  # fmt: skip
CANCEL = _words(
    r"cancel\w*", r"unclaim\w*", r"desist\w*", r"me arrepenti", r"me arrepiento", r"arrepentid\w*",
    r"changed? my mind", r"never ?mind", r"nvm", r"nao quero", r"ya no (?:\w+ )?(?:quiero|kiero|lo quiero|la quiero)",
    r"(?:al final|mejor|ahora) no (?:\w+ )?quiero", r"no (?:lo |la |los |las )?(?:quiero|kiero)(?! (?:ver|saber))",
    r"quit(?:eme|enme|amelo|amela|emelo|emela)", r"saq(?:ueme|uenme)", r"borr(?:eme|enme|alo|ala)",
    r"dont want", r"do not want", r"no longer want", r"tira (?:o |a )?(?:meu|minha) nome", r"tira meu", r"quitame",
    r"nao (?:quer|quero) mais", r"ya no (?:la |lo |los |las )?(?:voy a )?(?:ocupar|necesito|llevo)",
    r"quita(?:me|la|lo)", r"sacame", r"borra(?:me)?", r"anula\w*", r"remove (?:me|my|the|it|that|this)",
    r"take (?:me |it )?off", r"delete (?:my|the|it)", r"pass on",
    r"retira(?:la|lo|me)?", r"exclui\w*", r"desapart\w*",
)  # fmt: skip
DECLINE = _words(
    r"no me alcanza", r"broke", r"mentira\w*", r"sin (?:plata|dinero|lana|money)", r"sem (?:grana|dinheiro)",
    r"no tengo (?:plata|dinero|lana)", r"quincena", r"espero (?:a|la|el)", r"mejor espero", r"next time",
    r"cant afford", r"nao posso", r"nao tenho (?:grana|dinheiro)", r"no puedo", r"la proxima", r"proxima live",
    r"ya (?:la |lo |los |las )?tengo", r"ja tenho", r"i wish", r"ojala", r"someday", r"si tuviera",
    r"ni regalad\w*", r"queria pero", r"every colou?r", r"all the colou?rs",
    r"todos los colores", r"todas as cores", r"me lo compraria todo", r"maybe later", r"otro dia",
    r"no me gust\w*", r"no me convence\w*", r"nao gostei", r"nao gosto", r"dont like", r"do not like",
    r"ando (?:pelad\w*|quebrad\w*|chiro|lisa|sin \w+)", r"estoy (?:chiro|pelad\w*|quebrad\w*|lisa)", r"sin varo",
    r"no me (?:dan|da) los \w+", r"algun dia", r"no tengo (?:lugar|espacio)", r"nao tenho (?:lugar|espaco)",
    r"me mata si", r"me matan si", r"nem pensar", r"ni (?:loca|loco)", r"no (?:tengo|hay) (?:plata|money|varo)",
    r"till (?:friday|payday)", r"hasta (?:el )?(?:viernes|fin de mes)", r"next (?:payday|week)",
    # wishes, not claims: "ya quiero que llegue mi paquete", "quiero más jaja"
    r"(?:ya )?(?:quiero|quero|kiero) que", r"(?:quiero|quero|want) (?:mas|mais|more)(?! de)",
    r"proxima semana", r"la otra semana", r"despues (?:compro|te escribo)",
)  # fmt: skip
SHOW_AGAIN = _words(
    r"(?:i )?(?:quiero|quero|kiero|want to|wanna|quisiera|gostaria de|i?d like to|would like to)"
    r" (?:ver|see|mirar|olhar)",
    r"volta (?:no|na|o|a|pro|pra)",
    r"muestr\w*", r"mostr\w*", r"show (?:me|us|it|the|again|that)", r"ensena\w*", r"ense[nñ]a",
)  # fmt: skip
KNOW = _words(
    r"(?:i )?(?:quiero|quero|kiero|queria|want to|wanna|wanted to|quisiera|gostaria de|i?d like to|would like to)"
    r" (?:saber|know)",
    r"no se (?:mi|que|cual) talla", r"nao sei (?:meu|qual|o) tamanho", r"what size should", r"que talla me",
    r"qual tamanho (?:me|eu)",
    r"(?:que|cual|qual|what) (?:talla|tamano|tamanho|size|numero|talle) (?:le|me|te|seria|usa|uso|es|pido|pego|compro"
    r"|should|would|do|for)",
)  # fmt: skip
PRICE = _words(
    r"precio\w*", r"price\w*", r"cuanto", r"cuanta", r"quanto", r"valor", r"preco\w*", r"costo", r"cuesta",
    r"cost", r"how much", r"info", r"informacion",
    # offers: "me lo dejas en 200?", "faz por 80?", "would you do 150"
    r"(?:me )?(?:lo |la |los |las )?dej(?:a|as|an|e|es|ás|ame|amela|amelo) en \d+", r"rebaj\w*", r"descuent\w*",
    r"desconto\w*", r"faz por", r"fazer por", r"fica por", r"(?:would|could|can) you do", r"a como",
    r"(?:en|a|por|pra|for) \d{2,} (?:me |te )?(?:l[oa]s? )?(?:llevo|quiero|compro|levo|quero|take)",
)  # fmt: skip
# Self-promotion and scams: links, "follow me", "gana dinero desde tu casa".
SPAM = _words(
    r"~link", r"sigueme\w*", r"siguenos", r"sigam", r"follow (?:me|us|for|my)", r"seguidores", r"followers",
    r"visita mi perfil", r"visit my (?:page|profile)", r"link in (?:my )?bio", r"ganhe", r"gana (?:\d+|dinero|plata)",
    r"gana plata", r"ganar dinero", r"escri(?:beme|bime|benos) al", r"al por mayor", r"vendo", r"revendo",
    r"segue meu", r"meu perfil", r"mi perfil", r"clique aqui", r"click (?:here|aqui)", r"acesse", r"te sigo",
    r"dm me for", r"promo code", r"free (?:followers|money|gift)", r"\d+k followers",
    r"trabaj\w* desde (?:tu |su |la )?casa", r"work(?:ing)? from home", r"trabalh\w* (?:de|em) casa",
    r"ingresos extra", r"renda extra", r"extra income", r"gana\w* (?:\w+ )?(?:\d+ )?(?:diarios|por dia|al dia)",
    r"check my page", r"mira mi perfil", r"olha meu perfil",
)  # fmt: skip
QUESTION_START = re.compile(
    r"^(?:q|que|como|cuando|cuanto|donde|cual|cuales|quien|quienes|hay|tienen|tienes|tiene|viene|vienen|hacen|"
    r"haces|tem|tens|qual|quais|quanto|quando|onde|serve|faz|fazem|vende|vendem|how|what|whats|which|who|when|"
    r"where|does|do|is|are|can|will|could|any|puedo|pueden|posso|aceptan|aceptas|aceitam)(?![a-z0-9])"
)
WHO = _words(r"quien\w*", r"who", r"quem")
ABOUT_SERVICE = _words(
    r"envio\w*", r"shipping", r"ship", r"delivery", r"frete", r"entrega\w*", r"nequi", r"paypal", r"zelle",
    r"pix", r"contraentrega", r"tarjeta", r"cartao", r"parcela\w*", r"direct", r"inbox", r"dm", r"whatsapp",
    r"wpp", r"medidas", r"tela", r"tecido", r"material", r"sorteio", r"sorteo", r"giveaway",
)  # fmt: skip
PRAISE = _words(
    r"me encanta\w*", r"encant\w*", r"bonit\w*", r"hermos\w*", r"precios[ao]s?", r"chul[oa]s?", r"padre",
    r"cute", r"lind[oa]s?", r"amei", r"amo", r"love", r"loved", r"amazing", r"gorgeous", r"beautiful", r"pretty",
    r"guap[oa]s?", r"bell[oa]s?", r"divin[oa]s?", r"maravilh\w*", r"maravill\w*", r"perfect\w*", r"me late",
    r"omg", r"wow", r"adorable", r"regia", r"estupend\w*", r"genial", r"incre[i]ble", r"demais", r"looks",
    r"te queda", r"fica (?:lindo|linda)", r"se ve",
    r"brutal", r"fire", r"is giving", r"giving", r"otro mundo", r"chimba", r"bestia", r"bacano", r"arretad\w*",
    r"massa", r"chido", r"chulada", r"lo maximo", r"full bonito", r"enamorad\w*", r"comodisim\w*", r"calidad",
    r"slay\w*", r"obsessed", r"vixe", r"fofo", r"fofa", r"te quedaria", r"se ven", r"queda (?:divin\w*|bien)",
    r"le queda", r"iporaiterei", r"que linda", r"que lindo", r"qualidade", r"quality", r"so fun", r"dangerous",
    r"fofura", r"fofinh\w*", r"que amor", r"que belleza", r"que hermosura", r"que coisa (?:mais )?linda",
    r"muy buen\w*", r"buenisim\w*", r"que buen\w*", r"muito bo[mn]\w*", r"so good", r"apaixonad\w*",
    r"me tinca", r"genia", r"genio", r"se ven buen\w*", r"re lind\w*", r"barbar\w*", r"espectacular\w*",
    r"que facha", r"precios\w*", r"hermos\w*",
)  # fmt: skip
PAST = _words(
    r"compre", r"comprei", r"me compre", r"bought", r"me llego", r"me llegaron", r"llegaron", r"llego",
    r"chegou", r"chegaram", r"recomend\w*", r"la otra vez", r"last time", r"ultima live", r"semana passada",
    r"live pasada", r"live passada", r"we got", r"got mine", r"ja fiz", r"ya pague", r"ya hice", r"me a llegado",
    r"no me ha llegado", r"waiting on my order", r"meu pedido", r"mi pedido",
    r"ya (?:la |lo |los |las |le |te )?(?:aparte|separe|pague|pedi|transferi|deposite|mande|pase|compre)",
    r"ja (?:separei|paguei|mandei|transferi|comprei|pedi)", r"just sent", r"already (?:paid|sent|ordered)",
    r"paguei", r"ya pague", r"just paid", r"i paid", r"ya te pague", r"deposite", r"transferi",
    r"fiz (?:o |a )?(?:pix|pagamento|deposito|transferencia)", r"mandei (?:o |a )?(?:pix|comprovante)",
    r"hice (?:el |la )?(?:pago|deposito|yape|plin|transferencia)",
    r"comprobante", r"comprovante", r"pantallazo", r"ordered", r"de la otra vez", r"la vez pasada", r"mes passado",
    r"the ones i have", r"i got (?:those|these|mine|them|the)", r"yo (?:tengo|compre)", r"tengo \d+", r"tenes como",
    r"i have (?:one|those|these|it)", r"has \d+ of", r"tiene uno igual\w*", r"tiene (?:\d+|dos) de esas",
    r"semana pasada", r"last week", r"ayer", r"yesterday", r"ja foi", r"ya fue", r"\d+ (?:vezes|veces|times)",
)  # fmt: skip
# The live itself and the audience, not the products: "ya empezó?", "alguien más viendo desde Neza?".
CHATTER = _words(
    r"ya empezo", r"ya comenzo", r"ja comecou", r"ja comecou", r"already started", r"started yet",
    r"se acabo el live", r"acabou a live", r"ya termino", r"alguien mas", r"alguem (?:mais|de|aqui)",
    r"quien mas", r"quem mais", r"anyone (?:else|from|here)", r"who else", r"yall going", r"alguna de ustedes",
    r"compart\w*", r"compartilh\w*", r"shared", r"sharing", r"saludos", r"saludame", r"manda(?:me)? saludos",
    r"que me perdi", r"what did i miss", r"o que (?:eu )?perdi", r"llegue tarde", r"cheguei atrasad\w*",
)  # fmt: skip
INJECTION = _words(
    r"ignor\w*", r"instruc\w*", r"instruction\w*", r"prompt", r"system", r"sistema", r"assistente", r"asistente",
    r"assistant", r"cupom", r"cupon", r"coupon",
)  # fmt: skip


_SIGNALS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("CANCEL", CANCEL),
    ("DECLINE", DECLINE),
    ("SHOW_AGAIN", SHOW_AGAIN),
    ("KNOW", KNOW),
    ("PRICE", PRICE),
    ("SPAM", SPAM),
    ("CHATTER", CHATTER),
    ("PAST", PAST),
    ("RESERVE", RESERVE),
    ("RESERVATION", RESERVATION),
    ("CLAIM", CLAIM),
    ("WHO", WHO),
    ("ABOUT_SERVICE", ABOUT_SERVICE),
    ("PRAISE", PRAISE),
    ("WEAK_CLAIM", WEAK_CLAIM),
    ("INJECTION", INJECTION),
)


def _body(pattern: re.Pattern[str]) -> str:
    """The alternatives of a signal, without the word boundaries and the group around them."""
    body = pattern.pattern[len(_W) : -len(_E)]
    return body[3:-1] if body.startswith("(?:") and body.endswith(")") else body


def _alternatives() -> list[tuple[str, str, frozenset[str] | None]]:
    """Every signal's alternatives, in order: (signal, regex, the two-character starts a match can have)."""
    return [
        (name, alternative, starts(alternative))
        for name, pattern in _SIGNALS
        for alternative in _split_alternatives(_body(pattern))
    ]


def starts(pattern: str, n: int = 2) -> frozenset[str] | None:
    """The first `n` characters a match of `pattern` can have (shorter: the match can end there), or None when
    that cannot be told (a class like \\w)."""
    try:
        from re import _constants as c  # type: ignore[attr-defined]
        from re import _parser as parser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - Python < 3.11
        return None
    found = _expand(list(parser.parse(pattern)), n, c)
    return frozenset(found) if found is not None else None


def _expand(items: list[Any], n: int, c: Any) -> set[str] | None:
    out = {""}
    for op, arg in items:
        todo = {p for p in out if len(p) < n}
        if not todo:
            return out
        more = _expand_item(op, arg, n, c)
        if more is None:
            return None
        out = {p for p in out if len(p) >= n} | {(p + e)[:n] for p in todo for e in more}
    return out


def _expand_item(op: Any, arg: Any, n: int, c: Any) -> set[str] | None:
    if op is c.LITERAL:
        return {chr(arg)}
    if op is c.IN:
        chars: set[str] = set()
        for kind, value in arg:
            if kind is c.LITERAL:
                chars.add(chr(value))
            elif kind is c.RANGE:
                chars.update(chr(x) for x in range(value[0], value[1] + 1))
            else:
                return None
        return chars
    if op is c.SUBPATTERN:
        return _expand(list(arg[-1]), n, c)
    if op is c.BRANCH:
        union: set[str] = set()
        for branch in arg[1]:
            found = _expand(list(branch), n, c)
            if found is None:
                return None
            union |= found
        return union
    if op in (c.MAX_REPEAT, c.MIN_REPEAT):
        low, high, sub = arg
        once = _expand(list(sub), n, c)
        if once is None:
            return None
        repeated = set(once)
        if high is c.MAXREPEAT or high >= 2:
            repeated |= {(a + b)[:n] for a in once for b in once if len(a) < n}
        if low == 0:
            repeated.add("")
        return repeated
    if op is c.AT:
        return {""}
    return None


def _can_start(found: frozenset[str] | None, key: str) -> bool:
    """Whether a match with one of these starts can begin a token whose first two characters (a space after a
    one-letter token) are `key`."""
    if found is None:
        return True
    for start in found:
        if len(start) >= 2:
            if start[:2] == key:
                return True
        elif key.startswith(start) and (len(start) == len(key) or not key[len(start)].isalnum()):
            return True
    return False


_SCANNERS: dict[str, re.Pattern[str] | None] = {}


def _scanner_for(token: str) -> re.Pattern[str] | None:
    """The regex holding only the signals that can start with the token's first two characters, built the first
    time those two characters are seen.

    Matches do not overlap, so the order settles shared words: "quiero ver" is SHOW_AGAIN (not a claim),
    "me encanta" is PRAISE (not the weak claim "me"), "ya no quiero" is CANCEL.
    """
    key = (token + " ")[:2]
    try:
        return _SCANNERS[key]
    except KeyError:
        pass
    groups: dict[str, list[str]] = {}
    for name, alternative, found in _ALTERNATIVES:
        if _can_start(found, key):
            groups.setdefault(name, []).append(alternative)
    body = "|".join(f"(?P<{name}>{'|'.join(alts)})" for name, alts in groups.items())
    scanner = re.compile("(?:" + body + ")" + _E) if groups else None
    if len(_SCANNERS) < 5000:
        _SCANNERS[key] = scanner
    return scanner


def _split_alternatives(body: str) -> list[str]:
    """Top-level alternatives of a non-capturing group body (the `|` not nested in parentheses)."""
    parts, depth, current = [], 0, []
    escaped = False
    for ch in body:
        if escaped:
            current.append(ch)
            escaped = False
            continue
        if ch == "\\":
            escaped = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


_ANY = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def first_chars(pattern: str) -> frozenset[str]:
    """Characters a match of `pattern` can start with (all of them when unsure)."""
    try:
        from re import _constants as c  # type: ignore[attr-defined]
        from re import _parser as parser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - Python < 3.11
        return _ANY
    found, nullable = _firsts(parser.parse(pattern), c)
    return _ANY if nullable or found is None else frozenset(found)


def _firsts(items: object, c: object) -> tuple[set[str] | None, bool]:
    chars: set[str] = set()
    for op, arg in items:  # type: ignore[attr-defined]
        if op is c.LITERAL:  # type: ignore[attr-defined]
            chars.add(chr(arg))
            return chars, False
        if op is c.IN:  # type: ignore[attr-defined]
            for kind, value in arg:
                if kind is c.LITERAL:  # type: ignore[attr-defined]
                    chars.add(chr(value))
                elif kind is c.RANGE:  # type: ignore[attr-defined]
                    chars.update(chr(x) for x in range(value[0], value[1] + 1))
                else:
                    return None, False
            return chars, False
        if op is c.SUBPATTERN:  # type: ignore[attr-defined]
            sub, nullable = _firsts(arg[-1], c)
        elif op is c.BRANCH:  # type: ignore[attr-defined]
            sub, nullable = set(), False
            for branch in arg[1]:
                found, branch_nullable = _firsts(branch, c)
                if found is None:
                    return None, False
                sub |= found
                nullable |= branch_nullable
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT):  # type: ignore[attr-defined]
            sub, nullable = _firsts(arg[2], c)
            nullable = nullable or arg[0] == 0
        else:
            return None, False
        if sub is None:
            return None, False
        chars |= sub
        if not nullable:
            return chars, False
    return chars, True


_ALTERNATIVES = _alternatives()
_CLAIM_SIGNALS = frozenset({"CLAIM", "RESERVE", "RESERVATION", "WEAK_CLAIM"})


def scan_signals(tokens: list[str]) -> tuple[str, set[str], set[int], set[int]]:
    """The tokens joined by spaces, the names of the signals in them, and the positions of claim words and of
    praise words (so praise that is a product's own name, "Love Spell", does not count as praise).

    One pass, trying a match only at token starts and only with the signals that can start with that letter.
    """
    joined = " ".join(tokens)
    found: set[str] = set()
    claim_words: set[int] = set()
    praise_words: set[int] = set()
    pos = end = 0
    for i, tok in enumerate(tokens):
        if pos >= end:
            scanner = _scanner_for(tok)
            if scanner is not None:
                match = scanner.match(joined, pos)
                if match is not None and match.lastgroup:
                    found.add(match.lastgroup)
                    end = match.end()
                    if match.lastgroup in _CLAIM_SIGNALS:
                        claim_words.update(range(i, i + joined.count(" ", pos, end) + 1))
                    elif match.lastgroup == "PRAISE":
                        praise_words.update(range(i, i + joined.count(" ", pos, end) + 1))
        pos += len(tok) + 1
    return joined, found, claim_words, praise_words
