"""A synthetic day of Telegram updates of realistic shape, size and mix, for the benchmarks.

A busy forum supergroup (the demo's "Dados & Café"), a small group and a linked channel, serialised as
Telegram's webhook posts them (``telegram_json``: compact JSON, non-ASCII as UTF-8). Mostly text with
varied words and lengths (so Parquet's dictionaries do not flatter the storage figure), replies that
quote the whole replied message, forum-topic messages, photos and other media with captions,
forwards, service messages; and the other tables' updates: edits, reactions (a user's change and anonymous
totals), member changes; and a few updates no table has (callback queries).

The bodies are a day's raw partition as the ETL reads it: one object per update id (a re-delivery on
the same day overwrites its object), in key order (S3 lists keys in UTF-8 order: ascending ids, for
ids of one length). Duplicates the ETL must drop: a few of the previous day's last updates,
re-delivered after midnight (their ids are in ``earlier_update_ids``, the previous day's partition),
and a few messages that come again under a new update id. Deterministic for a given seed.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from typing import Any

from telegram_datalake.demo.sample_chat import CHANNEL, GROUP, OTHER_GROUP, TELEGRAM, telegram_json, text_entities

DAY_START = 1_767_236_400  # 2026-01-01T00:00 in America/Sao_Paulo
DAY = "2026-01-01"
FIRST_UPDATE_ID = 731_554_120

# What an update is, as weights (about 1,050 in all: the messages' mix of a busy group, plus 8% of updates of
# the other tables). "edit" to "raw_only" make rows of the other tables (or none: raw_only); the last two are
# duplicates the ETL drops; every other kind adds a messages row.
MIX = {
    "text": 560,
    "reply": 140,
    "topic": 50,
    "photo": 55,
    "sticker": 30,
    "voice": 12,
    "video": 8,
    "document": 8,
    "animation": 10,
    "forward": 25,
    "location": 3,
    "service": 4,
    "small_group": 40,
    "channel_post": 15,
    "edit": 30,
    "reaction": 40,
    "reaction_count": 8,
    "member": 5,
    "raw_only": 3,
    "late_redelivery": 3,  # one of the previous day's updates again, after midnight
    "resent": 1,  # the same message under a new update id
}
KINDS, WEIGHTS = list(MIX), list(MIX.values())

VOCABULARY = (
    "bom dia pessoal alguém já usou partition projection no glue tô apanhando aqui terminei migração do pipeline "
    "pra parquet ficou mais rápido qual vocês recomendam orquestração hoje em dia airflow ou dagster real vou "
    "subir notebook repo depois almoço dica zstd compensa muito texto meetup sábado dbt run levou minutos "
    "socorro boa noite gente athena cobra por byte lido então particionar data salva valeu pela ajuda resolvi "
    "calor modelagem dimensional dashboard metabase fuso horário sextou duckdb memória custo s3 mês menor copy "
    "falhando encoding certificação café reunião cancelada código iceberg morning everyone has anyone tried "
    "before just shipped the new ingestion job laptop beats our old cluster for this dataset good point hadn't "
    "thought about time zone quick question do you keep raw json forever expire it here's doc mentioned that's "
    "great tip thanks working late again code review later today is way write up as blog post weekend plans "
    "refactoring etl does know portuguese course trying to up finally loads under second coffee break which "
    "size aim bill dropped after switching yesterday organising kkkkk exatamente concordo lol same "
    "☕ 🚀 😅 🙏 👀 😂 🔥 👍 🎉 🤔 💸 📊 🇧🇷 👨\u200d👩\u200d👧 ção é não"
)
WORDS = VOCABULARY.split(" ")
EXTRAS = ("https://duckdb.org/docs/stable/sql/query_syntax/where", "@anasouza", "#dataengineering", "`SELECT 1`")
FIRST_NAMES = ("Ana", "Bruno", "Carla", "David", "Priya", "Felipe", "Giulia", "João", "Mariana", "Lucas", "Zoë")
LAST_NAMES = ("Souza", "Carvalho", "Miller", "Nair", "Rossi", "Oliveira", "Ferreira", "Müller", None, None)
LANGUAGES = ("pt-br", "pt-br", "pt-br", "en", "en", "it", "es", None)
FILE_CHARS = string.ascii_letters + string.digits + "-_"
EMOJIS = ("👍", "❤", "🔥", "🎉", "😂", "🤔", "👀", "🙏")
TOPIC_ROOT_ID = 48_000


def _user(rng: random.Random, index: int) -> dict[str, Any]:
    """A member: 9 or 10 digit id; last name, username and language code are each sometimes missing."""
    first, last = FIRST_NAMES[index % len(FIRST_NAMES)], rng.choice(LAST_NAMES)
    user: dict[str, Any] = {"id": rng.choice((1, 5, 7)) * 1_000_000_000 + index * 7919, "is_bot": False}
    user["first_name"] = first
    if last:
        user["last_name"] = last
    if rng.random() < 0.8:
        user["username"] = f"{first.lower()}_{index}"
    language = rng.choice(LANGUAGES)
    if language:
        user["language_code"] = language
    return user


@dataclass
class SyntheticDay:
    """The day's raw bodies in delivery order, and what the ETL must make of them."""

    bodies: list[bytes] = field(default_factory=list)
    earlier_update_ids: frozenset[int] = frozenset()  # the previous day's partition
    rows: int = 0  # distinct messages: the rows of the day's messages file
    duplicates: int = 0  # late re-deliveries and re-sent messages, which the ETL drops
    without_row: int = 0  # updates no table has
    table_rows: dict[str, int] = field(  # the rows of the other tables' files
        default_factory=lambda: {"message_edits": 0, "member_events": 0, "reactions": 0}
    )

    @property
    def raw_bytes(self) -> int:
        return sum(map(len, self.bodies))


