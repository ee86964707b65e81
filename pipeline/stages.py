"""The pipeline's stages and the handler each one runs."""

from __future__ import annotations

from django.utils.module_loading import import_string

from core.streams.consumer import BatchHandler, Handler, Stage
from tenants.fencing import SHARD_FENCES
from tenants.selectors import seller_schema_active

# claims: what ingest queued → stored comments, decisions, reservations; payments: decisions → the buyer's
# reply with its cart link, in the outbox (the sender, `run_sender`, delivers the outbox).
STAGE_HANDLERS: dict[str, str] = {
    "claims": "pipeline.claims_stage.handle_event",
    "payments": "pipeline.payments_stage.handle_claim_decided",
}


# Consecutive entries of one seller are handled in one transaction, by handlers made for it (a fixed number
# of queries per batch): the more a stage falls behind, the cheaper each entry gets.
STAGE_BATCH_HANDLERS: dict[str, str] = {
    "claims": "pipeline.claims_stage.handle_events",
    "payments": "pipeline.payments_stage.handle_claims_decided",
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
        may_run=seller_schema_active,
        fence=SHARD_FENCES,
    )


def _each_in_turn(handler: Handler) -> BatchHandler:
    def handle_all(entries: list[dict[str, str]]) -> None:
        for fields in entries:
            handler(fields)

    return handle_all
