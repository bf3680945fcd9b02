"""Reading and moving an order's payment attempts (its PaymentIntents).

Every move is a conditional update ("only from these states"), so the browser,
the webhook and ``payments reconcile`` may race and only one of them wins.
"""

from __future__ import annotations

from sqlalchemy import update

from eshop.clock import utcnow
from eshop.extensions import db
from eshop.orders.services import write_transaction

from .models import AttemptStatus, CardPayment


def attempts_of(order_id: int) -> list[CardPayment]:
    """Every attempt of the order, first to last."""
    return list(
        db.session.execute(
            db.select(CardPayment)
            .where(CardPayment.order_id == order_id)
            .order_by(CardPayment.attempt)
        ).scalars()
    )


def latest_attempt(order_id: int) -> CardPayment | None:
    """The order's last attempt, the only one a card may still be put on."""
    attempts = attempts_of(order_id)
    return attempts[-1] if attempts else None


def unsettled_attempts(order_id: int) -> list[CardPayment]:
    """Attempts Stripe may still take money on (open or confirmed)."""
    return [
        attempt
        for attempt in attempts_of(order_id)
        if attempt.status in AttemptStatus.UNSETTLED and attempt.intent_id
    ]


def succeeded_attempt(order_id: int) -> CardPayment | None:
    """The attempt that paid the order, if any (one at most: a second payment is
    returned, not kept)."""
    return next(
        (a for a in attempts_of(order_id) if a.status == AttemptStatus.SUCCEEDED),
        None,
    )


def attempt_for_intent(intent_id: str) -> CardPayment | None:
    """The attempt of a PaymentIntent, its row locked until the transaction ends."""
    query = db.select(CardPayment).where(CardPayment.intent_id == intent_id)
    return db.session.execute(query.with_for_update()).scalar_one_or_none()


def lock_attempt(attempt_id: int) -> None:
    """Hold an attempt's row until commit (PostgreSQL; SQLite's write lock already
    serialises writers)."""
    db.session.execute(
        db.select(CardPayment.id).where(CardPayment.id == attempt_id).with_for_update()
    )


def move_attempt(attempt_id: int, to: str, *, only_from: tuple[str, ...]) -> bool:
    """Change an attempt's status if it is still one of ``only_from``, inside the
    caller's transaction; whether it moved."""
    moved = db.session.execute(
        update(CardPayment)
        .where(CardPayment.id == attempt_id, CardPayment.status.in_(only_from))
        .values(status=to, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return moved.rowcount == 1


def set_attempt(attempt: CardPayment, to: str, *, only_from: tuple[str, ...]) -> None:
    """``move_attempt`` in a transaction of its own, then read the row again."""
    with write_transaction():
        move_attempt(attempt.id, to, only_from=only_from)
    db.session.refresh(attempt)
