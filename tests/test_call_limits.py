"""A hung AWS endpoint never outlasts a function: its calls are bounded by the function's own timeout.

An endpoint that accepts connections and never answers is the worst case: before, botocore's 60 s read
timeout, retried, kept the ingest handler waiting for minutes, far past its timeout, so Lambda killed it
with no answer and no log line. Now each call's connect and read timeouts and attempts come from
``FUNCTION_TIMEOUT_SECONDS``, which Terraform sets from the function's ``timeout``: the same number.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ReadTimeoutError
from hypothesis import given
from hypothesis import strategies as st

from functions.common.call_limits import (
    CONTINUE_WAIT_SECONDS,
    CallLimits,
    Deadline,
    OutOfTimeError,
    limits_within,
    retry_waits_seconds,
    usable_seconds,
)
from functions.common.s3client import s3_client
from functions.common.settings import ConfigurationError
from functions.etl import budget as etl_budget
from functions.etl.config import load_settings as load_etl_settings
from functions.etl.handler import lambda_handler as etl_handler
from functions.etl.job import process_day
from functions.ingest import budget as ingest_budget
from functions.ingest.config import load_settings as load_ingest_settings
from functions.ingest.secret import secrets_client
from tests.conftest import ENRICHED_BUCKET, update_body
from tests.etl_support import DAY, put_raw, text_update
from tests.hcl import MODULES_DIR, TERRAFORM_DIR, load_module
from tests.hung_server import hung_server
from tests.ingest_support import event, invoke, log_lines, message_update, stored_keys

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

INGEST_TIMEOUTS = range(ingest_budget.MIN_TIMEOUT_SECONDS, ingest_budget.MAX_TIMEOUT_SECONDS + 1)
ETL_TIMEOUTS = range(etl_budget.MIN_TIMEOUT_SECONDS, etl_budget.MAX_TIMEOUT_SECONDS + 1)

################################################################################
# The arithmetic: every worst case fits
################################################################################


def test_an_ingest_request_ends_before_the_timeout_whatever_the_timeout() -> None:
    """Two Secrets Manager reads and the S3 put, each taking its worst case, still leave the reserve."""
    for timeout in INGEST_TIMEOUTS:
        limits = ingest_budget.ingest_call_limits(timeout)
        assert limits.worst_case_seconds() <= usable_seconds(timeout) < timeout
        assert limits.storage.continue_wait == CONTINUE_WAIT_SECONDS  # the put waits for "100 Continue"
    default = ingest_budget.ingest_call_limits(ingest_budget.DEFAULT_TIMEOUT_SECONDS)
    assert default.storage.max_attempts == 2  # at the default timeout a throttled put is retried once
    assert default.storage.read_timeout >= 1.5


def test_each_etl_call_fits_a_quarter_of_the_timeout_and_at_most_two_minutes() -> None:
    for timeout in ETL_TIMEOUTS:
        limits = etl_budget.etl_call_limits(timeout)
        assert limits.worst_case_seconds() <= min(usable_seconds(timeout) / 4, 120)
    assert etl_budget.etl_call_limits(900) == CallLimits(2.0, 14.0, 5, CONTINUE_WAIT_SECONDS)


@given(seconds=st.floats(1.5, 2000), attempts=st.integers(1, 10), continue_wait=st.sampled_from([0.0, 1.0]))
def test_limits_within_fit_and_use_most_of_the_time(seconds: float, attempts: int, continue_wait: float) -> None:
    limits = limits_within(seconds, attempts, continue_wait)
    assert limits.worst_case_seconds() <= seconds
    assert 1 <= limits.max_attempts <= attempts
    assert 0 < limits.connect_timeout <= 2
    assert 0 < limits.read_timeout <= 30
    if limits.max_attempts < attempts:  # one more attempt would not have fitted with a useful timeout
        more = limits.max_attempts + 1
        assert (seconds - retry_waits_seconds(more)) / more - continue_wait < 1.5


def test_the_worst_case_counts_botocores_longest_waits() -> None:
    """Between attempts botocore sleeps at most min(2**i, 20) s, plus 5 s when asked to (x-amz-retry-after)."""
    assert [retry_waits_seconds(attempts) for attempts in (1, 2, 3, 5, 7)] == [0, 6, 13, 35, 81]
    assert CallLimits(1.0, 2.0, 3, 1.0).worst_case_seconds() == 3 * (1 + 1 + 2) + 13


@pytest.mark.parametrize(
    ("module", "variable", "minimum", "maximum"),
    [
        ("ingest", "timeout", ingest_budget.MIN_TIMEOUT_SECONDS, ingest_budget.MAX_TIMEOUT_SECONDS),
        ("etl", "timeout", etl_budget.MIN_TIMEOUT_SECONDS, etl_budget.MAX_TIMEOUT_SECONDS),
        ("", "etl_timeout", etl_budget.MIN_TIMEOUT_SECONDS, etl_budget.MAX_TIMEOUT_SECONDS),
    ],
)
def test_terraform_accepts_exactly_the_timeouts_the_code_accepts(
    module: str, variable: str, minimum: int, maximum: int
) -> None:
    directory = MODULES_DIR / module if module else TERRAFORM_DIR
    variables = {name: body for block in load_module(directory)["variable"] for name, body in block.items()}
    (validation,) = variables[variable]["validation"]
    bounds = re.fullmatch(
        rf"\$\{{var\.{variable} >= (\d+) && var\.{variable} <= (\d+) && floor\(var\.{variable}\) == var\.{variable}\}}",
        validation["condition"],
    )
    assert bounds, validation["condition"]
    assert (int(bounds[1]), int(bounds[2])) == (minimum, maximum)


def test_terraform_defaults_are_the_codes_defaults() -> None:
    """Run locally without FUNCTION_TIMEOUT_SECONDS, a function sizes its calls as deployed by default."""
    for module, default in (
        ("ingest", ingest_budget.DEFAULT_TIMEOUT_SECONDS),
        ("etl", etl_budget.DEFAULT_TIMEOUT_SECONDS),
    ):
        variables = {
            name: body for block in load_module(MODULES_DIR / module)["variable"] for name, body in block.items()
        }
        assert variables["timeout"]["default"] == default, module


@pytest.mark.parametrize("value", ["4", "30", "0", "-5", "15.5", "٣٠", "1_5", "9" * 5000])
def test_an_ingest_timeout_outside_its_range_is_a_configuration_error(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FUNCTION_TIMEOUT_SECONDS", value)
    with pytest.raises(ConfigurationError, match=r"^environment variable FUNCTION_TIMEOUT_SECONDS must be an integer"):
        load_ingest_settings({"RAW_BUCKET": "b", "ALLOWED_CHAT_IDS": "1", "FUNCTION_TIMEOUT_SECONDS": value})


@pytest.mark.usefixtures("ingest_env")
def test_the_clients_carry_the_limits_of_the_configured_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNCTION_TIMEOUT_SECONDS", "29")
    limits = load_ingest_settings().call_limits
    assert limits == ingest_budget.ingest_call_limits(29)
    for client, expected in (
        (s3_client(limits.storage), limits.storage),
        (secrets_client(limits.secret), limits.secret),
    ):
        config: Any = client.meta.config
        assert (config.connect_timeout, config.read_timeout) == (expected.connect_timeout, expected.read_timeout)
        assert config.retries == {"mode": "standard", "total_max_attempts": expected.max_attempts}


################################################################################
# A hung endpoint
################################################################################


@pytest.fixture
def hung_endpoint() -> Iterator[str]:
    """An endpoint that accepts TCP connections and never answers a byte."""
    with hung_server() as server:
        yield server.url


def within(seconds: float, call: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    """``call``'s result or exception, failing the test if it has not returned after ``seconds``."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((call(), None))
        except Exception as error:  # handed to the test
            outcome.append((None, error))

    worker = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(seconds)
    assert outcome, f"still waiting after {seconds} s (started {time.monotonic() - started:.1f} s ago)"
    result: tuple[Any, BaseException | None] = outcome[0]
    return result


