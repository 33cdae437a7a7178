"""Failures nobody would notice raise an alarm: refused deliveries (a wrong or rotated secret) and days without a
stored update; and the buckets do not pile up what their lifecycle leaves behind."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import SEED_UPDATE, update_body
from tests.hcl import MODULES_DIR, TERRAFORM_DIR, labelled_blocks, load_module
from tests.ingest_support import event, invoke, log_lines, message_update

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MONITORING = load_module(MODULES_DIR / "monitoring")
LOCALS: dict[str, Any] = {key: value for block in MONITORING["locals"] for key, value in block.items()}
RESOURCES = {(kind, name): body for kind, name, body in labelled_blocks(MONITORING, "resource")}
# CloudWatch Logs' JSON filter pattern of one equality: { $.field = "value" }.
EQUALITY_PATTERN = re.compile(r'^\{ \$\.(?P<field>\w+) = "(?P<value>[^"]*)" \}$')


def alarms() -> dict[str, dict[str, Any]]:
    value = LOCALS["alarms"]
    assert isinstance(value, dict)
    return value


def test_every_alarm_notifies_the_alarm_topic_when_it_fires_and_when_it_recovers() -> None:
    assert set(alarms()) == {
        "etl_errors",
        "etl_dead_letters",
        "ingest_errors",
        "api_5xx",
        "api_4xx",
        "no_updates_stored",
    }
    alarm = RESOURCES[("aws_cloudwatch_metric_alarm", "this")]
    assert alarm["for_each"] == "${local.alarms}"
    assert alarm["alarm_actions"] == alarm["ok_actions"] == "${local.alarm_actions}"
    assert LOCALS["alarm_actions"] == "${concat(aws_sns_topic.alarms[*].arn, var.alarm_actions)}"


def test_refused_deliveries_raise_an_alarm() -> None:
    """A wrong or rotated secret turns every update into a 401: the API's 4xx count is what shows it."""
    api_4xx = alarms()["api_4xx"]
    assert (api_4xx["namespace"], api_4xx["metric_name"], api_4xx["statistic"]) == ("AWS/ApiGateway", "4xx", "Sum")
    assert api_4xx["dimensions"] == {"ApiId": "${var.api_id}", "Stage": "${var.api_stage_name}"}
    assert api_4xx["threshold"] == "${var.api_4xx_threshold}"
    alarm = RESOURCES[("aws_cloudwatch_metric_alarm", "this")]
    assert alarm["comparison_operator"] == '${lookup(each.value, "comparison", "GreaterThanOrEqualToThreshold")}'


def test_a_day_without_a_stored_update_raises_an_alarm() -> None:
    """Below one stored update per hour for N hours, and no data at all (the function never ran) counts as breaching."""
    quiet = alarms()["no_updates_stored"]
    assert (quiet["comparison"], quiet["threshold"], quiet["missing"]) == ("LessThanThreshold", 1, "breaching")
    assert (quiet["period"], quiet["evaluations"]) == (3600, "${var.no_update_alarm_hours}")
    assert quiet["metric_name"] == "${aws_cloudwatch_log_metric_filter.updates_stored.metric_transformation[0].name}"
    metric_filter = RESOURCES[("aws_cloudwatch_log_metric_filter", "updates_stored")]
    assert metric_filter["log_group_name"] == "${var.ingest_log_group_name}"
    (transformation,) = metric_filter["metric_transformation"]
    assert (transformation["name"], transformation["value"], transformation["default_value"]) == (
        "UpdatesStored",
        "1",
        "0",
    )
    variables = {name: body for block in MONITORING["variable"] for name, body in block.items()}
    assert variables["no_update_alarm_hours"]["default"] == 24
    (validation,) = variables["no_update_alarm_hours"]["validation"]
    assert "var.no_update_alarm_hours <= 168" in validation["condition"]  # CloudWatch: at most 7 days of periods


def test_the_root_module_wires_both_alarms() -> None:
    calls = {name: body for block in load_module(TERRAFORM_DIR)["module"] for name, body in block.items()}
    monitoring = calls["monitoring"]
    assert monitoring["ingest_log_group_name"] == "${module.ingest.function_log_group_name}"
    assert monitoring["api_4xx_threshold"] == "${var.api_4xx_alarm_threshold}"
    assert monitoring["no_update_alarm_hours"] == "${var.no_update_alarm_hours}"


@pytest.mark.usefixtures("ingest_env")
def test_the_metric_filter_counts_exactly_the_lines_of_stored_updates(
    s3: S3Client, capsys: pytest.CaptureFixture[str]
) -> None:
    """The filter and the function agree: of a stored, an ignored and a refused request, one line counts."""
    hcl_string = RESOURCES[("aws_cloudwatch_log_metric_filter", "updates_stored")]["pattern"]
    pattern = hcl_string.replace('\\"', '"')  # python-hcl2 keeps the string's escapes
    match = EQUALITY_PATTERN.match(pattern)
    assert match, pattern
    invoke(event(update_body(SEED_UPDATE)))
    invoke(event(update_body(message_update(update_id=124, chat_id=-1))))
    invoke(event(update_body(SEED_UPDATE), secret="wrong-secret-token"))
    lines = log_lines(capsys)
    assert [line["outcome"] for line in lines] == ["stored", "ignored", "rejected"]
    counted = [line for line in lines if str(line.get(match["field"])) == match["value"]]
    assert [line["outcome"] for line in counted] == ["stored"]
    assert s3.list_objects_v2(Bucket="test-raw")["KeyCount"] == 1


def test_no_bucket_keeps_delete_markers_without_versions() -> None:
    """Expiring Athena results leaves a delete marker per result; with versions gone, the marker goes too."""
    storage = load_module(MODULES_DIR / "storage")
    (lifecycle,) = [
        body
        for kind, _, body in labelled_blocks(storage, "resource")
        if kind == "aws_s3_bucket_lifecycle_configuration"
    ]
    rules = {rule["id"]: rule for rule in lifecycle["rule"]}
    noncurrent = rules["expire-noncurrent-versions"]
    assert noncurrent["expiration"] == [{"expired_object_delete_marker": True}], "for every bucket, not only some"
    assert "dynamic" not in noncurrent
    (dynamic_rules,) = [
        block for block in lifecycle["dynamic"] if "rule" in block and "expire-objects" in json.dumps(block)
    ]
    content = dynamic_rules["rule"]["content"][0]
    assert content["expiration"] == [{"days": "${rule.value}"}], "the Athena results' own expiration, in its own rule"
