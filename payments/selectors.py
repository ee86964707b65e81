"""Reads on carts and reservations: carts, stock levels and snapshots, waitlist places (an order's trail:
`payments.trail`)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from django.db import connection
from django.db.models import F, Q, Sum, Window
from django.db.models.functions import Coalesce, RowNumber

from config.db_rows import columns, select_models_later
from inventory.models import Product, StockMovement, Variant
from livestreams.models import LiveSession
from payments.models import Buyer, CheckoutSession, Order, Reservation


class StockRow(TypedDict):
    variant_id: int
    code: str
    variant: str
    stock_on_hand: int
    reserved: int
    available: int
    sold: int
    initial: int


class StockLevel(TypedDict):
    variant_id: int
    code: str
    variant: str
    stock_on_hand: int
    reserved: int
    available: int


def stock_levels(*, variant_ids: list[int]) -> list[StockLevel]:
    """What the live dashboard shows of each variant: a cheap read, made for every decided claim (no sold
    units: those sum every sale movement, see `stock_snapshot`)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT v.id, p.code, v.label, v.stock_on_hand, v.reserved FROM {Variant._meta.db_table} v"  # noqa: S608
            f" JOIN {Product._meta.db_table} p ON p.id = v.product_id WHERE v.id = ANY(%s) ORDER BY p.code, v.id",
            [sorted(variant_ids)],
        )
        rows = cursor.fetchall()
    return [
        StockLevel(
            variant_id=pk,
            code=code,
            variant=label,
            stock_on_hand=on_hand,
            reserved=reserved,
            available=on_hand - reserved,
        )
        for pk, code, label, on_hand, reserved in rows
    ]


def stock_snapshot(*, variant_ids: list[int] | None = None) -> list[StockRow]:
    """Per variant: on hand, reserved, available, sold (units taken out of stock by SALE movements) and
    initial = available + reserved + sold, which no claim, release or sale may change."""
    variants = Variant.objects.select_related("product").annotate(
        sold_units=Coalesce(-Sum("movements__on_hand_delta", filter=Q(movements__reason=StockMovement.Reason.SALE)), 0),
        available_units=F("stock_on_hand") - F("reserved"),
    )
    if variant_ids is not None:
        variants = variants.filter(pk__in=variant_ids)
    return [
        StockRow(
            variant_id=v.pk,
            code=v.product.code,
            variant=v.label,
            stock_on_hand=v.stock_on_hand,
            reserved=v.reserved,
            available=v.available_units,
            sold=v.sold_units,
            initial=v.available_units + v.reserved + v.sold_units,
        )
        for v in variants.order_by("product__code", "id")
    ]


def waitlist_positions(*, reservations: list[Reservation]) -> dict[int, int]:
    """`waitlist_position` of each waitlisted reservation given (the others are left out), in one query."""
    waiting = {r.pk for r in reservations if r.status == Reservation.Status.WAITLISTED}
    if not waiting:
        return {}
    ranked = (
        Reservation.objects.filter(
            variant_id__in={r.variant_id for r in reservations if r.pk in waiting},
            status=Reservation.Status.WAITLISTED,
        )
        .annotate(
            place=Window(RowNumber(), partition_by=[F("variant_id")], order_by=[F("created_at").asc(), F("id").asc()])
        )
        .values_list("pk", "place")
    )
    return {pk: place for pk, place in ranked if pk in waiting}


def waitlist_position(*, reservation: Reservation) -> int | None:
    """1-based place of a waitlisted reservation in its variant's line (first come, first served by
    created_at, then id); None when it is not waitlisted."""
    if reservation.status != Reservation.Status.WAITLISTED:
        return None
    return Reservation.objects.filter(
        Q(created_at__lt=reservation.created_at) | Q(created_at=reservation.created_at, pk__lte=reservation.pk),
        variant_id=reservation.variant_id,
        status=Reservation.Status.WAITLISTED,
    ).count()


@dataclass(frozen=True, slots=True)
class CartLine:
    reservation_id: int
    variant_id: int
    product_code: str
    product_name: str
    variant_label: str
    quantity: int
    unit_amount_minor: int
    amount_minor: int
    currency: str
    status: str
    hold_expires_at: datetime | None
    waitlist_position: int | None

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.product_code, self.product_name, self.variant_label) if part)


@dataclass(frozen=True, slots=True)
class Cart:
    """A buyer's cart as the cart page and the checkout see it. Prices come from the catalog, now.

    `version` fingerprints what a payment would cover (the reserved lines, their prices and holds): a
    checkout session made for another version is stale."""

    order_id: int
    token: str
    status: str
    needs_refund: bool
    live_session_id: int
    reserved: tuple[CartLine, ...]
    waitlisted: tuple[CartLine, ...]
    paid: tuple[CartLine, ...]
    total_minor: int
    currency: str
    mixed_currencies: bool
    version: str
    hold_expires_at: datetime | None


def cart_of_order(*, order: Order) -> Cart:
    """The cart of `order`: its reserved, waitlisted and paid reservations (released ones are gone)."""
    return carts_of_orders(orders=[order])[order.pk]


def orders_with_buyer_and_live(*, order_ids: Collection[int]) -> dict[int, Order]:
    """Orders by id with their buyer and live session loaded (one statement; the payments stage reads them for
    every batch)."""
    return orders_with_buyer_and_live_later(order_ids=order_ids)()


