"""Webhook hot-path prefilter: is a comment worth parsing at all?

A few regexes, no catalog, a few microseconds. It must never drop a claim or a cancellation, so it keeps anything
with a digit, a question mark, a size or colour word (any gender or diminutive), a number word, or a
claim/cancel/question word in es/pt/en, short "la roja"-style mentions, and short comments with a word it does
not know (a catalog name: "jarrito chiquito"). What it drops is chatter: hearts and emoji, greetings, praise,
laughter, "@maria mira", and long sentences with none of the words above.
"""

from __future__ import annotations

import re


# Matched on the lower-cased text with accents folded and elongations collapsed ("cancélame", "fucsiaaaa").
def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_CLAIM_WORDS = (
    r"[qk]u?i*e*r+o+s?|qro|mi+[oa]+s?|mine|me+u+s?|minhas?|yo+|eu|for me|p(?:a|ara|ra) mi(?:m|s)?"
    r"|wants?|wanna|need|take|sold|claim\w*|dibs|buy\w*|agreg\w*|add me|sumame|ocup[oa]\w*|regal\w*|dem[e]\w*"
    r"|gimme|give me|dam[e]\w*|me das?|llev[oa]\w*|qued[oa]\w*|apart\w*|apunt\w*|mand[ae]\w*|mbae|quiere\w*|quer"
    r"|separ\w*|reserv\w*|guard\w*|anot\w*|pega|fechado|fecho|dentro|levar|levo|compro|too|tamb[ie]\w*|igual"
    r"|misma|mismo|mesma|mesmo|same|otra|otro|outra|outro|another|una|uno|um|uma|one|solo|only"
)
_CANCEL_WORDS = (
    r"cancel\w*|unclaim\w*|desist\w*|arrepent\w*|arrepient\w*|quit\w*|tira|saca\w*|saque\w*|borr\w*|anula\w*"
    r"|remove|mind|nvm|switch|change|cambi\w*|troc\w*|troqu\w*|errei|equivoc\w*|nao|swap|instead|vez|lugar"
)
_QUESTION_WORDS = (
    r"cuant\w*|precio\w*|price\w*|valor|preco\w*|quant\w*|how|cost\w*|envios?|shipp?\w*|frete|entrega\w*"
    r"|delivery|hay|tien\w*|vien\w*|tem|tens|disponible|available|stock|medidas|material|tela|tecido|colou?rs?"
    r"|colores|cor|cores|pix|nequi|paypal|zelle|tarjeta|cartao|parcela\w*|contraentrega|direct|dm|inbox"
    r"|whatsapp|info|sorteo|sorteio|giveaway|qual|cual|what|when|where|which|does|do you|is it|are they|can i"
    r"|will|volta|muestr\w*|mostr\w*|show|see|again|talla\w*|talle|tam|tamanho|size|si|se|if"
)
# Sizes and colours with every gender, plural and diminutive ending ("branquinha", "rojito", "chiquitas").
_VARIANT_WORDS = (
    r"xs|s|m|l|xl|xxl|xxxl|g|gg|xg|ch|p|pp|small|medium|large|extra|petite|em|eme|ele|ese|ge|gde|med"
    r"|chic\w*|chiqu\w*|median\w*|grand\w*|peque\w*|medio|mini|maior|mayor|menor"
    r"|negr\w*|pret\w*|black|blanc\w*|branc\w*|white|azul\w*|blue|navy|roj\w*|vermelh\w*|red|cafe\w*|marr\w*"
    r"|brown|beige|bege|verd\w*|green|ros[aio]\w*|pink|dorad\w*|dorao|dourad\w*|gold\w*|plat\w*|prat\w*"
    r"|silver|gris\w*|cinz\w*|gr[ae]y|amarill\w*|amarel\w*|yellow|morad\w*|rox\w*|purple|lil[aá]\w*|lilac"
    r"|naranj\w*|laranj\w*|orange|vino\w*|vinho|burgundy|crem\w*|cream|nude|camel|sage|champagne|fucsi\w*"
    r"|celest\w*|chocolat\w*|tan|leopard\w*|onc\w*|bordo|guinda|plomo|turques\w*|coral|hueso|marfil"
)
_NUMBER_WORDS = (
    r"dos|tres|cuatro|quatro|cinco|seis|siete|sete|ocho|oito|nueve|nove|diez|dez|once|onze|doce|doze|trece|treze"
    r"|catorce|catorze|quince|quinze|dieci\w+|deze\w+|dezoito|veint\w*|vinte|treinta|trinta|cuarenta|quarenta"
    r"|cincuenta|cinquenta|cien|ciento|cem|cento|\w+cientos|\w+centos|dois|duas|two|three|four|five|six|seven"
    r"|eight|nine|ten|eleven|twelve|twenty|thirty|forty|hundred|mokoi|mbohapy|irundy|x\d+|par|pares|pair"
)
_ALTERNATIVES = "|".join((_CLAIM_WORDS, _CANCEL_WORDS, _QUESTION_WORDS, _VARIANT_WORDS, _NUMBER_WORDS))


