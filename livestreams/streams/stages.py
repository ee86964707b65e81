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


def get_stage(name: str) -> Stage:
    try:
        return Stage(name=name, handler=import_string(STAGE_HANDLERS[name]))
    except KeyError:
        raise ValueError(f"unknown stage {name!r}; stages: {', '.join(STAGE_HANDLERS)}") from None
