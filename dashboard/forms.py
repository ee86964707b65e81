"""Forms of the lives pages and the control room (input parsing only)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class LiveScheduleForm(forms.Form):
    page = forms.TypedChoiceField(label=_("Page"), coerce=int)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    platform_video_id = forms.RegexField(
        label=_("Live video id (optional)"),
        regex=r"^\d{1,64}$",
        required=False,
        help_text=_("When Meta reports this video live, the live starts by itself."),
    )
    hold_minutes = forms.IntegerField(
        label=_("Hold minutes for this live"), min_value=1, max_value=7 * 24 * 60, required=False
    )

    def __init__(self, *args: object, pages: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["page"].choices = pages  # type: ignore[attr-defined]


class LiveConnectForm(forms.Form):
    platform_video_id = forms.RegexField(label=_("Live video id"), regex=r"^\d{1,64}$")


class FeatureForm(forms.Form):
    product_id = forms.IntegerField(required=False)


class ReviewResolveForm(forms.Form):
    variant_id = forms.IntegerField(label=_("Product and variant"))
    quantity = forms.IntegerField(label=_("Units"), min_value=1, max_value=1000, initial=1)
