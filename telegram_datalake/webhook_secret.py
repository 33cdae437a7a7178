"""The deployed webhook's secret token in Secrets Manager: read it, write it, and undo a write.

Terraform creates the secret without a value; ``telegram-datalake webhook set`` writes the first token and
``rotate-secret`` the next ones. Secrets Manager keeps the token Telegram sends as AWSCURRENT and, after a
rotation, the one before as AWSPREVIOUS, which the ingest function accepts for a short overlap. Tokens are
never printed or logged by this module's callers, and never leave memory but to Secrets Manager and Telegram.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

CURRENT = "AWSCURRENT"
# 48 random bytes, URL-safe base64: 64 characters of A-Z, a-z, 0-9, _ and -, the alphabet Telegram allows.
TOKEN_BYTES = 48


def new_token() -> str:
    """A fresh secret token Telegram accepts (64 characters, 384 random bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


@dataclass(frozen=True)
class StoredToken:
    """One version of the secret: its token (kept out of ``repr``), version id and creation time."""

    token: str = field(repr=False)
    version_id: str
    created: datetime


class WebhookSecretStore:
    """The secret ``secret_id`` (an ARN or name) through ``client``; AWS errors propagate as botocore's."""

    def __init__(self, client: SecretsManagerClient, secret_id: str) -> None:
        self.client = client
        self.secret_id = secret_id

    def current(self) -> StoredToken | None:
        """The token Telegram is given, or None while the secret has no value yet."""
        try:
            answer = self.client.get_secret_value(SecretId=self.secret_id, VersionStage=CURRENT)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException" and self._exists():
                return None
            raise
        return StoredToken(answer.get("SecretString") or "", answer["VersionId"], answer["CreatedDate"])

    def store(self, token: str) -> StoredToken:
        """Write ``token`` as the new current version (the one before becomes AWSPREVIOUS); it is read back."""
        version = self.client.put_secret_value(SecretId=self.secret_id, SecretString=token)["VersionId"]
        stored = self.current()
        if stored is None or stored.version_id != version:
            raise RuntimeError(f"Secrets Manager did not make version {version} of {self.secret_id} current")
        return stored

    def restore(self, previous: StoredToken, replaced: StoredToken) -> None:
        """Make ``previous`` current again, after ``replaced`` could not be given to Telegram."""
        self.client.update_secret_version_stage(
            SecretId=self.secret_id,
            VersionStage=CURRENT,
            MoveToVersionId=previous.version_id,
            RemoveFromVersionId=replaced.version_id,
        )

    def _exists(self) -> bool:
        """Whether the secret itself exists (a missing value and a missing secret are both 'not found')."""
        try:
            self.client.describe_secret(SecretId=self.secret_id)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return False
            raise
        return True