INGEST_TIMEOUT = ingest_budget.MIN_TIMEOUT_SECONDS  # the shortest: the test waits at most that long


@pytest.mark.usefixtures("ingest_env")
def test_a_hung_s3_gets_a_500_and_a_log_line_before_the_ingest_timeout(
    s3: S3Client, hung_endpoint: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Secrets Manager answers (moto); S3 accepts the connection and never answers."""
    monkeypatch.setenv("FUNCTION_TIMEOUT_SECONDS", str(INGEST_TIMEOUT))
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", hung_endpoint)  # botocore's per-service endpoint variable
    capsys.readouterr()

    answer, error = within(INGEST_TIMEOUT, lambda: invoke(event(update_body(message_update(update_id=91)))))

    assert error is None
    assert answer == (500, {"status": "error"})
    [line] = log_lines(capsys)
    assert (line["outcome"], line["reason"]) == ("error", "storage failed: ReadTimeoutError")
    assert line["duration_ms"] < INGEST_TIMEOUT * 1000
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3")
    assert stored_keys(s3) == []


@pytest.mark.usefixtures("ingest_env")
def test_a_hung_secrets_manager_gets_a_500_and_a_log_line_before_the_ingest_timeout(
    hung_endpoint: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FUNCTION_TIMEOUT_SECONDS", str(INGEST_TIMEOUT))
    monkeypatch.setenv("AWS_ENDPOINT_URL", hung_endpoint)

    answer, error = within(INGEST_TIMEOUT, lambda: invoke(event(update_body(message_update(update_id=92)))))

    assert error is None
    assert answer == (500, {"status": "error"})
    [line] = log_lines(capsys)
    assert line["reason"] == "secret unavailable: Secrets Manager: ReadTimeoutError"


@pytest.mark.usefixtures("etl_env")
def test_a_hung_s3_fails_the_etl_before_its_timeout(hung_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    timeout = etl_budget.MIN_TIMEOUT_SECONDS
    monkeypatch.setenv("FUNCTION_TIMEOUT_SECONDS", str(timeout))
    monkeypatch.setenv("AWS_ENDPOINT_URL", hung_endpoint)

    _, error = within(timeout, lambda: etl_handler({"date": DAY}, None))

    assert isinstance(error, ReadTimeoutError | OutOfTimeError), error


################################################################################
# The ETL's deadline: no call starts that might end after the timeout
################################################################################


class SteppingClock:
    """Monotonic time that moves ``step`` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.mark.usefixtures("etl_env")
def test_a_run_out_of_time_stops_before_its_next_call_and_keeps_the_previous_file(s3: S3Client) -> None:
    settings = load_etl_settings()
    for update_id in range(1, 4):
        put_raw(s3, DAY, text_update(update_id))
    client = s3_client(settings.call_limits, settings.max_workers)
    generous = Deadline(float("inf"), settings.call_limits)
    assert process_day(client, settings, date.fromisoformat(DAY), generous).rows_written == 3
    previous = s3.get_object(Bucket=ENRICHED_BUCKET, Key=settings.output_key(DAY))["Body"].read()
    put_raw(s3, DAY, text_update(4))
    # Time enough for the listing, not for the reads after it.
    clock = SteppingClock(step=1.0)
    deadline = Deadline(settings.call_limits.worst_case_seconds() + 1.5, settings.call_limits, clock)

    with pytest.raises(OutOfTimeError, match=rf"^stopped before reading s3://test-raw/telegram/context_date={DAY}/"):
        process_day(client, settings, date.fromisoformat(DAY), deadline)

    assert s3.get_object(Bucket=ENRICHED_BUCKET, Key=settings.output_key(DAY))["Body"].read() == previous


def test_the_deadline_names_what_it_stopped_before_and_the_time_left() -> None:
    limits = CallLimits(1.0, 2.0, 1, 1.0)  # a 4 s worst case
    deadline = Deadline(10.0, limits, clock=lambda: 7.5)
    expected = (
        "stopped before writing s3://b/k: 2.5 s were left before the function's timeout, and an S3 call may take 4.0 s"
    )
    with pytest.raises(OutOfTimeError, match=f"^{re.escape(expected)}$"):
        deadline.check("writing", "b", "k")
    Deadline(10.0, limits, clock=lambda: 6.0).check("writing", "b", "k")  # exactly enough: it may start
    assert Deadline.after(20, limits, started=100.0).expires_at == 100.0 + usable_seconds(20)
