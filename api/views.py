"""The owner's API keys page (/settings/api-keys/): create a key (its secret shown once, on the answer to the
create), see which exist and when each was last used, revoke one."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from api.models import ApiKey
from api.services import ApiKeyError, api_key_create, api_key_revoke
from tenants.views import owner_required


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    scope = forms.ChoiceField(
        label=gettext_lazy("Access"),
        choices=[
            (ApiKey.Scope.READ, gettext_lazy("Read only")),
            (ApiKey.Scope.WRITE, gettext_lazy("Read and write")),
        ],
    )


@owner_required
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST if request.POST.get("action") == "create" else None)
    new_key = ""
    if request.POST.get("action") == "revoke":
        if api_key_revoke(api_key_id=int(request.POST.get("api_key_id") or 0)):
            messages.success(request, _("API key revoked: it no longer opens the API."))
        return redirect("api_keys")
    if form.is_bound and form.is_valid():
        try:
            created = api_key_create(
                name=form.cleaned_data["name"], scope=form.cleaned_data["scope"], created_by=request.user.get_username()
            )
        except ApiKeyError as exc:
            form.add_error(None, str(exc))
        else:
            new_key = created.plaintext
            form = ApiKeyForm()
    return render(
        request,
        "api/api_keys.html",
        {"form": form, "new_key": new_key, "keys": ApiKey.objects.all()},
    )
