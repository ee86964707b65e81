"""The pipeline's stages and the handler each one runs."""

from __future__ import annotations

from django.utils.module_loading import import_string

from livestreams.streams.consumer import Stage

STAGE_HANDLERS: dict[str, str] = {
    "store": "livestreams.consumers.handle_store",
}


def get_stage(name: str) -> Stage:
    try:
        return Stage(name=name, handler=import_string(STAGE_HANDLERS[name]))
    except KeyError:
        raise ValueError(f"unknown stage {name!r}; stages: {', '.join(STAGE_HANDLERS)}") from None
