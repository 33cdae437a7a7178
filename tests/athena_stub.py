"""Moto's Athena as the CLI's tests use it: the project's workgroup, results queued for the next query (moto
runs no SQL), GetQueryResults paged as Athena pages it, and every execution readable back."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from moto import mock_aws
from moto.moto_api._internal.models import moto_api_backend

from tests.sql_samples import DATABASE

if TYPE_CHECKING:
    from mypy_boto3_athena import AthenaClient

REGION, ACCOUNT = "us-east-1", "123456789012"  # moto's default account
WORKGROUP = "telegram-datalake"


class AthenaPaging:
    """GetQueryResults paged as Athena pages it (MaxResults rows, then a NextToken): moto returns every row at once."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def remember(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        self.requests.append(dict(params))
        context["page"] = (int(params.get("NextToken", "0")), int(params.get("MaxResults", 1000)))

    def page(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        start, size = context["page"]
        rows = parsed["ResultSet"]["Rows"]
        parsed["ResultSet"]["Rows"] = rows[start : start + size]
        if start + size < len(rows):
            parsed["NextToken"] = str(start + size)


@dataclass
class AthenaStub:
    """Moto's Athena with the project's workgroup; results are queued, calls recorded."""

    session: boto3.Session
    paging: AthenaPaging = field(default_factory=AthenaPaging)

    @property
    def client(self) -> AthenaClient:
        return self.session.client("athena")

    def queue_result(self, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[str | None]]) -> None:
        """The next query's result: a header row (as Athena adds to a SELECT) and ``rows`` (None is NULL)."""
        header = {"Data": [{"VarCharValue": name} for name, _ in columns]}
        data = [{"Data": [{} if value is None else {"VarCharValue": value} for value in row]} for row in rows]
        column_info = [
            {"CatalogName": "hive", "SchemaName": DATABASE, "TableName": "", "Name": n, "Label": n, "Type": t}
            for n, t in columns
        ]
        moto_api_backend.set_athena_result([header, *data], column_info, ACCOUNT, REGION)

    def executions(self) -> list[dict[str, Any]]:
        ids = self.client.list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"]
        return [dict(self.client.get_query_execution(QueryExecutionId=i)["QueryExecution"]) for i in ids]


@contextmanager
def running_athena_stub() -> Iterator[AthenaStub]:
    """Moto's Athena with the workgroup, as boto3's default session (the CLI's clients come from it)."""
    with mock_aws():
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
        boto3.DEFAULT_SESSION = session  # the CLI's clients come from it, with its event hooks
        stub = AthenaStub(session)
        session.events.register("before-parameter-build.athena.GetQueryResults", stub.paging.remember)
        session.events.register("after-call.athena.GetQueryResults", stub.paging.page)
        stub.client.create_work_group(Name=WORKGROUP, Configuration={"EnforceWorkGroupConfiguration": True})
        try:
            yield stub
        finally:
            boto3.DEFAULT_SESSION = None
