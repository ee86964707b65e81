"""Forms of the seller's settings pages: they parse and validate input, services do the writing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.models import HoldStart, IntentEngine, Language, PageBinding, PaymentProvider, Platform, Seller
from tenants.services import SellerSettings


class SellerSettingsForm(forms.Form):
    default_language = forms.ChoiceField(label=_("Language of buyer messages"), choices=Language.choices)
    hold_minutes = forms.IntegerField(label=_("Hold minutes"), min_value=1, max_value=7 * 24 * 60)
    hold_starts = forms.ChoiceField(
        label=_("The hold starts"),
        choices=[(HoldStart.CLAIM, _("When the buyer claims")), (HoldStart.LIVE_END, _("When the live ends"))],
    )
    max_units_per_claim = forms.IntegerField(label=_("Most units per comment"), min_value=1, max_value=1000)
    max_units_per_live = forms.IntegerField(label=_("Most units per buyer per live"), min_value=1, max_value=10000)
    intent_engine = forms.ChoiceField(
        label=_("Comment engine"),
        choices=[(IntentEngine.LOCAL, _("Local")), (IntentEngine.LOCAL_OPENAI, _("Local + OpenAI when unsure"))],
    )
    answer_questions = forms.BooleanField(label=_("Answer price and stock questions automatically"), required=False)
    payment_provider = forms.ChoiceField(
        label=_("Payments"),
        choices=[(PaymentProvider.LOCAL, _("Test checkout (no real money)")), (PaymentProvider.STRIPE, "Stripe")],
    )
    stripe_account_id = forms.RegexField(
        label=_("Stripe connected account"), regex=r"^(acct_[A-Za-z0-9]+)?$", required=False, max_length=64
    )

    @classmethod
    def for_seller(cls, seller: Seller, data: Any = None) -> SellerSettingsForm:
        return cls(data=data, initial={name: getattr(seller, name) for name in cls.base_fields})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("payment_provider") == PaymentProvider.STRIPE and not cleaned.get("stripe_account_id"):
            self.add_error("stripe_account_id", _("Connect a Stripe account (acct_…) to take payments with Stripe."))
        return cleaned

    def to_settings(self) -> SellerSettings:
        data = self.cleaned_data
        return SellerSettings(
            default_language=data["default_language"],
            hold_minutes=data["hold_minutes"],
            hold_starts=data["hold_starts"],
            max_units_per_claim=data["max_units_per_claim"],
            max_units_per_live=data["max_units_per_live"],
            intent_engine=data["intent_engine"],
            answer_questions=data["answer_questions"],
            payment_provider=data["payment_provider"],
            stripe_account_id=data["stripe_account_id"] or "",
        )


class PageConnectionForm(forms.Form):
    platform = forms.ChoiceField(label=_("Platform"), choices=Platform.choices)
    external_id = forms.RegexField(label=_("Page or account id"), regex=r"^\d{1,64}$", max_length=64)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    token = forms.CharField(
        label=_("Page access token"), required=False, widget=forms.PasswordInput(render_value=False), max_length=2000
    )


def page_binding_choices(bindings: list[PageBinding]) -> list[tuple[int, str]]:
    return [(b.pk, f"{b.get_platform_display()} · {b.name or b.external_id}") for b in bindings]
