"""The database itself holds the member area's rules: three address slots per
member, one account per address, one row per link digest."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from eshop.account.models import Member, MemberAddress

ADDRESS = {
    "full_name": "Claire Martin",
    "street": "3 rue des Lilas",
    "postal_code": "84000",
    "city": "Avignon",
    "country": "FR",
}


def test_a_fourth_slot_is_refused(db):
    member = Member(email="claire@example.org")
    db.session.add(member)
    db.session.commit()
    db.session.add(MemberAddress(member_id=member.id, slot=4, **ADDRESS))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_one_slot_holds_one_address(db):
    member = Member(email="claire@example.org")
    db.session.add(member)
    db.session.commit()
    db.session.add(MemberAddress(member_id=member.id, slot=1, **ADDRESS))
    db.session.commit()
    db.session.add(MemberAddress(member_id=member.id, slot=1, **ADDRESS))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_one_account_per_address(db):
    db.session.add(Member(email="claire@example.org"))
    db.session.commit()
    db.session.add(Member(email="claire@example.org"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_deleting_a_member_deletes_their_addresses(db):
    member = Member(email="claire@example.org")
    db.session.add(member)
    db.session.commit()
    db.session.add(MemberAddress(member_id=member.id, slot=1, **ADDRESS))
    db.session.commit()
    db.session.execute(db.delete(Member))
    db.session.commit()
    assert db.session.execute(db.select(MemberAddress)).first() is None
