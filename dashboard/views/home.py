"""The dashboard's home page: the live on air, if any, with its totals."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dashboard.selectors import live_on_air, live_totals
from tenants.views import seller_of, staff_required


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    seller = seller_of(request)
    live = live_on_air()
    totals = live_totals(live_id=live.pk, currency=seller.currency) if live else None
    return render(request, "dashboard/home.html", {"live": live, "totals": totals, "seller": seller})
