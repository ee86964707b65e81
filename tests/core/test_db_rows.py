"""config.db_rows: the SQL reads, inserts and round trips the pipeline's batches use instead of querysets. Each
must give what the ORM gives (the same instances, the same conversions), against the real PostgreSQL."""

from __future__ import annotations

from django.db import connection

from config.db_rows import columns, insert_new, one_round_trip, select_models, select_models_later
from livestreams.models import Comment, LiveSession
from payments.models import Buyer
from tenants.models import Seller
from tests.factories import make_comment, make_live

COMMENT_WITH_LIVE = (
    f"SELECT {columns(Comment, 'c')}, {columns(LiveSession, 'l')}"
    f" FROM {Comment._meta.db_table} c LEFT JOIN {LiveSession._meta.db_table} l ON l.id = c.live_session_id"
    " WHERE c.id = ANY(%s) ORDER BY c.id"
)


def test_select_models_builds_the_instances_the_orm_reads_converted_alike(in_seller_a: Seller) -> None:
    live = make_live()
    comment = make_comment(live=live, external_id="c-1")
    Comment.objects.filter(pk=comment.pk).update(parse_result={"items": [{"code": "A12", "qty": 2}], "engine": "local"})
    by_orm = Comment.objects.select_related("live_session").get(pk=comment.pk)

    [(read, its_live)] = select_models(COMMENT_WITH_LIVE, [[comment.pk]], [Comment, LiveSession])

    assert isinstance(read, Comment) and isinstance(its_live, LiveSession)
    assert read._state.adding is False and read._state.db == connection.alias
    for field in Comment._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(by_orm, field.attname), field.name
    assert read.parse_result == {"items": [{"code": "A12", "qty": 2}], "engine": "local"}  # JSON decoded
    assert by_orm.live_session is not None
    assert its_live.pk == live.pk and its_live.started_at == by_orm.live_session.started_at


def test_a_left_join_that_found_nothing_gives_none_not_an_empty_instance(in_seller_a: Seller) -> None:
    message = make_comment(live=make_live(), external_id="m-1")
    Comment.objects.filter(pk=message.pk).update(live_session=None)

    [(read, its_live)] = select_models(COMMENT_WITH_LIVE, [[message.pk]], [Comment, LiveSession])

    assert isinstance(read, Comment) and read.live_session_id is None
    assert its_live is None


def test_insert_new_inserts_in_one_statement_and_skips_rows_already_stored(in_seller_a: Seller) -> None:
    Buyer.objects.create(platform="facebook", platform_user_id="psid-1", name="Ana")
    rows = [
        Buyer(platform="facebook", platform_user_id="psid-1", name="Ana again"),
        Buyer(platform="facebook", platform_user_id="psid-2", name="Bea"),
        Buyer(platform="instagram", platform_user_id="psid-1", name="Ana on Instagram"),
    ]

    inserted = insert_new(rows, key=("platform", "platform_user_id"))

    assert set(inserted) == {("facebook", "psid-2"), ("instagram", "psid-1")}
    assert rows[0].pk is None and rows[0]._state.adding is True  # stored before: left alone
    assert [rows[1].pk, rows[2].pk] == [inserted[("facebook", "psid-2")], inserted[("instagram", "psid-1")]]
    assert Buyer.objects.get(platform="facebook", platform_user_id="psid-1").name == "Ana"
    assert Buyer.objects.get(pk=rows[1].pk).created_at is not None  # auto_now_add prepared as the ORM does
    assert insert_new([], key=("platform",)) == {}


def test_statements_in_one_round_trip_run_in_order_and_see_each_other(in_seller_a: Seller) -> None:
    live = make_live()
    comment = make_comment(live=live, external_id="c-2")

    with one_round_trip():
        moved = connection.cursor()
        moved.execute(f"UPDATE {Comment._meta.db_table} SET text = 'quiero 2' WHERE id = %s", [comment.pk])
        read = select_models_later(COMMENT_WITH_LIVE, [[comment.pk]], [Comment, LiveSession])
        [(after, _)] = read()

    assert moved.rowcount == 1
    assert isinstance(after, Comment) and after.text == "quiero 2"  # the read saw the update sent before it
