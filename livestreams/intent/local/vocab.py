"""General vocabulary of live-selling comments in Spanish, Portuguese and English (accent-folded, lower case).

Only words of the languages live here (sizes, colours, letter names, function words); everything about one
seller is derived from its catalog in `catalog.py`. Words are matched through `morph.stem`, so a colour listed
once ("negro") also stands for "negra", "negritas", "negrito".
"""

from __future__ import annotations


def words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- sizes -------------------------------------------------------------------------------------------------------
# Letter sizes of every ladder (S/M/L, CH/M/G, P/M/G/GG, plus sizes) on one scale. Forms are token tuples as the
# tokenizer writes them ("2X" -> ("2", "x")).
SIZE_RUNGS = ("XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL", "4XL", "1X")
SIZE_FORMS: dict[tuple[str, ...], str] = {}
for _rung, _forms in {
    "XXS": "xxs|xxch|xpp",
    "XS": "xs|xch|pp|extra small|extra chica|extra chico|extra pequena|extra pequeno|xsmall|x small|ech",
    "S": "s|ch|p|small|peq|sml|ese|pe",
    "M": "m|med|md|medium|medio|eme|mediano|mediana|em",
    "L": "l|g|lg|large|gde|grde|ele|ge",
    "XL": "xl|xg|gg|extra large|extra grande|xlarge|x large|xlg|equis ele|ge ge|gege|extragrande",
    "XXL": "xxl|xxg|exg|xgg|ggg|xx l|xx large|2x",
    "XXXL": "xxxl|xxxg|xxx l|3x",
    "4XL": "xxxxl|4x",
    "1X": "1x",
}.items():
    for _form in _forms.split("|"):
        SIZE_FORMS[tuple(_form.split())] = _rung
# Size letters spoken as letter names that are also everyday words ("ese vestido", "pe"): a size only after a
# size word ("talla ese", "no gê") or at the end of the comment.
GUARDED_SIZE_WORDS = words("ese pe ge em")
# Ladder words: a size on a letter ladder ("grande" = L / G) or a rank among a product's other variants
# ("la grande" of 250ml / 500ml is the 500ml). Matched by stem, so "chiquita", "grandotas", "pequenininho" work.
LADDER_WORDS: dict[str, str] = {
    "chico": "small", "chica": "small", "pequeno": "small", "pequena": "small", "small": "small",
    "little": "small", "mini": "small", "peq": "small", "smaller": "small", "smallest": "small",
    "mediano": "medium", "mediana": "medium", "medium": "medium", "medio": "medium", "med": "medium",
    "grande": "large", "large": "large", "big": "large", "bigger": "large", "biggest": "large",
    "largest": "large", "larger": "large", "gde": "large", "grde": "large", "maior": "large", "mayor": "large",
    "menor": "small", "pequenito": "small",
}  # fmt: skip
LADDER_RUNG = {"small": "S", "medium": "M", "large": "L"}

