"""The pipeline's stages and the handler each one runs."""

from __future__ import annotations

from django.utils.module_loading import import_string

from livestreams.streams.consumer import BatchHandler, Handler, Stage

STAGE_HANDLERS: dict[str, str] = {
    "store": "livestreams.consumers.handle_store",
    "claims": "livestreams.consumers.handle_claim",
    "payments": "payments.consumers.handle_claim_decided",
    "replies": "messenger.consumers.handle_reply_work",
}


# Consecutive entries of one seller are handled in one transaction. Store and claims have handlers made for
# it (bulk queries); the others run their per-entry handler for each entry, which saves a commit per entry.
STAGE_BATCH_HANDLERS: dict[str, str] = {
    "store": "livestreams.consumers.handle_stores",
    "claims": "livestreams.consumers.handle_claims",
}


def get_stage(name: str) -> Stage:
    if name not in STAGE_HANDLERS:
        raise ValueError(f"unknown stage {name!r}; stages: {', '.join(STAGE_HANDLERS)}")
    handler: Handler = import_string(STAGE_HANDLERS[name])
    batch = STAGE_BATCH_HANDLERS.get(name)
    return Stage(
        name=name,
        handler=handler,
        batch_handler=import_string(batch) if batch else _each_in_turn(handler),
    )


def _each_in_turn(handler: Handler) -> BatchHandler:
    def handle_all(entries: list[dict[str, str]]) -> None:
        for fields in entries:
            handler(fields)

    return handle_all