def _split_top_level(alternation: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in alternation:
        depth += (ch == "(") - (ch == ")")
        if ch == "|" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [*parts, current]


def _word_tests(
    alternation: str,
) -> tuple[frozenset[str], dict[str, tuple[str, ...]], dict[str, re.Pattern[str]], re.Pattern[str]]:
    """The alternatives as fast word tests: exact words, prefixes ("cancel\\w*"), a regex for the few that need
    one ("[qk]u?i*e*r+o+s?"), and a regex for the phrases of several words ("for me", "do you")."""
    exact: set[str] = set()
    prefixes: list[str] = []
    shapes: list[str] = []
    phrases: list[str] = []
    for alternative in _split_top_level(alternation):
        if " " in alternative:
            phrases.append(alternative)
        elif re.fullmatch(r"[a-z]+", alternative):
            exact.add(alternative)
        elif re.fullmatch(r"[a-z]+\\w[*+]", alternative):
            prefixes.append(alternative[:-3])
        else:
            shapes.append(alternative)
    by_start: dict[str, list[str]] = {}
    for prefix in prefixes:
        by_start.setdefault(prefix[:2], []).append(prefix)
    shapes_by_letter = {
        letter: re.compile("(?:" + "|".join(shape for shape in shapes if _may_start(shape, letter)) + ")")
        for letter in "abcdefghijklmnopqrstuvwxyz"
    }
    return (
        frozenset(exact),
        {start: tuple(found) for start, found in by_start.items()},
        shapes_by_letter,
        re.compile(r"(?<![a-z])(?:" + "|".join(phrases) + r")(?![a-z])"),
    )


def _may_start(shape: str, letter: str) -> bool:
    """Whether a one-word alternative can start with `letter` (a class or a leading \\w may start with any)."""
    if shape.startswith("\\") or shape.startswith("("):
        return True
    if shape.startswith("["):
        return letter in shape[1 : shape.index("]")]
    return shape[0] == letter


_KEEP_WORDS, _KEEP_PREFIXES, _KEEP_SHAPES, _KEEP_PHRASES = _word_tests(_ALTERNATIVES)
_KEEP_ANYWHERE = re.compile(
    r"[\d?#]"
    # "la roja", "el vestido!", "o cropped": a bare product mention while it is on camera
    r"|^\s*(?:la|el|los|las|o|a|os|as|the|esa|ese|essa|esse|this|that)\s+\S+(?:\s+\S+)?\s*[!.]*\s*$"
    # "me!", "me!!! medium"
    r"|^\s*me\b(?!\s+[a-z])"
)


def _keeps(folded: str, words: list[str]) -> bool:
    """A claim, cancel, question, size, colour or number word (or phrase), a digit, or a bare mention."""
    for word in words:
        if word in _KEEP_WORDS or word.startswith(_KEEP_PREFIXES.get(word[:2], ())):
            return True
        if _KEEP_SHAPES[word[0]].fullmatch(word):
            return True
    return _KEEP_ANYWHERE.search(folded) is not None or _KEEP_PHRASES.search(folded) is not None


# A short comment with a word that is neither chatter nor a known claim word may be a product named by its
# catalog name ("jarrito chiquito", "molcajete gde", "tortillero rosita"): it is kept.
SHORT_COMMENT_WORDS = 6


# Greetings, praise, laughter, thanks and the little words around them: a comment made only of these (after the
# @handles and the "desde Monterrey" are set aside) is chatter. Any other word keeps the comment, so a claim in
# words this module has never seen ("tortillero rosita", "jarrito chiquito") still reaches the engine.
_CHATTER_WORDS = _wordset(
    "a abuela abuelita aca adios afternoon al all alo also am amazing amei amiga amigas amigo amigos amo "
    "amor amore amores and ando animada animadas aqui aquí are as assistindo audio awesome babe baby bacano "
    "bb beautiful bebe beleza bella bellas belleza bello bellos bem bendicion bendiciones bien bienvenida "
    "bienvenidos bless blessings boa boas bom bonita bonitas bonito bonitos brutal buen buena buenas bueno "
    "buenos bye carino cariño chao chau chegando cheguei chevere chica chicas chicos chimba chula chulada "
    "chulo ciao com comadre comadrita comparti compartida compartido compartiendo compartilhado "
    "compartilhando compartilhei compartí con conectada conectado cool cosa cute da de del demais deus dia "
    "dias dios divina divinas divino do e el elegant elegante em emocionada emocionadas emocionado en "
    "encanta encantada encantado encantan encanto era eres es esa esas escucha escuchar ese eso esos "
    "espectacular esposa esposo essa esse esta estan estas este esto estos estoy estupenda estupendo evening "
    "excelente excellent excited fabulosa fabuloso familia fica ficaram ficou fire fofa fofinho fofo fofura "
    "for foto fotos friday fun funny genial gente girls good gorgeous gracias grax great guapa guapas "
    "guapisima guapo gusta gustan gusto gustó guys haha hahaha happy hasta hello here hermana hermanita "
    "hermano hermosa hermosas hermoso hermosos hermosura hey heyy hi hija hijo hoje hola holaa holi holis "
    "hoy hun i im in increible incrible is isso isto it its jaja jajaja jajajaja jeje jejeje jiji jsjs "
    "jsjsjs k ke kk kkk kkkk la ladies las le linda lindas lindisima lindisimo lindo lindos lista listas "
    "listo live lives llegamos llegando llegue lo lol look looking looks los love loved lovely loving luego "
    "madre mama mami mana manita maravilhosa maravilhoso maravillosa maravilloso marido meninas mes mi mija "
    "mijo mira miren morning mucha muchas mucho muchos mui muita muito mulher muy my nada nena nenas nice "
    "night noche noches noite novia novio o obg obrigada obrigado obsessed of oi ola ole olha omg on os "
    "otima otimo pa padre papa para perfect perfecta perfectas perfecto pero por pra preciosa preciosas "
    "precioso preciosos present presente pretty prima primo pronta prontas pronto q que quedaste querida "
    "queridas quincena radiante re ready really reina rs rsrs saludar saludito saludo saludos se see semana "
    "senora senorita sexy share shared sharing sis so son sonido soo sooo stream stunning su super ta "
    "tambien tan tao tarde tardes tb tbm tchau te thank thanks that the these this those thx ti tia tio to "
    "toda todas today todes todo todos tonight too tu tudo ty u uau uauu un vc ve veces veci vecina ven veo "
    "ver verte very vez video viendo vivo voce vos was watching weekend welcome with wow xd y ya yall you "
    "your"
)
_LIKING = re.compile(r"\bme\s+(?:encanta\w*|gusta\w*|late|fascina\w*|mata\w*)", re.IGNORECASE)
_HANDLE = re.compile(r"@\S+(?:\s+[A-ZÁÉÍÓÚÑ][\wáéíóúñ]*)?")
_PLACE = re.compile(r"\b(?:desde|from|de)\s+[A-ZÁÉÍÓÚÑ][\wáéíóúñ]*(?:\s+[A-ZÁÉÍÓÚÑ][\wáéíóúñ]*){0,2}")
_FOLD = str.maketrans("áàâãäéèêëíìîïĩóòôõöúùûüçñ¿", "aaaaaeeeeiiiiiooooouuuucn?", "'’‘`´")
_WORD = re.compile(r"[a-z]+")
_ELONGATION = re.compile(r"([a-z])\1{2,}")
_DEMONSTRATIVES = _wordset("esse essa este esta ese esa isso isto eso esto this that")


def is_candidate(text: str) -> bool:
    """False only for comments that cannot be a claim, a cancellation or a question about products: no claim,
    cancel, question, size or colour word and no number, and either nothing but chatter or a long sentence."""
    folded = text.lower().translate(_FOLD)
    if _ELONGATION.search(folded):
        folded = _ELONGATION.sub(r"\1", folded)
    if _keeps(folded, _WORD.findall(folded)):
        return True
    rest = _LIKING.sub(" ", _PLACE.sub(" ", _HANDLE.sub(" ", text)))
    words = _WORD.findall(_ELONGATION.sub(r"\1", rest.lower().translate(_FOLD)))
    if len(words) == 1 and words[0] in _DEMONSTRATIVES:
        return True  # "esa!": the product on camera
    unknown = [word for word in words if word not in _CHATTER_WORDS]
    return bool(unknown) and len(words) <= SHORT_COMMENT_WORDS
