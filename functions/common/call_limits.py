"""How long one AWS call may take, worked out from the function's timeout.

botocore's defaults (a 60 s connect and read timeout, retried) let one call to a hung endpoint outlast
any Lambda timeout: Lambda then kills the function, which neither answers nor logs. Here every call gets
connect and read timeouts and a number of attempts whose worst case fits the share of the timeout it is
given, so the handler always has the time to answer and log. The timeout is one setting: Terraform
passes the function's own ``timeout`` as ``FUNCTION_TIMEOUT_SECONDS``.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from botocore.config import Config

from functions.common.settings import ConfigurationError, positive_int_setting

FUNCTION_TIMEOUT_SECONDS = "FUNCTION_TIMEOUT_SECONDS"
# Kept back from the timeout for the handler's own work (parsing, logging, the answer) and timer jitter.
RESERVE_FRACTION, RESERVE_SECONDS = 0.05, 0.25
# botocore's standard retry mode waits at most min(2 ** retry, 20) s before a retry (throttling scale),
# and up to 5 s more when the service asks for it (x-amz-retry-after).
MAX_BACKOFF_SECONDS, RETRY_AFTER_ALLOWANCE_SECONDS = 20.0, 5.0
MIN_ATTEMPT_SECONDS = 1.5  # below this per attempt, one longer attempt is worth more than several short ones
MAX_CONNECT_SECONDS, MAX_READ_SECONDS = 2.0, 30.0
# An S3 put with a body sends "Expect: 100-continue" and botocore waits up to 1 s for the answer before
# sending the body anyway (botocore.awsrequest); a hung endpoint costs that second on every attempt.
CONTINUE_WAIT_SECONDS = 1.0


def retry_waits_seconds(attempts: int) -> float:
    """The longest botocore may sleep, in total, between ``attempts`` attempts."""
    return sum(min(2.0**retry, MAX_BACKOFF_SECONDS) + RETRY_AFTER_ALLOWANCE_SECONDS for retry in range(attempts - 1))


def _floor_ms(seconds: float) -> float:
    return math.floor(seconds * 1000) / 1000


@dataclass(frozen=True)
class CallLimits:
    """Connect and read timeouts (seconds) and attempts (the first one included) of one AWS call."""

    connect_timeout: float
    read_timeout: float
    max_attempts: int
    continue_wait: float = 0.0  # CONTINUE_WAIT_SECONDS for S3, whose puts wait for "100 Continue"

    def worst_case_seconds(self) -> float:
        """Every attempt timing out at connect and at read, with the longest waits between attempts."""
        per_attempt = self.connect_timeout + self.continue_wait + self.read_timeout
        return self.max_attempts * per_attempt + retry_waits_seconds(self.max_attempts)

    def config(self, max_pool_connections: int = 10) -> Config:
        """The botocore configuration that enforces these limits (standard retry mode)."""
        return Config(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            retries={"mode": "standard", "total_max_attempts": self.max_attempts},
            max_pool_connections=max_pool_connections,
        )


def limits_within(seconds: float, max_attempts: int, continue_wait: float = 0.0) -> CallLimits:
    """The most attempts (up to ``max_attempts``) whose worst case fits ``seconds``, each with at least
    ``MIN_ATTEMPT_SECONDS`` to connect and read; a quarter of that (at most 2 s) is for connecting.
    """
    for attempts in range(max(1, max_attempts), 0, -1):
        per_attempt = (seconds - retry_waits_seconds(attempts)) / attempts - continue_wait
        per_attempt = min(per_attempt, MAX_CONNECT_SECONDS + MAX_READ_SECONDS)
        if per_attempt >= MIN_ATTEMPT_SECONDS or (attempts == 1 and per_attempt > 0):
            connect = _floor_ms(min(MAX_CONNECT_SECONDS, per_attempt / 4))
            return CallLimits(connect, _floor_ms(per_attempt - connect), attempts, continue_wait)
    raise ValueError(f"{seconds:g} s leaves no time for an AWS call")


def usable_seconds(timeout_seconds: int) -> float:
    """What the AWS calls of one invocation may take in all: the timeout less the handler's reserve."""
    return timeout_seconds * (1 - RESERVE_FRACTION) - RESERVE_SECONDS


def function_timeout(default: int, minimum: int, maximum: int, environ: Mapping[str, str] = os.environ) -> int:
    """``FUNCTION_TIMEOUT_SECONDS``, whole seconds from ``minimum`` to ``maximum`` (Terraform validates the
    same range); ``default`` (Terraform's) when unset.
    """
    timeout = positive_int_setting(FUNCTION_TIMEOUT_SECONDS, default, maximum, environ)
    if timeout < minimum:
        raise ConfigurationError(
            f"environment variable {FUNCTION_TIMEOUT_SECONDS} must be an integer from {minimum} to {maximum}"
        )
    return timeout


class OutOfTimeError(TimeoutError):
    """The next AWS call might not end before the function's timeout: the invocation stops and says so."""


@dataclass(frozen=True)
class Deadline:
    """When an invocation's last AWS call must have ended (``time.monotonic`` seconds), and the limits of
    each call: one may start only if it ends in time even in its worst case.
    """

    expires_at: float
    call: CallLimits
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)
    latest_start: float = field(init=False, compare=False)  # checked once per S3 object: kept at hand

    def __post_init__(self) -> None:
        object.__setattr__(self, "latest_start", self.expires_at - self.call.worst_case_seconds())

    @classmethod
    def after(cls, timeout_seconds: int, call: CallLimits, started: float | None = None) -> Deadline:
        """The deadline of an invocation that started at ``started`` (now, when None)."""
        start = time.monotonic() if started is None else started
        return cls(start + usable_seconds(timeout_seconds), call)

    def check(self, action: str, bucket: str, key: str) -> None:
        """OutOfTimeError, naming the ``action`` on ``s3://bucket/key`` it stopped before, unless a call may
        still start."""
        now = self.clock()
        if now > self.latest_start:
            raise OutOfTimeError(
                f"stopped before {action} s3://{bucket}/{key}: {max(self.expires_at - now, 0.0):.1f} s were left"
                f" before the function's timeout, and an S3 call may take {self.call.worst_case_seconds():.1f} s"
            )
