from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from hooks.models import EVENT_TYPES


class EndpointForm(forms.Form):
    url = forms.URLField(
        label=gettext_lazy("Address (URL)"),
        max_length=2000,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        choices=[(name, name) for name in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
    )
