"""The owner's form for the messages buyers receive: one text per message, in one language at a time.

Each text is checked against what messenger.compose fills it with (`texts.template_problems`): a placeholder
the message never gets would reach buyers as "{nombre}", so it is refused with the ones it may use.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from messenger import texts

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise

# In the order a buyer meets them; what each is called on the page and when it is sent.
MESSAGE_KINDS: list[tuple[str, StrPromise, StrPromise]] = [
    (
        "claim",
        pgettext_lazy("message to buyers", "Reserved"),
        gettext_lazy("The first reply to a buyer whose comment reserved something in a live."),
    ),
    (
        "claim_added",
        pgettext_lazy("message to buyers", "Added to the cart"),
        gettext_lazy("The reply to the same buyer's next claims."),
    ),
    (
        "waitlisted",
        pgettext_lazy("message to buyers", "On the waitlist"),
        gettext_lazy("It is sold out: the buyer is in line for it."),
    ),
    (
        "swapped",
        pgettext_lazy("message to buyers", "Swapped"),
        gettext_lazy(
            "The buyer changed a size or colour in a comment (“la L en vez de la M”) and the new one is reserved."
        ),
    ),
    (
        "swapped_waitlisted",
        pgettext_lazy("message to buyers", "Swapped to the waitlist"),
        gettext_lazy("The buyer changed a size or colour, the old one was released and the new one is sold out."),
    ),
    (
        "claim_rejected",
        pgettext_lazy("message to buyers", "Not reserved"),
        gettext_lazy("The claim could not be reserved (unknown code or size, or over the limit)."),
    ),
    (
        "promoted",
        pgettext_lazy("message to buyers", "Their turn on the waitlist"),
        gettext_lazy("A unit freed up and went to the buyer first in line."),
    ),
    (
        "cancelled",
        pgettext_lazy("message to buyers", "Cancelled"),
        gettext_lazy("The buyer cancelled in a comment (“cancela la 15”)."),
    ),
    (
        "expired",
        pgettext_lazy("message to buyers", "Hold expired"),
        gettext_lazy("The time to pay ran out and the units were released."),
    ),
    ("paid", pgettext_lazy("message to buyers", "Paid"), gettext_lazy("The payment arrived.")),
    (
        "refund_due",
        pgettext_lazy("message to buyers", "Payment to refund"),
        gettext_lazy(
            "A payment arrived after the hold ended and its units were gone: the order is flagged for a refund."
        ),
    ),
    (
        "question",
        pgettext_lazy("message to buyers", "Price and stock answer"),
        gettext_lazy("The answer to a question about price or stock, when automatic answers are on."),
    ),
    (
        "question_available",
        pgettext_lazy("message to buyers", "Answer: in stock"),
        gettext_lazy("What {availability} says when there is stock."),
    ),
    (
        "question_sold_out",
        pgettext_lazy("message to buyers", "Answer: sold out"),
        gettext_lazy("What {availability} says when it is sold out."),
    ),
    (
        "order_status",
        pgettext_lazy("message to buyers", "Order status"),
        gettext_lazy("The answer to a buyer who asks about their order in Messenger."),
    ),
    (
        "button_pay",
        pgettext_lazy("message to buyers", "“Pay” button"),
        gettext_lazy("The button under the reply on Facebook."),
    ),
    (
        "button_cart",
        pgettext_lazy("message to buyers", "“Cart” button"),
        gettext_lazy("The button under the waitlist reply on Facebook."),
    ),
]
KIND_NAMES = [name for name, _label, _when in MESSAGE_KINDS]

PLACEHOLDER_HELP: dict[str, StrPromise] = {
    "items": gettext_lazy("what was claimed, e.g. A12 M x2"),
    "minutes": gettext_lazy("minutes left to pay"),
    "seller": gettext_lazy("your shop's name"),
    "buyer": gettext_lazy("the buyer's name"),
    "position": gettext_lazy("place in the waitlist"),
    "why": gettext_lazy("why it was not reserved"),
    "cart_url": gettext_lazy("the link to the cart"),
    "replaced": gettext_lazy("what the buyer gave up, e.g. A12 S x2"),
    "product": gettext_lazy("code and name of the product"),
    "price": gettext_lazy("its price"),
    "availability": gettext_lazy("one of the two answers below: in stock or sold out"),
    "variants": gettext_lazy("sizes or colours in stock"),
    "status": gettext_lazy("the order's state, e.g. paid"),
}


def normalized(text: str) -> str:
    """Browsers post CRLF line ends; buyers' messages use LF. Outer whitespace never reaches a buyer."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def problem_messages(*, name: str, text: str) -> list[str]:
    """The seller's words for what is wrong with `text` as template `name` (empty: it can be saved)."""
    allowed = " ".join("{" + p + "}" for p in texts.TEMPLATE_PLACEHOLDERS[name])
    messages = []
    for problem in texts.template_problems(name=name, text=text):
        field = "{" + problem.placeholder + "}"
        if problem.kind == "unknown" and allowed:
            messages.append(
                _("%(field)s is not a placeholder of this message. It may use: %(allowed)s.")
                % {"field": field, "allowed": allowed}
            )
        elif problem.kind == "unknown":
            messages.append(
                _("%(field)s is not a placeholder of this message, which takes none: write the words themselves.")
                % {"field": field}
            )
        elif problem.kind == "format":
            messages.append(
                _("Write the placeholder as {%(name)s}, without “:” or “!”.") % {"name": problem.placeholder}
            )
        elif problem.kind == "brace":
            messages.append(_("A brace is not closed: placeholders look like {items}; write {{ or }} for a brace."))
        elif problem.kind == "too_long":
            messages.append(_("Keep this text to at most %(limit)s characters.") % {"limit": problem.limit})
    return messages


