"""``report``: the page's numbers are the saved queries' rows (run by ``query run`` on the same lake), one
chat per report, an empty period said plainly, and the Telegram summary posted through a fake Bot API with
the token nowhere in the output. The browser's view of the page is ``test_report_browser``'s and the demo's."""

from __future__ import annotations

import json
import logging
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from telegram_datalake.report.build import REPORT_QUERIES
from telegram_datalake.saved_queries import get_query, render
from tests.athena_stub import WORKGROUP, running_athena_stub
from tests.cli_support import Run, cli
from tests.fake_bot_api import TOKEN, FakeBotApi, Matching, failure, ok
from tests.sql_expected import GROUP_CHAT
from tests.sql_samples import CHANNEL_ID, CLUB_ID, GROUP_ID, TIMEZONE, day, week, write_lake

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ANY_PNG = {"filename": "chart.png", "content_type": "image/png", "content": Matching("(?s)\x89PNG\r\n\x1a\n.+")}


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("enriched")
    write_lake(root)
    return root


class Tables(HTMLParser):
    """Each section's numbers table (its id is the saved query's name) as rows of cell texts, the headline
    figures, and every figure and empty-section note."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, list[list[str]]] = {}
        self.columns: dict[str, list[str]] = {}
        self.headline: dict[str, str] = {}
        self.figures = 0
        self.empty: list[str] = []
        self._section = ""
        self._cell: list[str] | None = None
        self._tag = ""
        self._term = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag = tag
        if tag == "section":
            self._section = dict(attrs)["id"] or ""
            self.sections[self._section] = []
            self.columns[self._section] = []
        elif tag == "tr" and self._section:
            self.sections[self._section].append([])
        elif tag in {"td", "th", "dt", "dd"} or (tag == "p" and ("class", "empty") in attrs):
            self._cell = []
        elif tag == "figure":
            self.figures += 1

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._cell is None or tag not in {"td", "th", "dt", "dd", "p"}:
            return
        text, self._cell = "".join(self._cell), None
        if tag == "td":
            self.sections[self._section][-1].append(text)
        elif tag == "th":
            self.columns[self._section].append(text)
        elif tag == "dt":
            self._term = text
        elif tag == "dd":
            self.headline[self._term] = text
        else:
            self.empty.append(text)

    def rows(self, name: str) -> list[list[str]]:
        return [row for row in self.sections[name] if row]  # the header row has no <td>


def read_page(path: Path) -> Tables:
    parser = Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def shown(value: Any) -> str:
    """A value of ``query run --format json`` as the page shows it."""
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    return str(value)


def report(capsys: pytest.CaptureFixture[str], lake: Path, output: Path, *args: str) -> Run:
    return cli(capsys, "report", "--engine", "duckdb", "--parquet-dir", str(lake), "--output", str(output), *args)


def query_run(capsys: pytest.CaptureFixture[str], lake: Path, name: str, *period: str) -> list[dict[str, Any]]:
    run = cli(
        capsys, "query", "run", name, "--engine", "duckdb", "--parquet-dir", str(lake), "--format", "json", *period
    )
    assert run.code == 0, run.err
    rows: list[dict[str, Any]] = json.loads(run.out)
    return rows


@pytest.mark.parametrize(
    "case",
    [(GROUP_ID, day(45), day(0)), (CLUB_ID, week(11), day(0)), (GROUP_ID, day(3), day(1))],
    ids=["the group's six weeks", "the club's ten weeks", "three days of the group"],
)
def test_every_number_on_the_page_is_a_saved_querys_row(
    capsys: pytest.CaptureFixture[str], lake: Path, tmp_path: Path, case: tuple[int, date, date]
) -> None:
    chat, first, last = case
    period = ["--from", first.isoformat(), "--to", last.isoformat(), f"--chat-id={chat}"]
    run = report(capsys, lake, tmp_path / "report.html", *period, "--timezone", TIMEZONE)
    assert run.code == 0, run.err
    page = read_page(tmp_path / "report.html")
    assert list(page.sections) == list(REPORT_QUERIES)
    charted = 0
    for name in REPORT_QUERIES:
        expected = query_run(capsys, lake, name, *period)
        assert {row["chat_id"] for row in expected} <= {chat}
        assert page.rows(name) == [[shown(value) for value in list(row.values())[2:]] for row in expected], name
        if expected:
            assert page.columns[name] == list(expected[0])[2:]
            charted += 1
    assert page.figures == charted  # a chart for each query with rows, a note for the others
    assert len(page.empty) == len(REPORT_QUERIES) - charted
    messages = query_run(capsys, lake, "report_messages_per_day", *period)
    assert page.headline["messages"] == f"{sum(row['message_count'] for row in messages):,}"
    assert f" {charted} charts)" in run.out


def test_the_group_reports_its_title_period_and_headline(
    capsys: pytest.CaptureFixture[str], lake: Path, tmp_path: Path
) -> None:
    output = tmp_path / "nested" / "report.html"
    run = report(
        capsys, lake, output, "--from", day(3).isoformat(), "--to", day(1).isoformat(), f"--chat-id={GROUP_ID}"
    )
    assert run.code == 0, run.err
    text = output.read_text(encoding="utf-8")
    title = GROUP_CHAT[1].replace("&", "&amp;")
    period = f"{day(3).isoformat()} to {day(1).isoformat()} (America/Sao_Paulo days), chat {GROUP_ID}"
    assert f"<title>{title}: {period}</title>" in text
    assert f"<h1>{title}</h1><p>{period}</p>" in text
    assert read_page(output).headline == {
        "messages": "13",
        "days with messages": "3 of 3",
        "busiest day": f"{day(2).isoformat()} (5)",
        "members joined": "0",
        "members left": "2",
    }
    size = len(text.encode()) / 1024
    assert run.out == f"report: wrote {output} ({size:,.0f} KB, 7 charts) for {GROUP_CHAT[1]}, {period}\n"
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)  # nothing to fetch
    commands = re.findall(r"The same rows: <code>([^<]+)</code>", text)
    assert commands == [
        f"telegram-datalake query run {name} --engine duckdb --from {day(3).isoformat()} --to {day(1).isoformat()} "
        f"--chat-id={GROUP_ID} --parquet-dir {lake}"
        for name in REPORT_QUERIES
    ]
    assert output.stat().st_mode & 0o044  # readable like any file the user writes, not a temporary file's 0600


def test_without_a_chat_the_period_must_hold_one(
    capsys: pytest.CaptureFixture[str], lake: Path, tmp_path: Path
) -> None:
    output = tmp_path / "report.html"
    run = report(capsys, lake, output, "--from", day(10).isoformat(), "--to", day(1).isoformat())
    assert run.code == 2
    assert run.err.splitlines()[-1] == (
        f"telegram-datalake: error: the period has messages in 3 chats: pass --chat-id=ID for one of "
        f"{GROUP_ID} ({GROUP_CHAT[1]}), {CLUB_ID} (Clube), {CHANNEL_ID} (Avisos)"
    )
    assert not output.exists()
    single = report(capsys, lake, output, "--from", day(2).isoformat(), "--to", day(1).isoformat())
    assert single.code == 0, single.err  # only the group wrote on those days: its report
    assert f"for {GROUP_CHAT[1]}, {day(2).isoformat()} to {day(1).isoformat()}" in single.out
    assert f"--chat-id={GROUP_ID}" in output.read_text(encoding="utf-8")  # each section's query run command


def test_an_empty_period_says_so_instead_of_drawing(
    capsys: pytest.CaptureFixture[str], lake: Path, tmp_path: Path
) -> None:
    output = tmp_path / "report.html"
    run = report(capsys, lake, output, "--from", "2020-01-01", "--to", "2020-01-31", f"--chat-id={GROUP_ID}")
    assert run.code == 0, run.err
    page = read_page(output)
    assert page.figures == 0
    assert page.sections == {}
    period = f"2020-01-01 to 2020-01-31 (America/Sao_Paulo days), chat {GROUP_ID}"
    assert page.empty == [f"No messages in {period}: there is nothing to chart."]
    assert f" 0 charts) for Chat {GROUP_ID}, {period}" in run.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--from", "2026-02-01", "--to", "2026-01-01"],
            "--from 2026-02-01 is after --to 2026-01-01: give the earlier day first",
        ),
        (["--from", "2026-02-30"], "--from 2026-02-30 is not a real calendar date"),
        (["--to", "yesterday"], "--to must be a date formatted YYYY-MM-DD, got 'yesterday'"),
        (["--timezone", "Mars/Olympus"], "--timezone must be an IANA time zone name, got 'Mars/Olympus'"),
        (["--workgroup", "primary"], "--workgroup only apply to --engine athena"),
    ],
)
def test_bad_options_are_one_line_errors_and_write_nothing(
    capsys: pytest.CaptureFixture[str], lake: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    output = tmp_path / "report.html"
    run = report(capsys, lake, output, *args)
    assert run.code == 2
    assert run.err == f"telegram-datalake: error: {message}\n"
    assert not output.exists()


def test_a_chat_id_that_is_not_a_number_is_refused(
    capsys: pytest.CaptureFixture[str], lake: Path, tmp_path: Path
) -> None:
    run = report(capsys, lake, tmp_path / "report.html", "--chat-id", "dados")
    assert run.code == 2
    assert "argument --chat-id: must be an integer chat id (a supergroup's starts with -100), got 'dados'" in run.err


# ---------------------------------------------------------------------------------------------------------------
# The Telegram summary


def test_the_summary_is_posted_as_a_photo_with_its_caption_and_the_token_stays_out(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, lake: Path, tmp_path: Path, fake: FakeBotApi
) -> None:
    caplog.set_level(logging.DEBUG)
    period = ["--from", day(3).isoformat(), "--to", day(1).isoformat(), f"--chat-id={GROUP_ID}"]
    caption = "\n".join(
        [
            "<b>Dados &amp; Cia</b>",
            f"{day(3).isoformat()} to {day(1).isoformat()} (America/Sao_Paulo days), chat {GROUP_ID}",
            "",
            "Messages: 13",
            "Days with messages: 3 of 3",
            f"Busiest day: {day(2).isoformat()} (5)",
            "Members joined: 0",
            "Members left: 2",
            "Most active: Andre (5), Bia (5), Carlos (3)",
        ]
    )
    sent = {"message_id": 99, "chat": {"id": -100777, "type": "supergroup"}, "photo": [], "caption": caption}
    fake.expect(
        "sendPhoto", {"chat_id": "-100777", "caption": caption, "parse_mode": "HTML", "photo": ANY_PNG}, ok(sent)
    )
    run = report(capsys, lake, tmp_path / "report.html", *period, "--telegram-summary=-100777")
    assert run.code == 0, run.err
    assert run.out.splitlines()[-1] == "report: posted the summary to chat -100777 (message 99)"
    [request] = fake.requests
    photo = request.parameters["photo"]["content"].encode("latin-1")
    assert photo.startswith(PNG_MAGIC)
    for text in (run.out, run.err, caplog.text):
        assert TOKEN not in text
        assert TOKEN.split(":")[1] not in text


def test_a_summary_telegram_refuses_is_a_one_line_error_after_the_page_is_written(
    capsys: pytest.CaptureFixture[str], lake: Path, tmp_path: Path, fake: FakeBotApi
) -> None:
    period = ["--from", day(3).isoformat(), "--to", day(1).isoformat(), f"--chat-id={GROUP_ID}"]
    parameters = {"chat_id": "-100777", "caption": Matching("(?s).+"), "parse_mode": "HTML", "photo": ANY_PNG}
    fake.expect("sendPhoto", parameters, failure(400, f"Bad Request: chat not found ({TOKEN})"))
    output = tmp_path / "report.html"
    run = report(capsys, lake, output, *period, "--telegram-summary=-100777")
    assert run.code == 2
    assert run.err.splitlines()[-1].startswith("telegram-datalake: error: ")
    assert "chat not found" in run.err.splitlines()[-1]
    assert TOKEN not in run.err + run.out
    assert output.exists()  # the page does not depend on Telegram


def test_without_a_token_nothing_runs(
    capsys: pytest.CaptureFixture[str], lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    output = tmp_path / "report.html"
    run = report(capsys, lake, output, "--telegram-summary=-100777")
    assert run.code == 2
    assert run.err.startswith("telegram-datalake: error: ")
    assert "TELEGRAM_BOT_TOKEN" in run.err
    assert not output.exists()  # the token is checked before any query runs


def test_an_empty_period_posts_nothing(
    capsys: pytest.CaptureFixture[str], lake: Path, tmp_path: Path, fake: FakeBotApi
) -> None:
    period = ["--from", "2020-01-01", "--to", "2020-01-02", f"--chat-id={GROUP_ID}"]
    run = report(capsys, lake, tmp_path / "report.html", *period, "--telegram-summary=-100777")
    assert run.code == 0, run.err
    assert "no messages in the period, so no summary was posted to Telegram" in run.err
    assert fake.requests == []


# ---------------------------------------------------------------------------------------------------------------
# On Athena (moto: the rows are queued, the SQL and its ExecutionParameters recorded)

CHAT = [("chat_id", "bigint"), ("chat_title", "varchar")]
ATHENA_RESULTS: list[tuple[str, list[tuple[str, str]], list[list[str | None]]]] = [
    (
        "report_messages_per_day",
        [*CHAT, ("context_date", "date"), ("message_count", "bigint"), ("active_users", "bigint")],
        [["-100123", "Dados", "2026-01-01", "3", "2"], ["-100123", "Dados", "2026-01-03", "15", "3"]],
    ),
    (
        "report_activity_by_weekday_and_hour",
        [*CHAT, ("weekday", "integer"), ("hour_of_day", "integer"), ("message_count", "bigint")],
        [["-100123", "Dados", "4", "9", "8"], ["-100123", "Dados", "6", "21", "10"]],
    ),
    (
        "report_top_members",
        [*CHAT, ("user_id", "bigint"), ("user_first_name", "varchar"), ("message_count", "bigint")],
        [["-100123", "Dados", "7", "Ana", "12"], ["-100123", "Dados", "8", None, "6"]],
    ),
    (
        "report_message_types",
        [*CHAT, ("message_type", "varchar"), ("message_count", "bigint")],
        [["-100123", "Dados", "text", "18"]],
    ),
    (
        "report_message_length_per_day",
        [*CHAT, ("context_date", "date"), ("text_messages", "bigint"), ("average_message_length", "integer")],
        [["-100123", "Dados", "2026-01-01", "3", "12"]],
    ),
    (
        "report_member_growth_per_day",
        [
            *CHAT,
            ("context_date", "date"),
            ("members_joined", "bigint"),
            ("members_left", "bigint"),
            ("net_change", "bigint"),
        ],
        [],
    ),
    (
        "report_retention_by_join_week",
        [*CHAT, ("join_week", "date"), ("joined", "bigint"), *((f"week_{n}_share", "double") for n in range(1, 5))],
        [["-100123", "Dados", "2025-12-29", "3", "0.667", "0.333", None, None]],
    ),
    (
        "report_most_reacted_messages",
        [
            *CHAT,
            ("message_id", "bigint"),
            ("context_date", "date"),
            ("user_id", "bigint"),
            ("user_first_name", "varchar"),
            ("message_text", "varchar"),
            ("reaction_count", "bigint"),
        ],
        [["-100123", "Dados", "41", "2026-01-03", "7", "Ana", "Bom dia <b>!</b>", "4"]],
    ),
]


def test_on_athena_each_query_runs_in_the_workgroup_with_the_period_and_the_chat_it_found(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output = tmp_path / "report.html"
    names = ["--database", "telegram_datalake", "--table", "telegram", "--workgroup", WORKGROUP]
    with running_athena_stub() as athena:
        for _, columns, rows in ATHENA_RESULTS:
            athena.queue_result(columns, rows)
        run = cli(capsys, "report", "--output", str(output), *names, "--from", "2026-01-01", "--to", "2026-01-03")
        executions = athena.executions()
    assert run.code == 0, run.err
    assert [execution["Query"] for execution in executions] == [
        render(get_query(name).template, database="telegram_datalake", table="telegram", timezone=TIMEZONE)
        for name, _, _ in ATHENA_RESULTS
    ]
    # The first query finds the period's only chat; the others are asked for that chat.
    assert [execution["ExecutionParameters"] for execution in executions] == [
        ["'2026-01-01'", "'2026-01-03'", "NULL", "NULL"],
        *[["'2026-01-01'", "'2026-01-03'", "-100123", "-100123"]] * 7,
    ]
    assert {execution["WorkGroup"] for execution in executions} == {WORKGROUP}
    page = read_page(output)
    for name, _, rows in ATHENA_RESULTS:
        assert page.rows(name) == [[shown(athena_value(value)) for value in row[2:]] for row in rows], name
    assert page.figures == 7  # member growth had no rows: a note instead
    assert "report: wrote" in run.out
    assert "Bom dia &lt;b&gt;!&lt;/b&gt;" in output.read_text(encoding="utf-8")


def athena_value(text: str | None) -> Any:
    """A cell as the CLI types it from Athena's metadata: integers and shares as numbers."""
    if text is None:
        return None
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    return text