class _Writer:
    """Hands out update and message ids as Telegram does, and remembers recent messages to reply to."""

    def __init__(self, count: int, seed: int, start_epoch: int) -> None:
        self.rng = random.Random(seed)
        self.count, self.start_epoch = count, start_epoch
        self.users = [_user(self.rng, index) for index in range(60)]
        self.user_weights = [1 / (rank + 1) for rank in range(len(self.users))]  # a few members write most
        self.update_id = FIRST_UPDATE_ID
        self.message_ids = {GROUP["id"]: 48_211, CHANNEL["id"]: 1_305, OTHER_GROUP["id"]: 9_877}
        self.recent: list[dict[str, Any]] = []
        self.topic_root = {
            "message_id": TOPIC_ROOT_ID,
            "from": self.users[0],
            "chat": GROUP,
            "date": start_epoch - 86_400 * 30,
            "message_thread_id": TOPIC_ROOT_ID,
            "forum_topic_created": {"name": "📊 SQL & Athena", "icon_color": 7322096},
            "is_topic_message": True,
        }

    def text(self) -> str:
        """Mostly short messages, a long tail of long ones; sometimes a link, a mention or a hashtag."""
        words = self.rng.choices(WORDS, k=min(300, 1 + int(self.rng.lognormvariate(1.9, 0.9))))
        if self.rng.random() < 0.08:
            words.append(self.rng.choice(EXTRAS))
        text = " ".join(words)
        return text[0].upper() + text[1:]

    def file(self, prefix: str, size: int) -> dict[str, Any]:
        chars = "".join(self.rng.choices(FILE_CHARS, k=56))
        return {"file_id": prefix + chars, "file_unique_id": "AQAD" + chars[:12], "file_size": size}

    def message(self, index: int, kind: str, chat: dict[str, Any] = GROUP) -> dict[str, Any]:
        self.message_ids[chat["id"]] += 1
        sender = self.rng.choices(self.users, weights=self.user_weights)[0]
        message: dict[str, Any] = {"message_id": self.message_ids[chat["id"]], "from": sender, "chat": chat}
        message["date"] = self.start_epoch + index * 86_399 // self.count
        content = self.content(kind)
        message.update(content)
        if "text" in message and (entities := text_entities(message["text"])):
            message["entities"] = entities
        if chat is GROUP and kind in {"text", "photo"}:
            self.recent = [*self.recent[-15:], message]
        return message

    def content(self, kind: str) -> dict[str, Any]:  # noqa: PLR0911 - one branch per kind of message
        rng = self.rng
        caption = {"caption": self.text()} if rng.random() < 0.5 else {}
        if kind == "reply" and self.recent:
            quoted = rng.choice(self.recent)
            return {"text": self.text(), "reply_to_message": quoted}
        if kind == "topic":
            return {
                "message_thread_id": TOPIC_ROOT_ID,
                "is_topic_message": True,
                "reply_to_message": self.topic_root,
                "text": self.text(),
            }
        if kind == "photo":
            sizes = [
                {**self.file("AgACAgEAAxkBAAI", size), "width": width, "height": height}
                for width, height, size in ((90, 68, 1_412), (320, 240, 18_904), (1280, 960, 141_330))
            ]
            return {"photo": sizes, **caption}
        if kind == "sticker":
            thumbnail = {**self.file("AAMCAgADGQEAAg", 5_810), "width": 128, "height": 128}
            sticker = {"width": 512, "height": 512, "emoji": "😂", "set_name": "HotCherry", "is_animated": False}
            return {
                "sticker": {**sticker, "type": "regular", "thumbnail": thumbnail, **self.file("CAACAgIAAxk", 24_486)}
            }
        if kind == "voice":
            return {
                "voice": {"duration": rng.randint(1, 90), "mime_type": "audio/ogg", **self.file("AwACAgEAAxk", 38_912)}
            }
        if kind == "video":
            video = {"duration": rng.randint(3, 300), "width": 1280, "height": 720, "mime_type": "video/mp4"}
            return {"video": {**video, **self.file("BAACAgEAAxk", 4_812_113)}, **caption}
        if kind == "document":
            document = {"file_name": "athena_costs_q3.pdf", "mime_type": "application/pdf"}
            return {"document": {**document, **self.file("BQACAgEAAxkBAAI", 482_113)}, **caption}
        if kind == "animation":
            gif = {"duration": 3, "width": 320, "height": 240, "mime_type": "video/mp4", **self.file("CgACAgQ", 81_240)}
            return {"animation": gif, "document": gif}
        if kind == "forward":
            origin = {"type": "user", "sender_user": rng.choice(self.users), "date": self.start_epoch - 3600}
            return {
                "forward_origin": origin,
                "forward_from": origin["sender_user"],
                "forward_date": origin["date"],
                "text": self.text(),
            }
        if kind == "location":
            return {"location": {"latitude": -23.561414, "longitude": -46.655881}}
        if kind == "service":  # a newcomer (no member update of the day is about them: one row, not merged)
            member = {**rng.choice(self.users), "id": 9_000_000_000 + rng.randrange(10**6)}
            return {"new_chat_participant": member, "new_chat_member": member, "new_chat_members": [member]}
        return {"text": self.text()}

    def update(self, index: int, kind: str) -> dict[str, Any]:  # noqa: PLR0911 - one branch per kind of update
        """The next update of ``kind``."""
        self.update_id += 1
        if kind == "small_group":
            return {"update_id": self.update_id, "message": self.message(index, "text", OTHER_GROUP)}
        if kind == "channel_post":
            post = self.message(index, "text", CHANNEL)
            del post["from"]
            return {"update_id": self.update_id, "channel_post": {**post, "sender_chat": CHANNEL}}
        date = self.start_epoch + index * 86_399 // self.count
        if kind == "edit" and self.recent:
            edited = {**self.rng.choice(self.recent), "edit_date": date}
            return {"update_id": self.update_id, "edited_message": {**edited, "text": self.text()}}
        if kind in {"reaction", "reaction_count", "edit"}:
            return {"update_id": self.update_id, **self.reaction(kind, date)}
        if kind == "member":
            return {"update_id": self.update_id, "chat_member": self.member_change(date)}
        if kind == "raw_only":
            query = {"id": str(self.update_id), "from": TELEGRAM, "chat_instance": "-5171", "data": "vote:yes"}
            return {"update_id": self.update_id, "callback_query": query}
        return {"update_id": self.update_id, "message": self.message(index, kind)}

    def reaction(self, kind: str, date: int) -> dict[str, Any]:
        """A member's change of reactions to a recent message, or a channel post's anonymous totals."""
        rng = self.rng
        if kind == "reaction_count":
            counts = [
                {"type": {"type": "emoji", "emoji": emoji}, "total_count": rng.randint(1, 40)}
                for emoji in rng.sample(EMOJIS, rng.randint(0, 3))
            ]
            target = {"chat": CHANNEL, "message_id": self.message_ids[CHANNEL["id"]], "date": date}
            return {"message_reaction_count": {**target, "reactions": counts}}
        old, new = (
            [{"type": "emoji", "emoji": emoji} for emoji in rng.sample(EMOJIS, rng.randint(0, 2))] for _ in range(2)
        )
        message_id = rng.choice(self.recent)["message_id"] if self.recent else self.message_ids[GROUP["id"]]
        user = rng.choices(self.users, weights=self.user_weights)[0]
        change = {"chat": GROUP, "message_id": message_id, "user": user, "date": date}
        return {"message_reaction": {**change, "old_reaction": old, "new_reaction": new}}

    def member_change(self, date: int) -> dict[str, Any]:
        """Someone joining (sometimes by a named invite link) or leaving the group."""
        user = self.rng.choice(self.users)
        joining = self.rng.random() < 0.6
        statuses = ("left", "member") if joining else ("member", "left")
        change: dict[str, Any] = {"chat": GROUP, "from": user, "date": date}
        change["old_chat_member"] = {"status": statuses[0], "user": user}
        change["new_chat_member"] = {"status": statuses[1], "user": user}
        if joining and self.rng.random() < 0.3:
            link = {"invite_link": "https://t.me/+Ab3dE5gH1jK9", "creator": self.users[0], "name": "meetup"}
            change["invite_link"] = {**link, "creates_join_request": False, "is_primary": False, "is_revoked": False}
        return change


