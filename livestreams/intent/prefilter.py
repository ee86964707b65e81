"""Webhook hot-path prefilter: is a comment worth parsing at all?

One regex, no catalog, a few microseconds. It must never drop a claim or a cancellation, so it keeps anything
with a digit, a question mark, a size or colour word, a number word, or a claim/cancel/question word in es/pt/en,
plus short "la roja"-style mentions. What it drops is chatter: hearts and emoji, greetings, praise, "@maria mira".
"""

from __future__ import annotations

import re

_CLAIM_WORDS = (
    r"[qk]u?i*e*r+o+s?|qro|m[ií]+[oa]+s?|mine|me+u+s?|minhas?|yo+|eu|for me|p(?:a|ara|ra) m[ií]m?"
    r"|wants?|wanna|need|take|sold|claim\w*|dibs|buy\w*|agreg\w*|add me|sumame"
    r"|gimme|give me|dame|me das?|llev[oa]|quedo|apart\w*|apunt\w*"
    r"|separ\w*|reserv\w*|guard\w*|anot\w*|pega|fechado|fecho|dentro|levar|levo|compro|too|tamb[ié]\w*"
)
_CANCEL_WORDS = (
    r"cancel\w*|unclaim\w*|desist\w*|arrepent\w*|arrepient\w*|qu[ií]t\w*|tira|saca\w*|borra\w*|anula\w*|remove"
    r"|mind|nvm|switch|change|cambi\w*|troc\w*|errei|n[aã]o"
)
_QUESTION_WORDS = (
    r"cu[aá]nt\w*|precio\w*|price\w*|valor|pre[cç]o\w*|quant\w*|how|cost\w*|env[ií]os?|shipp?\w*|frete|entrega\w*"
    r"|delivery|hay|tien\w*|vien\w*|tem|tens|disponible|available|stock|medidas|material|tela|tecido|colou?rs?"
    r"|colores|cor|cores|pix|nequi|paypal|zelle|tarjeta|cart[aã]o|parcela\w*|contraentrega|direct|dm|inbox"
    r"|whatsapp|info|sorteo|sorteio|giveaway|qual|cual|what|when|where|which|does|do you|is it|are they|can i"
    r"|will|volta|muestr\w*|mostr\w*|show|see|again|talla\w*|talle|tam|tamanho|size"
)
_VARIANT_WORDS = (
    r"xs|s|m|l|xl|xxl|g|gg|xg|ch|p|pp|small|medium|large|chic[oa]|median[oa]|grande|peque[nñ][oa]|m[eé]dio"
    r"|extra|petite|em|eme"
    r"|negr[oa]s?|pret[oa]s?|black|blanc[oa]s?|branc[oa]s?|white|azul(?:es)?|blue|navy|roj[oa]s?|vermelh[oa]s?"
    r"|red|caf[eé]|marr[oó]n|marrom|brown|beige|bege|verdes?|green|ros(?:a|as|ad[oa]s?)|pink|dorad[oa]s?|dorao"
    r"|dourad[oa]s?|gold|plata|platead[oa]s?|prata|pratead[oa]s?|silver|gris|cinza|gr[ae]y|amarill[oa]s?"
    r"|amarel[oa]s?|yellow|morad[oa]s?|rox[oa]s?|purple|lila|naranja|laranja|orange|vinotinto|vinho|burgundy"
    r"|crema|creme|cream|nude|camel|sage|champagne"
)
_NUMBER_WORDS = (
    r"dos|tres|tr[eê]s|cuatro|quatro|cinco|seis|siete|sete|ocho|oito|nueve|nove|diez|dez|once|onze|doce|doze"
    r"|veinte|vinte|treinta|trinta|cuarenta|quarenta|cien|ciento|cem|cento|duzentos|dois|duas|two|three|four"
    r"|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|hundred|x\d+"
)
_KEEP = re.compile(
    r"[\d?¿#]"
    r"|(?<![\w'’])(?:"
    + "|".join((_CLAIM_WORDS, _CANCEL_WORDS, _QUESTION_WORDS, _VARIANT_WORDS, _NUMBER_WORDS))
    + r")(?![\w'’])"
    # "la roja", "el vestido!", "o cropped": a bare product mention while it is on camera
    r"|^\s*(?:la|el|los|las|o|a|os|as|the|esa|ese|essa|esse|this|that)\s+\S+(?:\s+\S+)?\s*[!.]*\s*$"
    # "me!", "me!!! medium"
    r"|^\s*me\b(?!\s+[a-záéíóúãõç])"
)


def is_candidate(text: str) -> bool:
    """False only for comments that cannot be a claim, a cancellation or a question about products."""
    return _KEEP.search(text.lower()) is not None
