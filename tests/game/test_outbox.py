"""Tests for the persistent outbox of game uploads."""

from __future__ import annotations

from custom_components.sunshare.game.outbox import Outbox


def test_put_replaces_pending_item_with_same_key() -> None:
    """Re-sending a day replaces the pending version instead of queueing both."""
    outbox = Outbox()
    outbox.put("reading", "reading:2027-01-12", {"import_kwh": 10})
    outbox.put("reading", "reading:2027-01-13", {"import_kwh": 11})
    outbox.put("reading", "reading:2027-01-12", {"import_kwh": 12})
    assert len(outbox) == 2
    due = outbox.due(0)
    assert [item.key for item in due] == ["reading:2027-01-13", "reading:2027-01-12"]
    assert due[1].payload == {"import_kwh": 12}


def test_backoff_doubles_up_to_an_hour_and_honours_retry_after() -> None:
    """30 s, 60 s, 120 s … 3600 s; Retry-After wins when longer."""
    outbox = Outbox()
    outbox.put("action", "action:1", {})
    delays = [outbox.failed("action:1", 1000, "down") for _ in range(9)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert outbox.due(1000 + 3599) == []
    assert outbox.next_due() == 1000 + 3600
    assert outbox.failed("action:1", 0, "busy", retry_after=7200) == 7200


def test_pending_items_survive_a_restart() -> None:
    """as_data() restores to the same pending items with their retry state."""
    outbox = Outbox()
    outbox.put("shedding_event", "shed:abc", {"id": "abc"})
    outbox.failed("shed:abc", 100, "down")
    restored = Outbox(outbox.as_data())
    [item] = restored.due(10_000)
    assert (item.key, item.kind, item.attempts, item.next_try, item.last_error) == (
        "shed:abc", "shedding_event", 1, 130, "down"
    )  # fmt: skip
    restored.done("shed:abc")
    assert len(restored) == 0
    assert restored.next_due() is None


def test_retry_now_makes_every_item_due() -> None:
    """After a restart every pending item is tried at once, attempts kept."""
    outbox = Outbox()
    outbox.put("action", "action:1", {})
    outbox.put("reading", "reading:2027-01-12", {})
    outbox.failed("action:1", 1000, "down")
    restored = Outbox(outbox.as_data())
    assert [item.key for item in restored.due(1000)] == ["reading:2027-01-12"]
    restored.retry_now()
    assert [item.key for item in restored.due(0)] == ["action:1", "reading:2027-01-12"]
    assert restored.due(0)[0].attempts == 1
