"""The ingest function's time budget: even when every AWS call hangs, the handler answers before its timeout.

A request makes at most two Secrets Manager reads (the current and the previous token, when the container's
copy is missing or stale) and one S3 put, one after the other. Each gets a fixed share of the usable time,
so their worst cases add up to less than the timeout Terraform gave the function. A failed read or put is
a 500, and Telegram delivers the update again: its retries are the long ones, not the function's.
"""

from __future__ import annotations

from dataclasses import dataclass

from functions.common.call_limits import CONTINUE_WAIT_SECONDS, CallLimits, limits_within, usable_seconds

DEFAULT_TIMEOUT_SECONDS = 20  # terraform/modules/ingest: the timeout variable's default
MIN_TIMEOUT_SECONDS = 5  # less leaves no time for the put's "100 Continue" wait and a read
MAX_TIMEOUT_SECONDS = 29  # API Gateway answers 503 itself after 30 s
SECRET_READS_PER_REQUEST = 2
SECRET_SHARE, STORAGE_SHARE = 0.15, 0.70  # of the usable time, per read and for the put: 2 x 15% + 70%
SECRET_MAX_ATTEMPTS, STORAGE_MAX_ATTEMPTS = 2, 3


@dataclass(frozen=True)
class IngestCallLimits:
    """The limits of each AWS call a request may make."""

    secret: CallLimits  # each Secrets Manager read
    storage: CallLimits  # the S3 put

    def worst_case_seconds(self) -> float:
        """Every call of a request taking its worst case, one after the other."""
        return SECRET_READS_PER_REQUEST * self.secret.worst_case_seconds() + self.storage.worst_case_seconds()


def ingest_call_limits(timeout_seconds: int) -> IngestCallLimits:
    """The call limits of a function whose timeout is ``timeout_seconds``."""
    usable = usable_seconds(timeout_seconds)
    return IngestCallLimits(
        secret=limits_within(usable * SECRET_SHARE, SECRET_MAX_ATTEMPTS),
        storage=limits_within(usable * STORAGE_SHARE, STORAGE_MAX_ATTEMPTS, CONTINUE_WAIT_SECONDS),
    )