# --- colours -----------------------------------------------------------------------------------------------------
# A product label in a class answers to every word of its class when it is the product's only label there.
COLOUR_CLASSES: dict[str, tuple[str, ...]] = {
    "black": ("negro", "preto", "black", "blk"),
    "white": ("blanco", "branco", "white"),
    "red": ("rojo", "vermelho", "red", "colorado", "encarnado"),
    "blue": ("azul", "blue"),
    "navy": ("navy", "marino", "marinho", "azul marino", "azul marinho", "azul escuro", "azul oscuro", "dark blue"),
    "lightblue": ("celeste", "azul claro", "light blue", "baby blue", "azul cielo", "azul bebe"),
    "grey": ("gris", "cinza", "cinzento", "grey", "gray", "plomo"),
    "brown": ("cafe", "marron", "marrom", "brown", "castano"),
    "beige": ("beige", "bege", "crudo", "arena", "areia", "sand", "khaki", "caqui", "kaki"),
    "green": ("verde", "green"),
    "pink": ("rosa", "rosado", "pink"),
    "fuchsia": ("fucsia", "fuchsia", "magenta"),
    "gold": ("dorado", "dourado", "gold", "golden", "oro", "ouro"),
    "silver": ("plateado", "prateado", "silver", "plata", "prata"),
    "yellow": ("amarillo", "amarelo", "yellow"),
    "purple": ("morado", "roxo", "purple", "violeta", "violet", "lila", "lilac", "lilas", "lavanda", "lavender"),
    "orange": ("naranja", "laranja", "orange"),
    "wine": ("vino", "vinotinto", "vinho", "burgundy", "guinda", "bordo", "borgona", "marsala", "wine", "tinto"),
    "cream": ("crema", "creme", "cream", "marfil", "hueso", "ivory", "off white"),
    "nude": ("nude", "piel", "skin"),
    "turquoise": ("turquesa", "turquoise", "aqua", "aguamarina"),
    "leopard": ("leopardo", "leopard", "animal print", "onca", "cheetah", "jaguar"),
    "blonde": ("rubio", "rubia", "loiro", "loira", "blonde", "blond"),
    "clear": ("transparente", "transparent", "clear"),
    "chocolate": ("chocolate",),
}
# Shades a seller may list under a fancy name: the plain colour word still finds them when the product has no
# label of the plain colour itself ("the green one" -> "sage", "algo rojo" -> "vinotinto").
SHADE_FAMILY: dict[str, str] = {
    "sage": "green", "oliva": "green", "olive": "green", "militar": "green", "menta": "green", "mint": "green",
    "esmeralda": "green", "emerald": "green", "jade": "green", "limao": "green", "lima": "green",
    "camel": "brown", "tan": "brown", "caramelo": "brown", "cognac": "brown", "chocolate": "brown",
    "canela": "brown", "cinnamon": "brown", "mocha": "brown", "moka": "brown",
    "champagne": "beige", "champan": "beige", "nude": "beige", "arena": "beige", "areia": "beige",
    "vinotinto": "red", "burgundy": "red", "vinho": "red", "vino": "red", "guinda": "red", "coral": "red",
    "cereza": "red", "cherry": "red", "rubi": "red", "ruby": "red",
    "navy": "blue", "marino": "blue", "marinho": "blue", "turquesa": "blue", "celeste": "blue", "denim": "blue",
    "rey": "blue", "royal": "blue", "cobalto": "blue",
    "fucsia": "pink", "fuchsia": "pink", "magenta": "pink", "palo": "pink",
    "lila": "purple", "lilac": "purple", "lavanda": "purple", "lavender": "purple",
    "crema": "white", "cream": "white", "hueso": "white", "off": "white", "marfil": "white", "ivory": "white",
    "perla": "white", "pearl": "white",
    "mostaza": "yellow", "mostarda": "yellow", "mustard": "yellow",
    "plomo": "grey", "grafito": "grey", "charcoal": "grey", "fog": "grey", "topo": "grey", "vison": "grey",
    "melange": "grey", "humo": "grey",
    "habano": "brown", "suela": "brown", "tostado": "brown", "cuero": "brown", "cafe": "brown", "moro": "brown",
    "natural": "beige", "tiza": "white", "hielo": "white",
}  # fmt: skip

