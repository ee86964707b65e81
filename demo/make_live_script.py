"""Write demo/live.jsonl: a scripted live of a Mexican boutique (the demo catalog) for simulate_live.

Deterministic (fixed seed). About 320 comments in Spanish with some Portuguese and English, at a live's pace
with bursts when a product goes on camera: claims in many forms, a product that sells out with a waitlist,
cancellations, questions and chatter.

usage: python demo/make_live_script.py [OUT]
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

CHATTER = [
    "holaaa ya llegué 💕",
    "saludos desde Monterrey",
    "❤️❤️❤️",
    "qué bonita!!",
    "buenas noches chicas",
    "@maria_fer mira esto",
    "😍😍",
    "me encanta tu live",
    "hola desde Lima 🇵🇪",
    "jajaja",
    "ay qué lindo",
    "olá do Brasil!",
    "hi from Texas",
    "ya compartí el live",
    "👏👏👏",
    "saludos a todas",
]
QUESTIONS = [
    "precio?",
    "cuánto cuesta?",
    "hay talla XG?",
    "¿la tienes en negro?",
    "hacen envíos a Guadalajara?",
    "qué medidas tiene la M?",
    "de qué tela es?",
    "aceptan transferencia?",
    "quanto custa?",
    "is it true to size?",
]
SIZED_CLAIMS = [
    "mía en {v}",
    "yo en {v}",
    "la quiero en {v}",
    "me la llevo en {v}",
    "apártame una {v} porfa",
    "yo 1 {v} 🙏",
    "kierooo en {v}",
    "{code} {v}",
    "quiero la {code} en {v}",
    "#{code} talla {v}",
    "eu quero tam {v}",
    "I'll take one in {v}",
    "mine in {v}!",
    "sold {code} {v}",
]
BARE_CLAIMS = ["mío!", "mía", "yo!!", "me lo llevo", "lo quiero", "eu quero", "mine!", "yo quiero uno"]
CANCELS = ["ya no la quiero, perdón", "cancela la mía porfa", "mejor no, cancelar", "cancelo, lo siento"]
NAMES = [
    "Ana",
    "Bea",
    "Carla",
    "Dani",
    "Elena",
    "Fer",
    "Gaby",
    "Hilda",
    "Iris",
    "Juana",
    "Karla",
    "Lupita",
    "Mariana",
    "Nora",
    "Olga",
    "Paty",
    "Rosa",
    "Sofía",
    "Tere",
    "Vero",
    "Ximena",
    "Yola",
    "Zoe",
    "João",
    "Kim",
]

# (code, variant labels or [] for a single-variant product, seconds on camera, share of claims)
SEGMENTS = [
    ("A10", ["CH", "M", "G", "XG"], 12, 0.45),
    ("A12", ["CH", "M", "G", "XG"], 12, 0.5),
    ("A18", ["M", "G"], 8, 0.7),  # one unit per size: sells out at once, the rest wait
    ("A17", [], 6, 0.5),
    ("A15", ["CH", "M", "G"], 10, 0.45),
    ("A13", ["negro", "beige", "verde"], 10, 0.4),
    ("A16", ["negro", "cafe", "beige"], 8, 0.45),
    ("A11", ["CH", "M", "G"], 8, 0.5),
]


def build(seed: int = 2026) -> list[dict[str, object]]:
    rng = random.Random(seed)
    lines: list[dict[str, object]] = []
    clock = 0
    viewers = [f"psid-{1000 + n}" for n in range(140)]
    claimers: list[str] = []

    def comment(text: str, author: str | None = None) -> None:
        author = author or rng.choice(viewers)
        lines.append({"at_ms": clock, "author": author, "name": NAMES[int(author[5:]) % len(NAMES)], "text": text})

    for _ in range(14):  # the live opens: greetings
        clock += rng.randint(150, 600)
        comment(rng.choice(CHATTER))
    for code, variants, seconds, claim_share in SEGMENTS:
        clock += 800
        lines.append({"at_ms": clock, "featured": code})
        end = clock + seconds * 1000
        burst_end = clock + 1500
        while clock < end:
            in_burst = clock < burst_end
            clock += rng.randint(20, 120) if in_burst else rng.randint(150, 700)
            roll = rng.random()
            if roll < (0.9 if in_burst else claim_share):
                author = rng.choice(viewers)
                if variants:
                    text = rng.choice(SIZED_CLAIMS).format(v=rng.choice(variants), code=code)
                else:
                    text = rng.choice(BARE_CLAIMS)
                comment(text, author)
                claimers.append(author)
            elif roll < claim_share + 0.2:
                comment(rng.choice(QUESTIONS))
            elif roll < claim_share + 0.24 and claimers:
                comment(rng.choice(CANCELS), rng.choice(claimers))
            else:
                comment(rng.choice(CHATTER))
    clock += 1000
    for text in ("gracias por todo!!", "ya pagué 🙌", "hasta la próxima ❤️"):
        clock += rng.randint(300, 800)
        comment(text)
    return lines


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("live.jsonl")
    lines = build()
    out.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    comments = sum("text" in line for line in lines)
    print(f"{out}: {comments} comments over {int(str(lines[-1]['at_ms'])) / 1000:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
