"""The webhook's secret token: read from Secrets Manager on a container's first request, then cached.

Terraform creates the secret; ``telegram-datalake webhook set`` and ``rotate-secret`` write its value, so
the token is never in the function's environment, in Terraform's state or in a plan. A rotation stores
the new token as AWSCURRENT and Secrets Manager keeps the old one as AWSPREVIOUS: the old one is still
accepted until ``overlap_seconds`` after the new one was stored, so that no delivery already under way
with it is refused.

A container reads the secret again when its copy is older than ``MAX_AGE_SECONDS`` (a rotation reaches
every container, and an expired previous token stops working), and when a request brings a token it does
not know, at most every ``RECHECK_SECONDS`` (the first deliveries with a new token are accepted at once,
and a flood of wrong tokens costs at most one read per container and interval).
"""

from __future__ import annotations

import functools
import hmac
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from functions.common.settings import endpoint_url_setting

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

    from functions.common.call_limits import CallLimits

CURRENT = "AWSCURRENT"
PREVIOUS = "AWSPREVIOUS"
MAX_AGE_SECONDS = 300.0
RECHECK_SECONDS = 5.0
# What Telegram accepts as setWebhook's secret_token.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class SecretStoreError(Exception):
    """The secret cannot be checked against: the webhook answers ``status_code`` and logs ``outcome``."""

    status_code = 500
    outcome = "error"


class SecretNotSetError(SecretStoreError):
    """The secret has no value yet (nobody ran ``telegram-datalake webhook set`` since the deployment), or the
    configured secret does not exist."""

    status_code = 503
    outcome = "unavailable"


class SecretUnavailableError(SecretStoreError):
    """Secrets Manager could not be read (a retry may work); the message names the error's type only."""


class SecretInvalidError(SecretStoreError):
    """The stored value is not a token Telegram accepts; the value itself is never shown."""

    outcome = "misconfigured"


class SecretCheck(Protocol):
    """Whether a request's secret-token header is one the webhook accepts."""

    def accepts(self, given: bytes) -> bool: ...


@dataclass(frozen=True)
class FixedSecret:
    """One known token: for callers that hand updates to the function themselves (``telegram-datalake poll``)."""

    token: bytes = field(repr=False)

    def accepts(self, given: bytes) -> bool:
        return hmac.compare_digest(given, self.token)


@dataclass(frozen=True)
class Tokens:
    """The tokens a container accepts, as read from Secrets Manager at ``read_at`` (monotonic seconds)."""

    current: bytes = field(repr=False)
    previous: bytes | None = field(repr=False)
    previous_until: float  # Unix time until which the previous token is accepted
    read_at: float

    def accepts(self, given: bytes, now: float) -> bool:
        matches_current = hmac.compare_digest(given, self.current)
        matches_previous = self.previous is not None and hmac.compare_digest(given, self.previous)
        return matches_current or (matches_previous and now < self.previous_until)


def _token(value: str | None) -> bytes:
    if value is None or not TOKEN_PATTERN.fullmatch(value):
        raise SecretInvalidError(
            "the webhook secret is not 1-256 characters of A-Z, a-z, 0-9, _ and -: "
            "write a new one with telegram-datalake webhook rotate-secret"
        )
    return value.encode()


class StoredSecret:
    """The deployed webhook's secret, read from Secrets Manager and cached for the container's life."""

    def __init__(
        self,
        secret_id: str,
        overlap_seconds: int,
        client: Callable[[], SecretsManagerClient],
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.secret_id = secret_id
        self.overlap_seconds = overlap_seconds
        self._client = client
        self._clock = clock
        self._monotonic = monotonic
        self._tokens: Tokens | None = None
        self._lock = threading.Lock()  # the local webhook server calls the handler from several threads

    def accepts(self, given: bytes) -> bool:
        """True for the current token, and for the previous one during the overlap.

        SecretNotSetError, SecretUnavailableError or SecretInvalidError when the secret cannot be read.
        """
        with self._lock:
            tokens = self._tokens
            if tokens is None or self._monotonic() - tokens.read_at >= MAX_AGE_SECONDS:
                tokens = self._read()
            if tokens.accepts(given, self._clock()):
                return True
            if self._monotonic() - tokens.read_at < RECHECK_SECONDS:
                return False
            return self._read().accepts(given, self._clock())

    def _read(self) -> Tokens:
        read_at = self._monotonic()
        current, created = self._version(CURRENT)
        if current is None:
            raise SecretNotSetError(
                "the webhook secret has no value, or does not exist: run telegram-datalake webhook set"
                " (and check WEBHOOK_SECRET_ARN)"
            )
        previous_until = created.timestamp() + self.overlap_seconds
        previous = self._version(PREVIOUS)[0] if self._clock() < previous_until else None
        self._tokens = Tokens(
            current=_token(current),
            # A previous value Telegram would refuse (one `webhook set` replaced) was never a token: ignored.
            previous=previous.encode() if previous is not None and TOKEN_PATTERN.fullmatch(previous) else None,
            previous_until=previous_until,
            read_at=read_at,
        )
        return self._tokens

    def _version(self, stage: str) -> tuple[str | None, datetime]:
        """The value and creation time of the version with ``stage``; None when no version has it."""
        try:
            answer = self._client().get_secret_value(SecretId=self.secret_id, VersionStage=stage)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            # No version has the stage (AWSPREVIOUS before a first rotation, AWSCURRENT before a first `webhook
            # set`), or no such secret: the function may not describe the secret to tell the two apart.
            if code == "ResourceNotFoundException":
                return None, datetime.fromtimestamp(0, UTC)
            raise SecretUnavailableError(f"secret unavailable: Secrets Manager answered {code}") from None
        except BotoCoreError as error:
            raise SecretUnavailableError(f"secret unavailable: Secrets Manager: {type(error).__name__}") from None
        return answer.get("SecretString"), answer["CreatedDate"]


@functools.cache
def secrets_client(limits: CallLimits) -> SecretsManagerClient:
    """Secrets Manager honouring ``AWS_ENDPOINT_URL``, each read ending within ``limits``."""
    return boto3.client("secretsmanager", endpoint_url=endpoint_url_setting(), config=limits.config())


@functools.cache
def stored_secret(secret_id: str, overlap_seconds: int, limits: CallLimits) -> StoredSecret:
    """One cached secret per container (per secret, overlap and call limits), read on its first request."""
    return StoredSecret(secret_id, overlap_seconds, functools.partial(secrets_client, limits))