# --- product nouns across languages ------------------------------------------------------------------------------
# A product named "Aretes de filigrana" answers to "earrings"; "Crossbody bag" to "bolsa". Matched by stem.
NOUN_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("arete", "aro", "pendiente", "earring", "brinco", "argolla", "hoop", "zarcillo", "candonga"),
    ("collar", "colar", "necklace", "gargantilla", "choker", "cadena", "corrente", "chain"),
    ("pulsera", "pulseira", "bracelet", "brazalete", "esclava"),
    ("anillo", "anel", "ring", "sortija"),
    ("bolsa", "bolso", "cartera", "bag", "purse", "handbag", "bolsinha", "carteira"),
    ("mochila", "backpack"),
    ("vestido", "dress"),
    ("falda", "saia", "skirt", "pollera"),
    ("blusa", "blouse"),
    ("chaqueta", "chamarra", "campera", "jaqueta", "jacket", "casaca", "chompa"),
    ("pantalon", "calca", "pants", "trousers"),
    ("jean", "mezclilla", "vaquero"),
    ("zapato", "sapato", "shoe"),
    ("zapatilla", "tenis", "sneaker", "trainer"),
    ("sandalia", "sandal"),
    ("chancla", "chinelo", "chola", "ojota", "flip", "slide", "chinela"),
    ("botin", "bota", "boot", "bootie"),
    ("gorro", "gorra", "beanie", "touca", "cap", "bone"),
    ("polera", "camiseta", "remera", "playera", "tee", "shirt", "tshirt", "blusinha", "franela"),
    ("sudadera", "poleron", "buzo", "moletom", "sweatshirt", "hoodie"),
    ("media", "calcetin", "meia", "sock"),
    ("lente", "gafa", "oculo", "sunglass", "glass"),
    ("short", "bermuda"),
    ("conjunto", "outfit"),
    ("peluca", "peruca", "wig"),
    ("extension", "extensao", "aplique", "mecha"),
    ("labial", "batom", "lipstick", "pintalabio"),
    ("pestana", "cilio", "lash", "eyelash"),
    ("champu", "shampoo", "xampu"),
    ("sarten", "frigideira", "pan", "skillet"),
    ("olla", "panela"),
    ("toalla", "toalha", "towel"),
    ("sabana", "lencol", "sheet"),
    ("cojin", "almofada", "pillow", "cushion"),
    ("vaso", "copo", "tumbler", "cup", "termo"),
    ("biquini", "bikini"),
    ("traje", "malla", "swimsuit", "maio"),
    ("perfume", "fragancia", "fragrance", "colonia"),
    ("esmalte", "polish"),
    ("maquillaje", "maquiagem", "makeup"),
    ("reloj", "relogio", "watch", "smartwatch"),
    ("audifono", "auricular", "fone", "headphone", "earbud", "headset"),
    ("parlante", "bocina", "altavoz", "speaker", "caixa"),
    ("cargador", "carregador", "charger"),
    ("funda", "carcasa", "capinha", "capa", "case", "forro"),
    ("celular", "telefono", "movil", "phone", "smartphone"),
    ("sombrero", "chapeu", "hat"),
    ("calza", "legging", "licra", "malla"),
    ("sosten", "brasier", "sutia", "bra", "corpino"),
    ("calzon", "calcinha", "panty", "bombacha", "brief"),
    ("botella", "termo", "garrafa", "bottle", "tumbler"),
    ("taza", "caneca", "mug", "xicara"),
    ("mochila", "bag"),
    ("billetera", "monedero", "wallet", "carteira", "cartera"),
    ("cinturon", "cinto", "belt", "correa"),
    ("rinonera", "cangurera", "canguro", "pochete", "fanny"),
    ("bandolera", "morral", "crossbody"),
    ("tarjetero", "cardholder"),
    ("llavero", "keychain", "chaveiro"),
    ("mocasin", "loafer", "mocassim"),
    ("guante", "luva", "glove"),
    ("pijama", "piyama", "pajama", "pyjama"),
    ("vaso", "copo", "glass"),
)

# Words of a product name that say nothing about which product it is.
NAME_STOPWORDS = words(
    "de del la el los las con sin y e the of with and for para da do das dos em en a o un una talla unica unico "
    "tamanho size one tipo estilo com por in on to no na al"
)

