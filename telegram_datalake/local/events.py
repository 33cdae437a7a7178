"""API Gateway HTTP API (payload format 2.0) events, built the way API Gateway builds them for a request.

The local webhook server and ``poll`` hand these to the unchanged ingest handler, so it cannot tell
a local run from a deployed one.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

WEBHOOK_ROUTE = "POST /webhook"


def api_gateway_event(
    body: bytes,
    headers: Mapping[str, str],
    *,
    method: str = "POST",
    path: str = "/webhook",
    source_ip: str = "127.0.0.1",
    received_at: datetime | None = None,
) -> dict[str, Any]:
    """The event for one request: lower-case headers, text bodies as text and others base64-encoded."""
    arrived = received_at or datetime.now(UTC)
    try:
        text: str | None = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {name.lower(): value for name, value in headers.items()},
        "requestContext": {
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": source_ip},
            "requestId": str(uuid.uuid4()),
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "timeEpoch": int(arrived.timestamp() * 1000),
        },
        "body": text if text is not None else base64.b64encode(body).decode("ascii"),
        "isBase64Encoded": text is None,
    }