@dataclass(frozen=True)
class MessageRow:
    """One message on the page: its field, what it may use, and how it reads with example values."""

    name: str
    label: str
    when: str
    field: forms.BoundField
    placeholders: list[tuple[str, str]]
    default: str
    custom: bool
    preview: str | None
    problems: list[str]  # what is wrong with the text shown (a saved text can predate today's checks)


class MessageTemplatesForm(forms.Form):
    """The texts of every message in `language`. Fields are named after the templates (`claim`, `paid`…)."""

    language = forms.ChoiceField(choices=[(code, code) for code in texts.LANGUAGES], widget=forms.HiddenInput)

    def __init__(self, *args: Any, overrides: Mapping[str, Any], language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.message_language = language
        self.overrides = overrides
        self.fields["language"].initial = language
        for name, label, when in MESSAGE_KINDS:
            limit = texts.template_limit(name)
            self.fields[name] = forms.CharField(
                label=label,
                help_text=when,
                required=False,
                strip=False,
                # Room for a placeholder's "{" to pass the browser and be explained here, not cut off.
                max_length=limit * 4,
                initial=texts.template_for(name=name, language=language, overrides=overrides),
                widget=forms.Textarea(
                    attrs={"rows": 1 if name in texts.BUTTON_TEMPLATES else 3, "spellcheck": "true", "lang": language}
                ),
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in KIND_NAMES:
            if name not in self.data:
                continue
            for message in problem_messages(name=name, text=normalized(cleaned.get(name) or "")):
                self.add_error(name, message)
        return cleaned

    def changes(self) -> dict[str, str | None]:
        """What to store, for the messages the request carried: None where the text is our default (or empty),
        so a later improvement of our wording reaches this seller too."""
        result: dict[str, str | None] = {}
        for name in KIND_NAMES:
            if name not in self.data:
                continue
            text = normalized(self.cleaned_data.get(name) or "")
            default = texts.DEFAULT_TEMPLATES[name].get(self.message_language, "")
            result[name] = None if not text or text == normalized(default) else text
        return result

    def rows(self, *, examples: Mapping[str, object]) -> Iterator[MessageRow]:
        by_language = {
            name: by_language.get(self.message_language)
            for name, by_language in self.overrides.items()
            if isinstance(by_language, Mapping)
        }
        for name, label, when in MESSAGE_KINDS:
            bound = self[name]
            value = normalized(str(bound.value() or ""))
            yield MessageRow(
                name=name,
                label=str(label),
                when=str(when),
                field=bound,
                placeholders=[("{" + p + "}", str(PLACEHOLDER_HELP[p])) for p in texts.TEMPLATE_PLACEHOLDERS[name]],
                default=texts.DEFAULT_TEMPLATES[name].get(self.message_language, ""),
                custom=bool(by_language.get(name)),
                preview=preview_text(name=name, language=self.message_language, text=value, examples=examples),
                problems=problem_messages(name=name, text=value),
            )


def preview_text(*, name: str, language: str, text: str, examples: Mapping[str, object]) -> str | None:
    """`text` filled with the example values as a buyer would read it; None when it cannot be used as it is."""
    if problem_messages(name=name, text=text):
        return None
    return texts.render(
        name=name,
        language=language,
        overrides={name: {language: text}},
        values=examples,
        limit=texts.template_limit(name),
    )