def orders_with_buyer_and_live_later(*, order_ids: Collection[int]) -> Callable[[], dict[int, Order]]:
    """`orders_with_buyer_and_live`: the statement is sent now, the orders are read when the result is called."""
    if not order_ids:
        return dict
    read = select_models_later(
        f"SELECT {columns(Order, 'o')}, {columns(Buyer, 'b')}, {columns(LiveSession, 'l')}"  # noqa: S608 (ours)
        f" FROM {Order._meta.db_table} o JOIN {Buyer._meta.db_table} b ON b.id = o.buyer_id"
        f" JOIN {LiveSession._meta.db_table} l ON l.id = o.live_session_id WHERE o.id = ANY(%s)",
        [sorted(order_ids)],
        [Order, Buyer, LiveSession],
    )

    def orders() -> dict[int, Order]:
        found: dict[int, Order] = {}
        for order, buyer, live in read():
            assert isinstance(order, Order) and isinstance(buyer, Buyer) and isinstance(live, LiveSession)
            order.buyer, order.live_session = buyer, live
            found[order.pk] = order
        return found

    return orders


def carts_of_orders(*, orders: list[Order]) -> dict[int, Cart]:
    """`cart_of_order` for many orders in two statements (their reservations with variant and product, then
    the waitlist places)."""
    return carts_of_orders_later(order_ids=[order.pk for order in orders])(orders)


def carts_of_orders_later(*, order_ids: Collection[int]) -> Callable[[list[Order]], dict[int, Cart]]:
    """`carts_of_orders`: the reservations' statement is sent now; calling the result with the orders reads
    them (and the waitlist places, when some are waitlisted)."""
    if not order_ids:
        return lambda orders: {}
    read = select_models_later(
        f"SELECT {columns(Reservation, 'r')}, {columns(Variant, 'v')}, {columns(Product, 'p')}"  # noqa: S608 (ours)
        f" FROM {Reservation._meta.db_table} r JOIN {Variant._meta.db_table} v ON v.id = r.variant_id"
        f" JOIN {Product._meta.db_table} p ON p.id = v.product_id"
        " WHERE r.order_id = ANY(%s) AND r.status = ANY(%s) ORDER BY r.created_at, r.id",
        [
            sorted(order_ids),
            [Reservation.Status.RESERVED, Reservation.Status.WAITLISTED, Reservation.Status.PAID],
        ],
        [Reservation, Variant, Product],
    )

    def carts(orders: list[Order]) -> dict[int, Cart]:
        rows: list[Reservation] = []
        for row, variant, product in read():
            assert isinstance(row, Reservation) and isinstance(variant, Variant) and isinstance(product, Product)
            variant.product = product
            row.variant = variant
            rows.append(row)
        positions = waitlist_positions(reservations=rows)
        lines_of: dict[int, list[CartLine]] = defaultdict(list)
        for row in rows:
            lines_of[row.order_id].append(_cart_line(row, position=positions.get(row.pk)))
        return {order.pk: _cart(order, lines_of[order.pk]) for order in orders}

    return carts


def _cart(order: Order, lines: list[CartLine]) -> Cart:
    reserved = tuple(line for line in lines if line.status == Reservation.Status.RESERVED)
    currencies = {line.currency for line in reserved}
    holds = [line.hold_expires_at for line in reserved if line.hold_expires_at is not None]
    fingerprint = "|".join(
        f"{line.reservation_id}:{line.variant_id}:{line.quantity}:{line.unit_amount_minor}:{line.currency}:"
        f"{line.hold_expires_at.isoformat() if line.hold_expires_at else ''}"
        for line in sorted(reserved, key=lambda line: line.reservation_id)
    )
    return Cart(
        order_id=order.pk,
        token=order.token,
        status=order.status,
        needs_refund=order.needs_refund,
        live_session_id=order.live_session_id,
        reserved=reserved,
        waitlisted=tuple(line for line in lines if line.status == Reservation.Status.WAITLISTED),
        paid=tuple(line for line in lines if line.status == Reservation.Status.PAID),
        total_minor=sum(line.amount_minor for line in reserved),
        currency=min(currencies) if currencies else "",
        mixed_currencies=len(currencies) > 1,
        version=hashlib.sha256(fingerprint.encode()).hexdigest()[:32],
        hold_expires_at=min(holds) if holds else None,
    )


def cart_by_token(*, token: str) -> Cart | None:
    """The cart behind a cart link, or None for a token that names no order of this seller."""
    order = Order.objects.filter(token=token).first()
    return None if order is None else cart_of_order(order=order)


def _cart_line(row: Reservation, *, position: int | None) -> CartLine:
    product = row.variant.product
    return CartLine(
        reservation_id=row.pk,
        variant_id=row.variant_id,
        product_code=product.code,
        product_name=product.name,
        variant_label=row.variant.label,
        quantity=row.quantity,
        unit_amount_minor=product.price_minor,
        amount_minor=product.price_minor * row.quantity,
        currency=product.currency,
        status=row.status,
        hold_expires_at=row.hold_expires_at if row.status == Reservation.Status.RESERVED else None,
        waitlist_position=position,
    )


def local_checkout_session(*, order_id: int, external_id: str) -> CheckoutSession | None:
    """A built-in test checkout of this order, or None."""
    return CheckoutSession.objects.filter(order_id=order_id, provider="local", external_id=external_id).first()
