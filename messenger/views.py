"""The owner's page for the messages buyers receive (part of Settings on the seller's host)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from messenger import texts
from messenger.forms import (
    KIND_NAMES,
    PLACEHOLDER_HELP,
    MessageTemplatesForm,
    normalized,
    preview_text,
    problem_messages,
)
from payments.templatetags.payments_tags import money
from tenants.models import Language, Seller
from tenants.services import seller_message_templates_update
from tenants.views import owner_required, seller_of

EXAMPLE_PRODUCT = {"es": "A12 Blusa satinada", "pt": "A12 Blusa de cetim", "en": "A12 Satin blouse"}
EXAMPLE_VARIANTS = "CH, M, G"


def example_values(*, request: HttpRequest, seller: Seller, language: str) -> dict[str, object]:
    """What the preview fills the placeholders with: a buyer Ana who claimed two A12 in size M
    (after two in size S, for a swap)."""
    return {
        "items": "A12 M x2",
        "replaced": "A12 S x2",
        "minutes": seller.hold_minutes,
        "seller": seller.name,
        "buyer": "Ana",
        "position": 3,
        "why": texts.rejection_hint(reasons=("unknown_variant",), language=language),
        "cart_url": request.build_absolute_uri("/c/Xk29fQ/"),
        "product": EXAMPLE_PRODUCT[language],
        "price": money(29900, seller.currency),
        "availability": texts.render(
            name="question_available",
            language=language,
            overrides=seller.message_templates,
            values={"variants": EXAMPLE_VARIANTS},
        ),
        "variants": EXAMPLE_VARIANTS,
        "status": texts.order_status_words(status="awaiting_payment", language=language),
    }


def _language(request: HttpRequest, seller: Seller) -> str:
    fallback = texts.language_of(seller.default_language)
    return texts.language_of(request.POST.get("language") or request.GET.get("language"), fallback=fallback)


@owner_required
@require_http_methods(["GET", "POST"])
def message_templates_edit(request: HttpRequest) -> HttpResponse:
    """GET: every message in one language (`?language=`), each with its placeholders and a preview. POST: save
    the texts posted; `reset=<message>` also puts that message back to our wording."""
    seller = seller_of(request)
    language = _language(request, seller)
    data = None
    if request.method == "POST":
        data = request.POST.copy()
        reset = data.get("reset", "")
        if reset in KIND_NAMES:
            data[reset] = texts.DEFAULT_TEMPLATES[reset].get(language, "")
    form = MessageTemplatesForm(data, overrides=seller.message_templates or {}, language=language)
    if data is not None and form.is_valid():
        seller_message_templates_update(seller=seller, language=language, texts=form.changes())
        messages.success(request, _("Messages saved."))
        return redirect(f"{reverse('message_templates')}?language={language}")
    context: dict[str, Any] = {
        "form": form,
        "rows": list(form.rows(examples=example_values(request=request, seller=seller, language=language))),
        "language": language,
        "languages": [(code, str(label)) for code, label in Language.choices],
        "default_language": texts.language_of(seller.default_language),
        "glossary": [("{" + name + "}", str(help_text)) for name, help_text in PLACEHOLDER_HELP.items()],
    }
    return render(request, "messenger/message_templates.html", context)


@owner_required
@require_http_methods(["POST"])
def message_template_preview(request: HttpRequest) -> HttpResponse:
    """The preview of one message as typed (htmx, while the owner writes): the text filled with the example
    values, or what is wrong with it."""
    seller = seller_of(request)
    language = _language(request, seller)
    name = request.POST.get("kind", "")
    if name not in KIND_NAMES:
        return HttpResponseBadRequest(_("Unknown message."))
    text = normalized(request.POST.get(name, ""))
    context = {
        "preview": preview_text(
            name=name,
            language=language,
            text=text,
            examples=example_values(request=request, seller=seller, language=language),
        ),
        "problems": problem_messages(name=name, text=text),
    }
    return render(request, "messenger/_template_preview.html", context)
