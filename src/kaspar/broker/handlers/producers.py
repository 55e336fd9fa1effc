"""InitProducerId (key 22) for idempotent producers.

A new producer gets a fresh id at epoch 0. A producer that sends its current id and epoch
(v3+, KIP-360, after an unrecoverable sequence error) gets the same id at the next epoch, or a
fresh id once the epoch would overflow. Transactional ids go to the transaction coordinator
(``transactions.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable

from kaspar.broker.context import BrokerContext
from kaspar.broker.coordinator.producer_ids import MAX_EPOCH
from kaspar.broker.handlers.transactions import handle_init_transactional_producer
from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.messages.init_producer_id import (
    InitProducerIdRequest,
    InitProducerIdResponse,
)

__all__ = ["handle_init_producer_id"]


def handle_init_producer_id(
    ctx: BrokerContext, request: InitProducerIdRequest, version: int
) -> InitProducerIdResponse | Awaitable[InitProducerIdResponse]:
    if request.transactional_id is not None:
        return handle_init_transactional_producer(ctx, request, version)
    if request.producer_id >= 0 and 0 <= request.producer_epoch < MAX_EPOCH:
        return InitProducerIdResponse(
            error_code=ErrorCode.NONE,
            producer_id=request.producer_id,
            producer_epoch=request.producer_epoch + 1,
        )
    return InitProducerIdResponse(
        error_code=ErrorCode.NONE, producer_id=ctx.producer_ids.next_id(), producer_epoch=0
    )
