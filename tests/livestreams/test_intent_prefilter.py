"""The webhook prefilter keeps every claim, cancellation and product question of every labelled set (whatever
words the catalog uses), and drops a good part of the chatter."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from livestreams.intent.evaluation import known_sets
from livestreams.intent.prefilter import is_candidate


def labelled(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def labelled_sets() -> list[Path]:
    return [labelled_set.dataset for labelled_set in known_sets()]


@pytest.mark.parametrize("path", labelled_sets(), ids=lambda p: p.parent.name + "/" + p.name)
def test_every_purchase_and_cancel_comment_is_kept(path: Path) -> None:
    rows = [r for r in labelled(path) if r["label"]["intent"] in ("purchase", "cancel")]
    dropped = [r["text"] for r in rows if not is_candidate(r["text"])]
    assert dropped == []


@pytest.mark.parametrize("path", labelled_sets(), ids=lambda p: p.parent.name + "/" + p.name)
def test_every_product_question_is_kept(path: Path) -> None:
    rows = [r for r in labelled(path) if r["label"]["intent"] == "question"]
    assert [r["text"] for r in rows if not is_candidate(r["text"])] == []


def test_a_good_part_of_the_chatter_is_dropped() -> None:
    # Keeping every claim comes first (a short comment with an unknown word may be a catalog name, so it is
    # kept); what is dropped is the chatter made only of greetings, praise and laughter, or long sentences
    # with no claim, cancel, question, size, colour or number word.
    others = [r for path in labelled_sets() for r in labelled(path) if r["label"]["intent"] == "other"]
    dropped = sum(not is_candidate(r["text"]) for r in others)
    assert dropped / len(others) >= 0.25


@pytest.mark.parametrize(
    "text",
    [
        "mío",
        "yo",
        "kieroooo",
        "eu quero a 15",
        "la 15",
        "#A12",
        "sold 12",
        "mine!",
        "me! XL",
        "la roja",
        "branco!!",
        "the green one",
        "ya no la quiero",
        "changed my mind",
        "quítame los aros",
        "twelve large",
        "hay talla M de la 15?",
        "cuanto cuesta",
        "tem no P",
        "price pls",
        "jarrito chiquito",
        "tortillero rosita",
        "base tono chocolatico",
        "cancélame el molcajete, mi esposo ya compró uno",
        "ocupo uno pa la boda de mi prima",
        "dieciocho",
        "saída branquinha",
        "fucsiaaaa",
    ],
)
def test_claims_cancels_and_questions_are_candidates(text: str) -> None:
    assert is_candidate(text)


@pytest.mark.parametrize(
    "text",
    [
        "❤️❤️❤️",
        "👏👏👏👏",
        "holaaa ya llegue 💕",
        "Buenas noches desde Monterrey, saludos guapa",
        "que hermosa estas hoy",
        "lindo demais",
        "so cute 😍",
        "@maria mira",
        "@Jéssica Souza olha esse pra vc",
        "compartido 💕",
        "hello from San Antonio 💕",
        "it's gorgeous",
        "I'm obsessed",
    ],
)
def test_chatter_is_noise(text: str) -> None:
    assert not is_candidate(text)


def test_prefilter_is_fast_enough_for_the_webhook() -> None:
    texts = ["holaaa ya llegue 💕", "quiero 2 talla M de la A12", "que hermosa estas hoy", "sold 12 em"] * 250
    start = time.perf_counter()
    for text in texts:
        is_candidate(text)
    per_call = (time.perf_counter() - start) / len(texts)
    assert per_call < 50e-6  # typically 2-5 us; the bound only catches a catastrophic regex
