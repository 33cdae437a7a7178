"""The ETL function's time budget: each AWS call is bounded, and no call starts that could outlast the timeout.

A day's run makes many calls (listing pages, one read per raw object, the write), so their sum cannot be
bounded up front. Instead each call's worst case is a share of the usable time, and a ``Deadline`` refuses
to start one that might not end before the timeout: the invocation then fails with a message naming the day
it stopped at (the days before it are done and logged), rather than being killed by Lambda mid-write.
"""

from __future__ import annotations

from functions.common.call_limits import CONTINUE_WAIT_SECONDS, CallLimits, limits_within, usable_seconds

DEFAULT_TIMEOUT_SECONDS = 900  # terraform/modules/etl: the timeout variable's default (Lambda's maximum)
MIN_TIMEOUT_SECONDS = 10  # a quarter of less leaves no time for one S3 call
MAX_TIMEOUT_SECONDS = 900
CALL_SHARE = 0.25  # of the usable time, at most, for one call in its worst case
MAX_CALL_SECONDS = 120.0
MAX_ATTEMPTS = 5


def etl_call_limits(timeout_seconds: int) -> CallLimits:
    """The limits of every S3 call of a function whose timeout is ``timeout_seconds``."""
    share = min(usable_seconds(timeout_seconds) * CALL_SHARE, MAX_CALL_SECONDS)
    return limits_within(share, MAX_ATTEMPTS, CONTINUE_WAIT_SECONDS)