def _count_other_rows(day: SyntheticDay, update: dict[str, Any]) -> None:
    """Add the rows an update that is not a message gives the other tables (none: a raw-only update)."""
    if "edited_message" in update:
        day.table_rows["message_edits"] += 1
    elif "chat_member" in update:
        day.table_rows["member_events"] += 1
    elif "message_reaction" in update:
        change = update["message_reaction"]
        old, new = ({item["emoji"] for item in change[side]} for side in ("old_reaction", "new_reaction"))
        day.table_rows["reactions"] += len(old ^ new)
    elif "message_reaction_count" in update:
        day.table_rows["reactions"] += max(1, len(update["message_reaction_count"]["reactions"]))
    else:
        day.without_row += 1


def synthetic_day(count: int, seed: int = 7, start_epoch: int = DAY_START) -> SyntheticDay:
    """``count`` raw bodies of one day, in key order, with the rows the ETL must write."""
    writer = _Writer(count, seed, start_epoch)
    # The previous day had as many updates; its last ones are re-delivered today, newest first.
    day = SyntheticDay(earlier_update_ids=frozenset(range(FIRST_UPDATE_ID - count + 1, FIRST_UPDATE_ID + 1)))
    late_id = FIRST_UPDATE_ID
    previous: dict[str, Any] | None = None  # the last update with a row, to re-send
    updates: list[tuple[int, bytes]] = []
    for index, kind in enumerate(writer.rng.choices(KINDS, weights=WEIGHTS, k=count)):
        if kind == "late_redelivery":
            message = writer.message(index, "text")
            message["date"] = start_epoch - 1 - (FIRST_UPDATE_ID - late_id)
            updates.append((late_id, telegram_json({"update_id": late_id, "message": message})))
            late_id -= 1
        elif kind == "resent" and previous is not None:
            writer.update_id += 1
            updates.append((writer.update_id, telegram_json({**previous, "update_id": writer.update_id})))
        else:
            update = writer.update(index, "text" if kind == "resent" else kind)
            updates.append((update["update_id"], telegram_json(update)))
            if "message" in update or "channel_post" in update:
                previous = update
                day.rows += 1
                day.table_rows["member_events"] += kind == "service"
            else:
                _count_other_rows(day, update)
            continue
        day.duplicates += 1
    updates.sort(key=lambda update: str(update[0]))  # the keys' order, as the ETL lists them
    day.bodies = [body for _, body in updates]
    return day
