"""The Graph client against the fake Send API: results and Meta's errors mapped to our exceptions."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from messenger import graph_client
from messenger.graph_client import (
    GraphAlreadyRepliedError,
    GraphError,
    GraphRetryableError,
    GraphTerminalError,
    GraphTokenError,
    Recipient,
    SendResult,
)
from tests.fakes.graph_server import FakeGraph


@pytest.fixture
def fake(settings: pytest.FixtureRequest) -> Iterator[FakeGraph]:
    with FakeGraph() as graph:
        graph.add_page("777", token="tok")
        settings.META_GRAPH_URL = graph.base_url  # type: ignore[attr-defined]
        yield graph


def send(recipient: Recipient, *, token: str = "tok", timeout: float = 2.0) -> SendResult:
    async def call() -> SendResult:
        async with graph_client.new_async_client(max_connections=2) as client:
            return await graph_client.send_message(
                client,
                page_id="777",
                access_token=token,
                recipient=recipient,
                message={"text": "hola"},
                timeout_seconds=timeout,
            )

    return asyncio.run(call())


def error_of(recipient: Recipient, **kwargs: object) -> GraphError:
    with pytest.raises(GraphError) as caught:
        send(recipient, **kwargs)  # type: ignore[arg-type]
    return caught.value


def test_it_returns_metas_message_id(fake: FakeGraph) -> None:
    result = send(Recipient(comment_id="c1"))

    assert result.message_id == fake.delivered[0].message_id
    assert fake.delivered[0].recipient == {"comment_id": "c1"}


def test_a_second_private_reply_is_already_replied(fake: FakeGraph) -> None:
    send(Recipient(comment_id="c1"))

    assert isinstance(error_of(Recipient(comment_id="c1")), GraphAlreadyRepliedError)


def test_a_message_outside_the_window_is_terminal(fake: FakeGraph) -> None:
    error = error_of(Recipient(user_id="psid-1"))

    assert isinstance(error, GraphTerminalError) and error.error_code == "10/2018278"


@pytest.mark.parametrize("code", [1, 2, 4, 17, 32, 613, 80006])
def test_rate_limits_and_transient_codes_are_retryable(fake: FakeGraph, code: int) -> None:
    fake.fail_next(code)

    error = error_of(Recipient(comment_id="c1"))

    assert isinstance(error, GraphRetryableError) and error.code == str(code) and not error.uncertain


@pytest.mark.parametrize("code", [10903, 551, 100, 200])
def test_refusals_are_terminal(fake: FakeGraph, code: int) -> None:
    fake.fail_next(code)

    error = error_of(Recipient(comment_id="c1"))

    assert isinstance(error, GraphTerminalError) and error.code == str(code)


def test_a_server_error_is_retryable(fake: FakeGraph) -> None:
    fake.fail_next(502)

    error = error_of(Recipient(comment_id="c1"))

    assert isinstance(error, GraphRetryableError) and error.error_code == "http_502"


def test_a_bad_token_asks_for_reconnecting(fake: FakeGraph) -> None:
    assert isinstance(error_of(Recipient(comment_id="c1"), token="wrong"), GraphTokenError)


def test_a_slow_answer_is_a_retryable_timeout_that_may_have_landed(fake: FakeGraph) -> None:
    fake.slow_next(1.0)

    error = error_of(Recipient(comment_id="c1"), timeout=0.2)

    assert isinstance(error, GraphRetryableError) and error.code == "timeout" and error.uncertain
    assert fake.replies_to("c1") == 1


def test_an_unreachable_api_is_retryable_and_certainly_not_delivered(settings: pytest.FixtureRequest) -> None:
    settings.META_GRAPH_URL = "http://127.0.0.1:9"  # type: ignore[attr-defined]

    error = error_of(Recipient(comment_id="c1"))

    assert isinstance(error, GraphRetryableError) and error.code == "network" and not error.uncertain
