"""What kind of update a Telegram update is, decided once for the ingest function and the ETL alike.

The Bot API sends ``update_id`` and at most one optional field, the payload, whose name is the update's
kind (``message``, ``edited_message``, ``callback_query``...). An object with two payloads is not an
update Telegram sends: deciding its kind by its first key in one place and by a preferred key in
another would store it for one chat and turn it into a row of another, so both refuse it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NO_PAYLOAD = ""  # the kind of an update with nothing but update_id
_USUAL_SIZE = 2  # update_id and one payload


class SeveralPayloadsError(ValueError):
    """The update carries more than one payload; the message names them (field names, never values)."""


def update_kind(update: Mapping[str, Any]) -> str:
    """The name of the update's one payload field; NO_PAYLOAD when it has none.

    SeveralPayloadsError when it has more than one.
    """
    if len(update) <= _USUAL_SIZE:  # the usual case, looked at without building a list
        return next((key for key in update if key != "update_id"), NO_PAYLOAD)
    kinds = [key for key in update if key != "update_id"]
    if len(kinds) > 1:
        shown = ", ".join(repr(kind)[:40] for kind in sorted(kinds)[:5])  # names the sender chose: quoted, cut
        raise SeveralPayloadsError(f"update carries {len(kinds)} payloads ({shown})")
    return kinds[0] if kinds else NO_PAYLOAD