# --- letters read aloud ------------------------------------------------------------------------------------------
# "la be cinco", "ká dois", "ce ze cero uno", "dee one": a code is also matched spelled with these letter names.
LETTER_NAMES: dict[str, str] = {
    "a": "a", "be": "b", "bee": "b", "ce": "c", "cee": "c", "de": "d", "dee": "d", "e": "e", "ee": "e",
    "efe": "f", "ef": "f", "ge": "g", "gee": "g", "hache": "h", "aga": "h", "aitch": "h", "i": "i",
    "jota": "j", "jay": "j", "ka": "k", "kay": "k", "ele": "l", "ell": "l", "eme": "m", "em": "m", "ene": "n",
    "en": "n", "o": "o", "oh": "o", "pe": "p", "pee": "p", "cu": "q", "que": "q", "cue": "q", "erre": "r",
    "ere": "r", "ar": "r", "ese": "s", "esse": "s", "ess": "s", "te": "t", "tee": "t", "u": "u", "ve": "v",
    "uve": "v", "vee": "v", "equis": "x", "xis": "x", "ex": "x", "ye": "y", "why": "y", "ipsilon": "y",
    "zeta": "z", "seta": "z", "ze": "z", "zee": "z", "zed": "z",
}  # fmt: skip
LETTER_SPELLINGS: dict[str, tuple[str, ...]] = {}
for _name, _letter in LETTER_NAMES.items():
    LETTER_SPELLINGS[_letter] = (*LETTER_SPELLINGS.get(_letter, (_letter,)), _name)

# --- roles of tokens ---------------------------------------------------------------------------------------------
ARTICLES = words(
    "la el lo los las a o os as the este esta ese esa essa esse esas esos essas esses estas estos this that these "
    "those aquel aquella"
)
CODE_MARKERS = words(
    "# cod codigo code item sold claim claimed del dela dele da do no na numero num nro n producto produto modelo "
    "my mi mis meu minha ref referencia"
)
VARIANT_MARKERS = words("talla tallas talle tam tamanho size sz en em in no na numero color cor colour tono tom")
QTY_UNITS = words(
    "unidades unidad units unit pcs pzs piezas pieza pares par pairs pair pecas peca packs paquetes paquete "
    "pacotes pacote cajas caja veces juegos juego jogos jogo sets set kits kit"
)
AGE_WORDS = words("anos ano years year meses mes months month")  # "6 años" is also a kids' size
NON_ITEM_AFTER_NUMBER = words(
    "% $ semanas semana weeks week dias dia days day horas hora hours hour min minutos mins am "
    "pm k mil off pesos reales reais real soles dolares dollars bucks usd mxn cop clp ars lucas "
    "seguidores followers likes personas people mts metros kilos"
)
PRICE_AFTER_NUMBER = words("mil k pesos reales reais real soles dolares dollars bucks usd mxn cop clp ars lucas gs")
QTY_PREPOSITIONS = words("de del da do of das dos")
ONE_WORDS = words("un una uno um uma one otra otro outra outro another petei")
OTHER_WORDS = words("otra otro outra outro another")
BOTH_WORDS = words("ambos ambas both")
NEGATORS = words("nao not ni")  # Spanish "no" is also Portuguese "in the": see reading.py
CONNECTORS = words("y e and , & + ha tambien tb")
BENEFICIARY_PREPOSITIONS = words("pa para pra pro pros pras for")
SELF_WORDS = words("mi mim me")
PERSON_DETERMINERS = words("mi mis my minha minhas meu meus su sus tu his her our nuestra nuestro")
EACH_WORDS = words("cada each")
KEEP_PHRASES = (
    ("me", "quedo", "con"), ("me", "quedo", "solo", "con"), ("fico", "com"), ("vou", "ficar", "com"),
    ("ill", "keep"), ("i", "keep"), ("keep", "the"), ("me", "quedo", "nomas", "con"),
)  # fmt: skip
SWAP_FROM_PHRASES = (
    ("en", "vez", "de"), ("en", "vez", "del"), ("en", "lugar", "de"), ("en", "lugar", "del"), ("em", "vez", "de"),
    ("em", "vez", "do"), ("em", "vez", "da"), ("em", "lugar", "de"), ("em", "lugar", "do"), ("em", "lugar", "da"),
    ("instead", "of"), ("rather", "than"), ("from",),
)  # fmt: skip
SWAP_TO_WORDS = words("por pelo pela pelos pelas for to para")
