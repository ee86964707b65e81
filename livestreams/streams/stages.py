"""The pipeline's stages and the handler each one runs."""

from __future__ import annotations

from django.utils.module_loading import import_string

from livestreams.streams.consumer import Stage

STAGE_HANDLERS: dict[str, str] = {
    "store": "livestreams.consumers.handle_store",
    "claims": "livestreams.consumers.handle_claim",
    "payments": "payments.consumers.handle_claim_decided",
    "replies": "messenger.consumers.handle_reply_work",
}


# Stages whose consecutive entries of one seller are handled in one transaction.
STAGE_BATCH_HANDLERS: dict[str, str] = {
    "store": "livestreams.consumers.handle_stores",
    "claims": "livestreams.consumers.handle_claims",
}


def get_stage(name: str) -> Stage:
    if name not in STAGE_HANDLERS:
        raise ValueError(f"unknown stage {name!r}; stages: {', '.join(STAGE_HANDLERS)}")
    batch = STAGE_BATCH_HANDLERS.get(name)
    return Stage(
        name=name,
        handler=import_string(STAGE_HANDLERS[name]),
        batch_handler=import_string(batch) if batch else None,
    )
