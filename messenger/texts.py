"""What buyers read: our default wording per template and language, and the seller's own overrides.

A seller overrides a text in `Seller.message_templates[name][lang]`. Placeholders use `{name}` and are
filled from the message's facts: {seller}, {items}, {minutes}, {cart_url}, {position}, {buyer}, {status},
{replaced}, {why}, {product}, {price}, {availability}. An unknown placeholder is left as written and a broken
override (a stray brace) falls back to our default, so a seller's typo never stops a reply.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

LANGUAGES = ("es", "en", "pt")
DEFAULT_LANGUAGE = "es"

# Meta's limits: a button template's text is up to 640 characters, a text message under 2000.
BUTTON_TEXT_MAX = 640
TEXT_MAX = 1999

DEFAULT_TEMPLATES: dict[str, dict[str, str]] = {
    "claim": {
        "es": "Reservado ✅ {items}. Tienes {minutes} min para pagar tu carrito de {seller}.",
        "en": "Reserved ✅ {items}. You have {minutes} min to pay for your {seller} cart.",
        "pt": "Reservado ✅ {items}. Você tem {minutes} min para pagar seu carrinho da {seller}.",
    },
    "claim_added": {
        "es": "Añadido a tu carrito ✅ {items}",
        "en": "Added to your cart ✅ {items}",
        "pt": "Adicionado ao seu carrinho ✅ {items}",
    },
    "waitlisted": {
        "es": "Agotado por ahora 😔 {items}. Estás en lista de espera, lugar {position}. Te avisamos si se libera.",
        "en": "Sold out for now 😔 {items}. You're on the waitlist, place {position}. We'll tell you if it frees up.",
        "pt": "Esgotado por enquanto 😔 {items}. Você está na fila de espera, posição {position}. Avisamos se liberar.",
    },
    "swapped": {
        "es": "Cambio hecho ✅ {replaced} → {items}. Tienes {minutes} min para pagar tu carrito de {seller}.",
        "en": "Swapped ✅ {replaced} → {items}. You have {minutes} min to pay for your {seller} cart.",
        "pt": "Troca feita ✅ {replaced} → {items}. Você tem {minutes} min para pagar seu carrinho da {seller}.",
    },
    "swapped_waitlisted": {
        "es": "Liberamos {replaced}. {items} está agotado por ahora 😔: estás en lista de espera, lugar {position}.",
        "en": "We released {replaced}. {items} is sold out for now 😔: you're on the waitlist, place {position}.",
        "pt": "Liberamos {replaced}. {items} está esgotado por enquanto 😔: você está na fila, posição {position}.",
    },
    "claim_rejected": {
        "es": "No pudimos apartar {items}. {why}",
        "en": "We couldn't reserve {items}. {why}",
        "pt": "Não conseguimos reservar {items}. {why}",
    },
    "promoted": {
        "es": "¡Buenas noticias! Se liberó {items} y es tuyo ✅ Tienes {minutes} min para pagar.",
        "en": "Good news! {items} freed up and it's yours ✅ You have {minutes} min to pay.",
        "pt": "Boa notícia! {items} foi liberado e é seu ✅ Você tem {minutes} min para pagar.",
    },
    "cancelled": {
        "es": "Listo, cancelamos {items}.",
        "en": "Done, we cancelled {items}.",
        "pt": "Pronto, cancelamos {items}.",
    },
    "question": {
        "es": "{product}: {price}. {availability}",
        "en": "{product}: {price}. {availability}",
        "pt": "{product}: {price}. {availability}",
    },
    "question_available": {
        "es": "Disponible: {variants}",
        "en": "Available: {variants}",
        "pt": "Disponível: {variants}",
    },
    "question_sold_out": {
        "es": "Agotado por ahora.",
        "en": "Sold out for now.",
        "pt": "Esgotado por enquanto.",
    },
    "order_status": {
        "es": "Tu pedido en {seller}: {status}.",
        "en": "Your {seller} order: {status}.",
        "pt": "Seu pedido na {seller}: {status}.",
    },
    "paid": {
        "es": "¡Pago recibido! ✅ Gracias por tu compra en {seller}.",
        "en": "Payment received! ✅ Thanks for shopping with {seller}.",
        "pt": "Pagamento recebido! ✅ Obrigado pela compra na {seller}.",
    },
    "expired": {
        "es": "Tu reserva de {items} venció y se liberó. ¡Te esperamos en el próximo live!",
        "en": "Your hold on {items} expired and was released. See you at the next live!",
        "pt": "Sua reserva de {items} expirou e foi liberada. Até o próximo live!",
    },
    "refund_due": {
        "es": "Recibimos tu pago, pero {items} ya no estaba apartado para ti y no pudimos venderlo. "
        "{seller} te devolverá el importe completo.",
        "en": "We received your payment, but {items} was no longer held for you and we could not sell it. "
        "{seller} will refund you in full.",
        "pt": "Recebemos seu pagamento, mas {items} não estava mais reservado para você e não conseguimos vendê-lo. "
        "A {seller} vai devolver o valor integral.",
    },
    "button_pay": {"es": "Pagar ahora", "en": "Pay now", "pt": "Pagar agora"},
    "button_cart": {"es": "Ver mi carrito", "en": "View my cart", "pt": "Ver meu carrinho"},
}

# The placeholders each template is filled with (messenger.compose): any other reaches the buyer as written,
# so the settings page refuses it. The buttons and the sold-out line are filled with nothing.
REPLY_PLACEHOLDERS = ("items", "minutes", "seller", "buyer", "position", "why", "cart_url")
TEMPLATE_PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "claim": REPLY_PLACEHOLDERS,
    "claim_added": REPLY_PLACEHOLDERS,
    "waitlisted": REPLY_PLACEHOLDERS,
    "swapped": (*REPLY_PLACEHOLDERS, "replaced"),
    "swapped_waitlisted": (*REPLY_PLACEHOLDERS, "replaced"),
    "claim_rejected": REPLY_PLACEHOLDERS,
    "promoted": REPLY_PLACEHOLDERS,
    "cancelled": REPLY_PLACEHOLDERS,
    "expired": REPLY_PLACEHOLDERS,
    "paid": REPLY_PLACEHOLDERS,
    "refund_due": REPLY_PLACEHOLDERS,
    "question": ("product", "price", "availability"),
    "question_available": ("variants",),
    "question_sold_out": (),
    "order_status": ("seller", "status"),
    "button_pay": (),
    "button_cart": (),
}
# Messenger's limit for a button's title; the other texts go in a button template (640) or a message.
BUTTON_TITLE_MAX = 20
BUTTON_TEMPLATES = frozenset({"button_pay", "button_cart"})


@dataclass(frozen=True)
class TemplateProblem:
    """Why a seller's text cannot be used. `kind`: "unknown" (a placeholder this template is not filled with,
    in `placeholder`), "format" (a placeholder with a format spec or conversion, "{items!r}"), "brace" (a
    brace that is not closed or not opened), "too_long" (over `limit` characters)."""

    kind: str
    placeholder: str = ""
    limit: int = 0


def template_limit(name: str) -> int:
    return BUTTON_TITLE_MAX if name in BUTTON_TEMPLATES else BUTTON_TEXT_MAX


def template_problems(*, name: str, text: str) -> list[TemplateProblem]:
    """Everything that stops `text` from being the seller's wording of template `name`; empty when it is fine.
    Doubled braces ({{ and }}) are literal braces, as in str.format."""
    problems: list[TemplateProblem] = []
    allowed = set(TEMPLATE_PLACEHOLDERS[name])
    try:
        fields = [(field, spec, conversion) for _literal, field, spec, conversion in string.Formatter().parse(text)]
    except ValueError:
        problems.append(TemplateProblem("brace"))
        fields = []
    seen: set[str] = set()
    for field, spec, conversion in fields:
        if field is None or field in seen:
            continue
        seen.add(field)
        if field not in allowed:
            problems.append(TemplateProblem("unknown", placeholder=field))
        elif spec or conversion:
            problems.append(TemplateProblem("format", placeholder=field))
    limit = template_limit(name)
    if len(text) > limit:
        problems.append(TemplateProblem("too_long", limit=limit))
    return problems


ORDER_STATUS_WORDS: dict[str, dict[str, str]] = {
    "open": {"es": "pendiente de pago", "en": "waiting for payment", "pt": "aguardando pagamento"},
    "awaiting_payment": {"es": "pendiente de pago", "en": "waiting for payment", "pt": "aguardando pagamento"},
    "paid": {"es": "pagado ✅", "en": "paid ✅", "pt": "pago ✅"},
    "expired": {"es": "vencido", "en": "expired", "pt": "expirado"},
    "cancelled": {"es": "cancelado", "en": "cancelled", "pt": "cancelado"},
}


# Why a claim got nothing (payments' rejected_reasons), as a hint the buyer can act on.
REJECTION_HINTS: dict[str, dict[str, str]] = {
    "limit": {
        "es": "Llegaste al máximo de piezas por persona.",
        "en": "You reached the limit of items per person.",
        "pt": "Você atingiu o limite de peças por pessoa.",
    },
    "check_code": {
        "es": "Revisa el código y la talla y vuelve a intentarlo.",
        "en": "Check the product code and size and try again.",
        "pt": "Confira o código e o tamanho e tente de novo.",
    },
}
CHECK_CODE_REASONS = frozenset({"unknown_product", "unknown_variant", "variant_required", "invalid_quantity"})


def rejection_hint(*, reasons: tuple[str, ...], language: str) -> str:
    if "limit" in reasons:
        hint = REJECTION_HINTS["limit"]
    elif not reasons or CHECK_CODE_REASONS & set(reasons):
        hint = REJECTION_HINTS["check_code"]
    else:
        return ""
    return hint.get(language, hint[DEFAULT_LANGUAGE])


class _KeepUnknown(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def language_of(value: object, *, fallback: str = DEFAULT_LANGUAGE) -> str:
    """A supported language code from a seller setting or a detail field ("es-MX" → "es")."""
    code = str(value or "").strip().lower()[:2]
    return code if code in LANGUAGES else fallback


def template_for(*, name: str, language: str, overrides: object) -> str:
    """The seller's wording when set (and non-empty), else our default in that language."""
    if isinstance(overrides, Mapping):
        by_language = overrides.get(name)
        if isinstance(by_language, Mapping):
            custom = by_language.get(language)
            if isinstance(custom, str) and custom.strip():
                return custom
    defaults = DEFAULT_TEMPLATES[name]
    return defaults.get(language) or defaults[DEFAULT_LANGUAGE]


def render(*, name: str, language: str, overrides: object, values: Mapping[str, object], limit: int = TEXT_MAX) -> str:
    """Fill a template; a malformed override falls back to the default text of the same template."""
    values = _KeepUnknown({key: "" if value is None else value for key, value in values.items()})
    template = template_for(name=name, language=language, overrides=overrides)
    try:
        text = string.Formatter().vformat(template, (), values)
    except (ValueError, IndexError, AttributeError, KeyError):
        logger.warning("message template %s/%s of the seller is malformed; using the default", name, language)
        text = string.Formatter().vformat(template_for(name=name, language=language, overrides=None), (), values)
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def order_status_words(*, status: str, language: str) -> str:
    words = ORDER_STATUS_WORDS.get(status)
    return words.get(language, words[DEFAULT_LANGUAGE]) if words else status
