"""The scheduler thread: due callbacks in time order, cancelling, containment, start and
stop; driven by a clock the test sets, so no test waits for real minutes."""

from __future__ import annotations

import threading
import time

import pytest

from assistant.scheduler import Scheduler


class SetClock:
    """A clock that shows whatever the test sets."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


def wait_until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


@pytest.fixture
def clock() -> SetClock:
    return SetClock()


@pytest.fixture
def scheduler(clock):
    s = Scheduler(clock, poll_seconds=0.01)
    yield s
    s.stop()


def test_due_callbacks_run_in_time_order_and_not_before_their_time(clock, scheduler):
    ran: list[str] = []
    scheduler.call_at(clock.now + 20, lambda: ran.append("second"))
    scheduler.call_at(clock.now + 10, lambda: ran.append("first"))
    scheduler.call_at(clock.now + 30, lambda: ran.append("third"))
    scheduler.start()
    clock.now += 25
    assert wait_until(lambda: len(ran) == 2)
    time.sleep(0.05)  # several polls: the third is not due
    assert ran == ["first", "second"]
    clock.now += 10
    assert wait_until(lambda: len(ran) == 3)
    assert ran == ["first", "second", "third"]


def test_a_cancelled_callback_never_runs(clock, scheduler):
    ran: list[str] = []
    handle = scheduler.call_at(clock.now + 5, lambda: ran.append("cancelled"))
    scheduler.call_at(clock.now + 6, lambda: ran.append("kept"))
    scheduler.cancel(handle)
    scheduler.start()
    clock.now += 10
    assert wait_until(lambda: ran == ["kept"])
    time.sleep(0.05)
    assert ran == ["kept"]


def test_nothing_runs_before_start_and_no_thread_exists(clock):
    scheduler = Scheduler(clock, poll_seconds=0.01)
    ran: list[int] = []
    scheduler.call_at(clock.now - 1, lambda: ran.append(1))  # already due
    time.sleep(0.05)
    assert ran == [] and not scheduler.running
    assert "scheduler" not in {t.name for t in threading.enumerate()}
    scheduler.stop()  # stopping one never started is fine
    scheduler.start()  # and a stopped one does not start again
    assert not scheduler.running and ran == []


def test_a_failing_callback_is_logged_by_type_and_the_next_still_runs(clock, scheduler, caplog):
    ran: list[str] = []

    def fail() -> None:
        raise ValueError("the pasta timer for Grandma")

    scheduler.call_at(clock.now + 1, fail)
    scheduler.call_at(clock.now + 2, lambda: ran.append("next"))
    scheduler.start()
    clock.now += 5
    assert wait_until(lambda: ran == ["next"])
    assert "scheduled callback failed: ValueError" in caplog.text
    assert "Grandma" not in caplog.text  # the message may quote what was said


def test_stop_ends_the_thread_and_what_is_pending_never_runs(clock, scheduler):
    ran: list[int] = []
    scheduler.call_at(clock.now + 60, lambda: ran.append(1))
    scheduler.start()
    assert scheduler.running
    scheduler.stop()
    assert not scheduler.running
    assert "scheduler" not in {t.name for t in threading.enumerate()}
    clock.now += 120
    time.sleep(0.05)
    assert ran == []


def test_a_callback_added_while_running_wakes_the_thread(clock, scheduler):
    ran: list[int] = []
    scheduler.start()
    scheduler.call_at(clock.now, lambda: ran.append(1))
    assert wait_until(lambda: ran == [1])


@pytest.mark.parametrize("handle", [None, "x", 3.5])
def test_cancelling_something_that_is_no_handle_is_ignored(scheduler, handle):
    scheduler.cancel(handle)
    scheduler.start()
    assert scheduler.running
