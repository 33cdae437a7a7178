"""A generated week of a Telegram supergroup, as the webhook deliveries Telegram would make: the demo's input.

"Dados & Café" is a Brazilian data-engineering forum supergroup with a linked announcements channel.
Over seven days that end on ``last_day`` its members write in Portuguese and English, with emoji,
replies, photos, a sticker, a voice note, a document, a location and a poll; an admin opens a forum
topic, members join and leave (a spam bot is banned, a member promoted), an anonymous admin posts, the
channel's posts are forwarded into the group, messages are edited, members react to messages and readers to
the channel's posts, and the archive bot is promoted. Telegram re-delivers one update,
the bot also sits in a chat that is not allowed, someone forges a request without the secret and one
body arrives truncated.

Everything follows the Bot API's objects (https://core.telegram.org/bots/api#update): ``Update``,
``Message``, ``User``, ``Chat``, ``PhotoSize``, ``Sticker``, ``ChatMemberUpdated``, ``MessageOrigin``,
``MessageReactionUpdated``... (bot_api_objects.py builds the membership and reaction ones).

The content is fixed by the seed; only the timestamps depend on ``last_day`` and the time zone, so
the counts are the same on every run.
"""

from __future__ import annotations

import json
import random
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any, Literal
from zoneinfo import ZoneInfo

from telegram_datalake.demo.bot_api_objects import invite_link, member_updated, reaction_count_updated, reaction_updated

SEED = 20240917
DAYS = 7
FIRST_UPDATE_ID = 731_554_120
ROW_UPDATE_TYPES = ("message", "channel_post")  # the update types the ETL turns into rows

Expected = Literal["stored", "ignored", "rejected"]

# What a delivery shows; the demo groups its outcomes by these.
ALLOWED_UPDATE = "allowed chats: messages, edits, channel posts, member changes, reactions"
REDELIVERY = "the same update again (Telegram retried): overwrites its object"
OTHER_CHAT = "a chat that is not in ALLOWED_CHAT_IDS"
NO_CHAT = "no chat: a poll's new vote counts"
WRONG_SECRET = "forged: wrong X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a description
MALFORMED = "a truncated body"

GROUP: dict[str, Any] = {
    "id": -1001873245190,
    "title": "Dados & Café ☕",
    "username": "dadosecafe",
    "is_forum": True,
    "type": "supergroup",
}
CHANNEL: dict[str, Any] = {
    "id": -1001560982234,
    "title": "Dados & Café — Avisos",
    "username": "dadosecafe_avisos",
    "type": "channel",
}
OTHER_GROUP: dict[str, Any] = {"id": -4123987650, "title": "Churrasco de sábado 🥩", "type": "group"}

ANA = {
    "id": 184273915,
    "is_bot": False,
    "first_name": "Ana",
    "last_name": "Souza",
    "username": "anasouza",
    "language_code": "pt-br",
}
BRUNO = {
    "id": 297118604,
    "is_bot": False,
    "first_name": "Bruno",
    "last_name": "Carvalho",
    "username": "brunoc",
    "language_code": "pt-br",
}
CARLA = {"id": 5120447381, "is_bot": False, "first_name": "Carla", "username": "carla_dados", "language_code": "pt-br"}
DAVID = {
    "id": 1093556212,
    "is_bot": False,
    "first_name": "David",
    "last_name": "Miller",
    "username": "dmiller",
    "language_code": "en",
}
PRIYA = {
    "id": 6411902377,
    "is_bot": False,
    "first_name": "Priya",
    "last_name": "Nair",
    "username": "priya_n",
    "language_code": "en",
}
FELIPE = {"id": 438870129, "is_bot": False, "first_name": "Felipe", "language_code": "pt-br"}
GIULIA = {
    "id": 7002315448,
    "is_bot": False,
    "first_name": "Giulia",
    "last_name": "Rossi",
    "username": "giuliarossi",
    "language_code": "it",
}
LUCAS = {"id": 5533019876, "is_bot": False, "first_name": "Lucas", "username": "lucas_bi", "language_code": "pt-br"}
SPAM_BOT = {"id": 6120994410, "is_bot": False, "first_name": "Crypto Giveaway 💰"}
REACTION_EMOJIS = ("👍", "👍", "🔥", "❤", "😂", "🎉", "👀", "🙏")
# Anonymous admins post as this bot, with the group itself as sender_chat.
ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
# The sender of a linked channel's posts that Telegram forwards into the group.
TELEGRAM = {"id": 777000, "is_bot": False, "first_name": "Telegram"}
ARCHIVE_BOT = {
    "id": 7488120554,
    "is_bot": True,
    "first_name": "Dados & Café Arquivo",
    "username": "dadoscafe_arquivo_bot",
}

MEMBERS = (ANA, BRUNO, CARLA, DAVID, PRIYA, FELIPE)
MEMBER_WEIGHTS = (18, 16, 14, 12, 10, 7)
GIULIA_WEIGHT = 9
JOIN_DAY = 2
TOPIC_NAME = "📊 SQL & Athena"

# Messages per hour of the day (local time), roughly: quiet mornings, busy lunch and evenings.
HOUR_WEIGHTS = {
    7: 2, 8: 5, 9: 8, 10: 9, 11: 9, 12: 11, 13: 10, 14: 8, 15: 7, 16: 7,
    17: 8, 18: 9, 19: 10, 20: 11, 21: 10, 22: 7, 23: 3,
}  # fmt: skip
LAST_HOUR = max(HOUR_WEIGHTS)
# What an ordinary message is, in percent; replies and topic messages fall back to text when impossible.
ORDINARY_KINDS = {"text": 68, "reply": 14, "topic": 12, "photo": 4, "sticker": 2}
ENGLISH_SPEAKERS_PORTUGUESE = 0.15  # how often the English speakers try Portuguese

PORTUGUESE = (
    "Bom dia, pessoal! ☕",
    "Alguém já usou partition projection no Glue? Tô apanhando aqui 😅",
    "Terminei a migração do pipeline pra Parquet, ficou 10x mais rápido 🚀",
    "Qual vocês recomendam pra orquestração hoje em dia: Airflow ou Dagster?",
    "kkkkkkk real",
    "Vou subir o notebook no repo depois do almoço",
    "Dica: ZSTD no Parquet compensa muito pra texto 👀",
    "Alguém vai no meetup de sábado? 🙋‍♀️",
    "Hoje o dbt run levou 40 minutos… socorro 🫠",
    "Boa noite, gente! 🌙",
    "Athena cobra por byte lido, então particionar por data salva muito 💸",
    "Valeu pela ajuda, resolvi! 🙏",
    "Que calor hoje em SP 🥵",
    "Alguém tem material bom sobre modelagem dimensional?",
    "Fiz um dashboard novo no Metabase, depois mostro",
    "Acho que o problema era o fuso horário 🤦‍♂️ America/Sao_Paulo strikes again",
    "Sextou! 🎉",
    "Eu uso DuckDB pra tudo que cabe na memória 🦆",
    "O custo do S3 esse mês veio bem menor 👏",
    "Alguém sabe por que o COPY tá falhando com encoding?",
    "Tô estudando pra certificação de dados da AWS 📚",
    "Café passado na hora é outro nível ☕☕",
    "Olha esse artigo: https://duckdb.org/2024/03/29/external-aggregation",
    "Reunião cancelada, voltando pro código 💻",
    "Alguém manja de Iceberg? #iceberg #lakehouse",
)
ENGLISH = (
    "Morning everyone! 👋",
    "Has anyone tried Athena's partition projection with dates before 2020?",
    "Just shipped the new ingestion job 🚢",
    "DuckDB on a laptop beats our old cluster for this dataset 😂",
    "Good point, I hadn't thought about the time zone",
    "Quick question: do you keep raw JSON forever or expire it?",
    "Here's the doc I mentioned: https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html",
    "That's a great tip, thanks! 🙌",
    "Working late again 🌚",
    "Anyone up for a code review later today?",
    "Parquet + zstd is the way 🔥",
    "I'll write it up as a blog post #dataengineering",
    "lol same",
    "Weekend plans: refactoring the ETL 🤓",
    "Does anyone know a good Portuguese course? Trying to keep up here 🇧🇷",
    "The dashboard finally loads in under a second ⚡",
    "Coffee break ☕",
    "Which partition size do you aim for? 128 MB?",
    "Our S3 bill dropped after switching to Parquet 📉",
    "Great meetup yesterday, thanks for organising! 🙏",
)
REPLIES_PT = (
    "Concordo 100%",
    "Boa! 👏",
    "Também tive esse problema, era permissão no bucket",
    "Usa o EXPLAIN que ajuda a ver o scan",
    "kkkkk exatamente",
    "Manda o link depois? 🙏",
    "Verdade, não tinha pensado nisso 🤔",
    "Eu vou! 🙋‍♂️",
)
REPLIES_EN = (
    "Agreed 💯",
    "Nice one! 🎯",
    "Same here, it was the IAM policy",
    "Try EXPLAIN ANALYZE, it shows the scan",
    "Can you share the link? 🙏",
    "Good question 🤔",
    "Count me in!",
)
TOPIC_TEXTS = (
    "Tópico novo pra dúvidas de SQL e Athena 👇",
    "Pergunta: como vocês fazem o GROUP BY por hora no fuso de SP no Athena?",
    "`AT TIME ZONE 'America/Sao_Paulo'` e depois `hour(...)` 👍",
    "Does count(DISTINCT ...) get expensive on Athena?",
    "Dica: sempre filtrem pela partição context_date 💸",
    "Query que eu uso pra top usuários dos últimos 30 dias, funciona bem",
    "approx_distinct is much cheaper if you can live with ~2% error",
    "Alguém já comparou o custo Athena vs DuckDB local?",
    "Window functions in Athena are fine, just watch the memory",
)
WELCOME_TEXT = "Bom dia! A partir de hoje o @dadoscafe_arquivo_bot guarda o histórico do grupo 📚"
CHANNEL_POSTS = (
    "📰 Newsletter #41: custos de Athena, DuckDB 1.1 e vagas da semana",
    "🎙️ Gravação do meetup de agosto já está no YouTube",
    "📣 Meetup presencial sábado, 15h, Pinheiros. Vagas limitadas!",
)
PHOTO_CAPTIONS = (
    "Whiteboard from today's session 📸",
    "O setup novo ficou assim 😍",
    "Gráfico de custo do mês 📉",
    None,
    "Café da firma ☕",
    "Diagram of the pipeline, feedback welcome",
)
STICKERS = (("😂", "HotCherry"), ("👍", "UtyaDuck"), ("🔥", "Animals"), ("☕", "CoffeeTime"))
FILE_ID_ALPHABET = string.ascii_letters + string.digits + "-_"
_ENTITY = re.compile(r"(?P<url>https?://\S+)|(?P<mention>@\w+)|(?P<hashtag>#\w+)|(?P<code>`[^`]+`)")


@dataclass(frozen=True, slots=True)
class Delivery:
    """One webhook call Telegram would make: the body, its secret, when it arrives and what must happen."""

    body: bytes
    received_at: datetime  # when the request reaches the webhook (UTC); decides the update's day partition
    expected: Expected
    expected_status: int = 200
    right_secret: bool = True
    what: str = ALLOWED_UPDATE

    def update(self) -> dict[str, Any] | None:
        """The body as an update, or None when it is not one (the malformed delivery)."""
        try:
            update = json.loads(self.body)
        except ValueError:
            return None
        return update if isinstance(update, dict) else None


@dataclass(frozen=True)
class SampleChat:
    """The generated week: its days (oldest first), the deliveries in arrival order, the chats they concern."""

    timezone: str
    days: tuple[date, ...]
    deliveries: tuple[Delivery, ...]

    @property
    def allowed_chat_ids(self) -> str:
        """``ALLOWED_CHAT_IDS`` for the sample: the group and its linked channel (not the other group)."""
        return f"{GROUP['id']},{CHANNEL['id']}"

    def day_of(self, delivery: Delivery) -> str:
        """The partition (``YYYY-MM-DD`` in the pipeline's time zone) the delivery's arrival belongs to."""
        return delivery.received_at.astimezone(ZoneInfo(self.timezone)).date().isoformat()

    def expected_raw_objects(self) -> dict[str, set[int]]:
        """The update ids that must be stored, per day: one object each, whatever the number of deliveries."""
        objects: dict[str, set[int]] = {day.isoformat(): set() for day in self.days}
        for delivery in self.deliveries:
            update = delivery.update()
            if delivery.expected == "stored" and update is not None:
                objects[self.day_of(delivery)].add(update["update_id"])
        return objects

    def expected_rows_per_day(self) -> dict[str, int]:
        """The rows the ETL must write per day: one per stored message or channel post; edits add none."""
        rows: dict[str, set[int]] = {day.isoformat(): set() for day in self.days}
        for delivery in self.deliveries:
            update = delivery.update()
            if delivery.expected == "stored" and update is not None and any(k in update for k in ROW_UPDATE_TYPES):
                rows[self.day_of(delivery)].add(update["update_id"])
        return {day: len(ids) for day, ids in rows.items()}


def telegram_json(update: Mapping[str, Any]) -> bytes:
    """An update serialised as Telegram's webhook posts it: compact JSON, non-ASCII as UTF-8."""
    return json.dumps(update, ensure_ascii=False, separators=(",", ":")).encode()


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def text_entities(text: str) -> list[dict[str, Any]]:
    """The ``MessageEntity`` list Telegram adds to a text: URLs, mentions, hashtags, code (UTF-16 offsets)."""
    entities: list[dict[str, Any]] = []
    for match in _ENTITY.finditer(text):
        kind = match.lastgroup or "url"
        entities.append(
            {
                "offset": _utf16_length(text[: match.start()]),
                "length": _utf16_length(match.group()),
                "type": kind,
            }
        )
    return entities


class _ChatWriter:
    """Builds the week's deliveries in time order, handing out update and message ids as Telegram does."""

    def __init__(self, rng: random.Random, zone: ZoneInfo) -> None:
        self.rng, self.zone = rng, zone
        self.deliveries: list[Delivery] = []
        self.next_update_id = FIRST_UPDATE_ID
        self.next_message_id = {GROUP["id"]: 48_211, CHANNEL["id"]: 1_305, OTHER_GROUP["id"]: 9_877}
        self.recent: list[dict[str, Any]] = []  # the group's latest messages in General, for replies
        self.topic_root: dict[str, Any] | None = None
        self.members: list[dict[str, Any]] = list(MEMBERS)
        self.weights: list[int] = list(MEMBER_WEIGHTS)
        self.poll: dict[str, Any] | None = None
        self.reactions: dict[tuple[int, int], list[str]] = {}  # (user id, message id): the user's reactions now
        self.last_post: dict[str, Any] | None = None

    # -- ids, files and timestamps ------------------------------------------------------------------

    def _update_id(self) -> int:
        self.next_update_id += 1
        return self.next_update_id

    def _message_id(self, chat: Mapping[str, Any]) -> int:
        self.next_message_id[chat["id"]] += 1
        return self.next_message_id[chat["id"]]

    def _file(self, prefix: str, length: int = 56) -> dict[str, str]:
        chars = "".join(self.rng.choice(FILE_ID_ALPHABET) for _ in range(length))
        unique = "".join(self.rng.choice(FILE_ID_ALPHABET) for _ in range(12))
        return {"file_id": prefix + chars, "file_unique_id": "AQAD" + unique}

    # -- deliveries ----------------------------------------------------------------------------------

    def deliver(
        self,
        update: Mapping[str, Any] | bytes,
        sent_at: datetime,
        *,
        expected: Expected = "stored",
        status: int = 200,
        what: str = ALLOWED_UPDATE,
        right_secret: bool = True,
    ) -> Delivery:
        """Telegram posts the update 0.2 to 3.5 seconds after the event, and never before the previous one."""
        arrival = sent_at.astimezone(UTC) + timedelta(milliseconds=self.rng.randint(200, 3500))
        if self.deliveries:
            arrival = max(arrival, self.deliveries[-1].received_at + timedelta(milliseconds=50))
        body = update if isinstance(update, bytes) else telegram_json(update)
        delivery = Delivery(body, arrival, expected, status, right_secret, what)
        self.deliveries.append(delivery)
        return delivery

    def message(
        self,
        sender: Mapping[str, Any] | None,
        at: datetime,
        *,
        chat: Mapping[str, Any] = GROUP,
        kind: str = "message",
        expected: Expected = "stored",
        what: str = ALLOWED_UPDATE,
        **content: Any,
    ) -> dict[str, Any]:
        """A ``Message`` (or channel post) in ``chat``, delivered as an update; returns the message."""
        message: dict[str, Any] = {"message_id": self._message_id(chat)}
        if sender is not None:
            message["from"] = dict(sender)
        message.update(chat=dict(chat), date=int(at.timestamp()))
        message.update(content)
        if "text" in message and (entities := text_entities(message["text"])):
            message["entities"] = entities
        self.deliver({"update_id": self._update_id(), kind: message}, at, expected=expected, what=what)
        if chat is GROUP and kind == "message" and "message_thread_id" not in message:
            self.recent = [*self.recent[-7:], message]
        return message

    # -- what members write --------------------------------------------------------------------------

    def _sender(self) -> dict[str, Any]:
        return self.rng.choices(self.members, weights=self.weights)[0]

    def _text(self, sender: Mapping[str, Any]) -> str:
        portuguese = sender["language_code"] == "pt-br" or self.rng.random() < ENGLISH_SPEAKERS_PORTUGUESE
        return self.rng.choice(PORTUGUESE if portuguese else ENGLISH)

    def ordinary(self, at: datetime) -> None:
        """One of the day's ordinary messages: mostly text, some replies, topic messages and media."""
        sender = self._sender()
        kind = self.rng.choices(list(ORDINARY_KINDS), weights=list(ORDINARY_KINDS.values()))[0]
        if kind == "reply" and self.recent:
            replied = self.rng.choice(self.recent)
            replies = REPLIES_PT if sender["language_code"] == "pt-br" else REPLIES_EN
            quoted = {key: value for key, value in replied.items() if key != "reply_to_message"}
            self.message(sender, at, text=self.rng.choice(replies), reply_to_message=quoted)
        elif kind == "topic" and self.topic_root is not None:
            self.topic_message(at, sender, self.rng.choice(TOPIC_TEXTS[1:]))
        elif kind == "photo":
            self.photo(at, sender, self.rng.choice(PHOTO_CAPTIONS))
        elif kind == "sticker":
            emoji, set_name = self.rng.choice(STICKERS)
            self.sticker(at, sender, emoji, set_name)
        else:
            self.message(sender, at, text=self._text(sender))

    def say(self, at: datetime, sender: Mapping[str, Any], text: str) -> None:
        self.message(sender, at, text=text)

    def topic_message(self, at: datetime, sender: Mapping[str, Any], text: str) -> None:
        """A message in the forum topic: its thread id, and the implicit reply to the topic's first message."""
        root = self.topic_root
        if root is None:
            raise RuntimeError("the forum topic is created before its first message")
        self.message(
            sender,
            at,
            message_thread_id=root["message_id"],
            reply_to_message=root,
            text=text,
            is_topic_message=True,
        )

    def photo(self, at: datetime, sender: Mapping[str, Any], caption: str | None) -> None:
        sizes = []
        for width, height, size in ((90, 68, 1_412), (320, 240, 18_904), (1280, 960, 141_330)):
            sizes.append({**self._file("AgACAgEAAxkBAAI"), "file_size": size, "width": width, "height": height})
        content: dict[str, Any] = {"photo": sizes}
        if caption:
            content["caption"] = caption
        self.message(sender, at, **content)

    def sticker(self, at: datetime, sender: Mapping[str, Any], emoji: str, set_name: str) -> None:
        thumbnail = {**self._file("AAMCAgADGQEAAg"), "file_size": 5_810, "width": 128, "height": 128}
        sticker = {
            "width": 512,
            "height": 512,
            "emoji": emoji,
            "set_name": set_name,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
            "thumbnail": thumbnail,
            **self._file("CAACAgIAAxkBAAI"),
            "file_size": 24_486,
        }
        self.message(sender, at, sticker=sticker)

    # -- the week's events -----------------------------------------------------------------------------

    def promote_bot(self, at: datetime) -> None:
        """Ana makes the archive bot an admin, so it receives every message from now on: ``my_chat_member``."""
        member = {"user": ARCHIVE_BOT, "status": "member"}
        admin = {
            "user": ARCHIVE_BOT,
            "status": "administrator",
            "can_be_edited": False,
            "is_anonymous": False,
            "can_manage_chat": True,
            "can_delete_messages": False,
            "can_manage_video_chats": False,
            "can_restrict_members": False,
            "can_promote_members": False,
            "can_change_info": False,
            "can_invite_users": True,
            "can_post_stories": False,
            "can_edit_stories": False,
            "can_delete_stories": False,
            "can_pin_messages": False,
            "can_manage_topics": False,
        }
        change = {
            "chat": GROUP,
            "from": ANA,
            "date": int(at.timestamp()),
            "old_chat_member": member,
            "new_chat_member": admin,
        }
        self.deliver({"update_id": self._update_id(), "my_chat_member": change}, at)

    def create_topic(self, at: datetime) -> None:
        """Ana opens a forum topic: a service message that is the topic's first message and its thread id."""
        message_id = self.next_message_id[GROUP["id"]] + 1
        self.topic_root = self.message(
            ANA,
            at,
            message_thread_id=message_id,
            forum_topic_created={"name": TOPIC_NAME, "icon_color": 7322096},
            is_topic_message=True,
        )

    def channel_post(self, at: datetime, text: str) -> None:
        """A post in the linked channel (no ``from``), and Telegram's automatic forward of it into the group."""
        post = self.message(None, at, chat=CHANNEL, kind="channel_post", sender_chat=CHANNEL, text=text)
        self.last_post = post
        forwarded_at = at + timedelta(seconds=1)
        origin = {"type": "channel", "chat": CHANNEL, "message_id": post["message_id"], "date": post["date"]}
        self.message(
            TELEGRAM, forwarded_at, sender_chat=CHANNEL, forward_origin=origin, is_automatic_forward=True, text=text
        )

    def open_poll(self, at: datetime) -> None:
        options = ("Athena", "DuckDB", "Spark", "BigQuery")
        self.poll = {
            "id": "5368849230917451832",
            "question": "Qual engine vocês mais usam? 🤔",
            "options": [{"text": option, "voter_count": 0} for option in options],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
        }
        self.message(CARLA, at, poll=self.poll)

    def poll_results(self, at: datetime) -> None:
        """The ``poll`` update with new vote counts: it has no chat, so the webhook ignores it."""
        opened = self.poll
        if opened is None:
            raise RuntimeError("the poll is opened before its results")
        votes = (5, 7, 2, 1)
        options = [{**option, "voter_count": count} for option, count in zip(opened["options"], votes, strict=True)]
        poll = {**opened, "options": options, "total_voter_count": sum(votes)}
        self.deliver({"update_id": self._update_id(), "poll": poll}, at, expected="ignored", what=NO_CHAT)

    def join(self, at: datetime) -> None:
        """Giulia joins through Ana's invite link: a ``chat_member`` update and a ``new_chat_members`` service
        message (one change: one row of member_events), then she says hi."""
        self.member_change(at, GIULIA, ("left", "member"), link=invite_link(ANA, "meetup-sp"))
        self.message(GIULIA, at, new_chat_participant=GIULIA, new_chat_member=GIULIA, new_chat_members=[GIULIA])
        self.members.append(GIULIA)
        self.weights.append(GIULIA_WEIGHT)
        self.message(GIULIA, at + timedelta(minutes=2), text="Ciao a tutti! 👋 Thanks for the invite @anasouza")

    def typo_and_edit(self, at: datetime) -> None:
        """Bruno sends a typo and fixes it two minutes later: an ``edited_message``, a row of message_edits (the
        messages table keeps the text as first sent)."""
        message = self.message(BRUNO, at, text="Alguém sabe se o Athena cobra por particão lida?")
        edited_at = at + timedelta(minutes=2)
        fixed = "Alguém sabe se o Athena cobra por partição lida?"
        edited = {**message, "edit_date": int(edited_at.timestamp()), "text": fixed}
        self.deliver({"update_id": self._update_id(), "edited_message": edited}, edited_at)

    def document(self, at: datetime) -> None:
        file = {**self._file("BQACAgEAAxkBAAI"), "file_size": 482_113}
        document = {"file_name": "athena_costs_q3.pdf", "mime_type": "application/pdf", **file}
        self.message(PRIYA, at, document=document, caption="Cost report for Q3, page 4 has the Athena numbers 📄")

    def location(self, at: datetime) -> None:
        self.message(FELIPE, at, text="Almoço aqui hoje? 🍝")
        self.message(FELIPE, at + timedelta(seconds=20), location={"latitude": -23.561414, "longitude": -46.655881})

    def voice(self, at: datetime) -> None:
        file = {**self._file("AwACAgEAAxkBAAI"), "file_size": 38_912}
        self.message(BRUNO, at, voice={"duration": 17, "mime_type": "audio/ogg", **file})

    def reaction(self, at: datetime) -> None:
        """David reacts to the latest message: a ``message_reaction`` update."""
        self.react(at, DAVID, self.recent[-1], "👍")

    def react(self, at: datetime, user: Mapping[str, Any], message: Mapping[str, Any], emoji: str) -> None:
        """``user`` sets their reaction to ``message`` to ``emoji`` (replacing the one they had, if any)."""
        key = (user["id"], message["message_id"])
        old, new = self.reactions.get(key, []), [emoji]
        self.reactions[key] = new
        change = reaction_updated(message, user, int(at.timestamp()), old, new)
        self.deliver({"update_id": self._update_id(), "message_reaction": change}, at)

    def reactions_round(self, at: datetime) -> None:
        """The night's reactions: four members react to recent messages (sometimes changing their mind)."""
        for minute in range(4):
            user, message = self._sender(), self.rng.choice(self.recent)
            self.react(at + timedelta(minutes=minute), user, message, self.rng.choice(REACTION_EMOJIS))

    def channel_reactions(self, at: datetime) -> None:
        """The channel's readers react anonymously to the latest post: a ``message_reaction_count`` update."""
        post = self.last_post
        if post is None:
            raise RuntimeError("a channel post comes before its reactions")
        totals = {"👍": self.rng.randint(8, 30), "🔥": self.rng.randint(1, 12), "🎉": self.rng.randint(0, 5)}
        counted = reaction_count_updated(post, int(at.timestamp()), {key: n for key, n in totals.items() if n})
        self.deliver({"update_id": self._update_id(), "message_reaction_count": counted}, at)

    def member_change(
        self,
        at: datetime,
        user: Mapping[str, Any],
        change: tuple[str, str],
        *,
        actor: Mapping[str, Any] | None = None,
        link: Mapping[str, Any] | None = None,
    ) -> None:
        """A ``chat_member`` update (the bot is an admin, so Telegram sends them): ``user``'s status changes."""
        updated = member_updated(GROUP, actor or user, int(at.timestamp()), change, user, link=link)
        self.deliver({"update_id": self._update_id(), "chat_member": updated}, at)

    def lucas_joins(self, at: datetime) -> None:
        """Lucas joins through the link shared on LinkedIn (a large group hides the service message)."""
        self.member_change(at, LUCAS, ("left", "member"), link=invite_link(ANA, "linkedin"))
        self.message(LUCAS, at + timedelta(minutes=5), text="Oi pessoal, vim pelo post do LinkedIn 👋")

    def lucas_leaves(self, at: datetime) -> None:
        """Lucas leaves: the ``chat_member`` update and the ``left_chat_member`` service message."""
        self.member_change(at, LUCAS, ("member", "left"))
        self.message(LUCAS, at, left_chat_participant=LUCAS, left_chat_member=LUCAS)

    def spam_bot_banned(self, at: datetime) -> None:
        """A spam account joins at night and posts a scam; Ana deletes it and bans the account."""
        self.member_change(at, SPAM_BOT, ("left", "member"))
        self.message(SPAM_BOT, at, new_chat_participant=SPAM_BOT, new_chat_member=SPAM_BOT, new_chat_members=[SPAM_BOT])
        banned = at + timedelta(minutes=3)
        self.member_change(banned, SPAM_BOT, ("member", "kicked"), actor=ANA)
        self.message(ANA, banned, left_chat_participant=SPAM_BOT, left_chat_member=SPAM_BOT)

    def promote_carla(self, at: datetime) -> None:
        """Ana makes Carla an admin."""
        self.member_change(at, CARLA, ("member", "administrator"), actor=ANA)

    def edited_twice(self, at: datetime) -> None:
        """David fixes his message twice: two ``edited_message`` updates, two rows of message_edits."""
        message = self.message(DAVID, at, text="The meetup slides are are here")
        for minutes, text in (
            (1, "The meetup slides are here"),
            (4, "The meetup slides are here 👇 (PDF in the topic)"),
        ):
            edited_at = at + timedelta(minutes=minutes)
            edited = {**message, "edit_date": int(edited_at.timestamp()), "text": text}
            self.deliver({"update_id": self._update_id(), "edited_message": edited}, edited_at)

    def redelivered(self, at: datetime) -> None:
        """Carla's message, delivered twice: the first answer did not reach Telegram in time, so it retried."""
        self.message(CARLA, at, text="Alguém tem o link da gravação do meetup? 🎥")
        self.deliver(self.deliveries[-1].body, at + timedelta(seconds=63), what=REDELIVERY)

    def anonymous_admin(self, at: datetime) -> None:
        """An anonymous admin's announcement: ``from`` is GroupAnonymousBot, ``sender_chat`` the group."""
        text = "📌 Lembrete: meetup presencial sábado às 15h em Pinheiros! Confirmem presença 🙌"
        self.message(ANONYMOUS_ADMIN, at, sender_chat=GROUP, author_signature="Moderação", text=text)

    def other_chat(self, at: datetime) -> None:
        """The bot was also added to a friends' group that is not allowed: ignored, nothing stored."""
        self.message(BRUNO, at, chat=OTHER_GROUP, text="Quem leva o carvão? 🔥", expected="ignored", what=OTHER_CHAT)

    def forged(self, at: datetime) -> None:
        """Someone who found the webhook URL posts an update without knowing the secret: 401."""
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "from": {"id": 1, "is_bot": False, "first_name": "Suporte"},
                "chat": GROUP,
                "date": int(at.timestamp()),
                "text": "Ganhe 500 USDT agora 💸 clique no link",
            },
        }
        self.deliver(update, at, expected="rejected", status=401, what=WRONG_SECRET, right_secret=False)

    def truncated(self, at: datetime) -> None:
        """A body cut short on the way (a proxy, a bug): not JSON, so 400, and Telegram does not retry it."""
        body = telegram_json({"update_id": self._update_id(), "message": {"message_id": 0, "text": "..."}})
        self.deliver(body[:40], at, expected="rejected", status=400, what=MALFORMED)


# (day index, local time, event): the week's scripted moments, between the ordinary messages. Those that
# deliver over several minutes come after 23:45, when no ordinary message is sent, so none waits behind them.
Event = Callable[[_ChatWriter, datetime], object]
SCRIPT: tuple[tuple[int, time, Event], ...] = (
    (0, time(7, 0), _ChatWriter.promote_bot),
    (0, time(7, 2), partial(_ChatWriter.say, sender=ANA, text=WELCOME_TEXT)),
    (0, time(10, 30), _ChatWriter.create_topic),
    (0, time(10, 32), partial(_ChatWriter.topic_message, sender=ANA, text=TOPIC_TEXTS[0])),
    (0, time(23, 47), _ChatWriter.reactions_round),
    (1, time(9, 0), partial(_ChatWriter.channel_post, text=CHANNEL_POSTS[0])),
    (1, time(11, 0), _ChatWriter.channel_reactions),
    (1, time(12, 40), _ChatWriter.lucas_joins),
    (1, time(14, 10), _ChatWriter.open_poll),
    (1, time(20, 0), _ChatWriter.poll_results),
    (JOIN_DAY, time(11, 15), _ChatWriter.join),
    (2, time(16, 38), _ChatWriter.typo_and_edit),
    (2, time(23, 47), _ChatWriter.reactions_round),
    (3, time(3, 12), _ChatWriter.spam_bot_banned),
    (3, time(9, 0), partial(_ChatWriter.channel_post, text=CHANNEL_POSTS[1])),
    (3, time(18, 20), _ChatWriter.document),
    (3, time(21, 4), _ChatWriter.other_chat),
    (3, time(23, 47), _ChatWriter.reactions_round),
    (4, time(12, 2), _ChatWriter.location),
    (4, time(15, 31), _ChatWriter.voice),
    (4, time(19, 45), _ChatWriter.redelivered),
    (4, time(19, 52), _ChatWriter.reaction),
    (4, time(20, 10), _ChatWriter.lucas_leaves),
    (5, time(9, 0), partial(_ChatWriter.channel_post, text=CHANNEL_POSTS[2])),
    (5, time(10, 10), _ChatWriter.anonymous_admin),
    (5, time(11, 0), _ChatWriter.promote_carla),
    (5, time(12, 0), _ChatWriter.channel_reactions),
    (5, time(17, 0), partial(_ChatWriter.sticker, sender=GIULIA, emoji="😂", set_name="HotCherry")),
    (5, time(22, 15), _ChatWriter.forged),
    (6, time(8, 31), _ChatWriter.truncated),
    (6, time(13, 5), partial(_ChatWriter.photo, sender=DAVID, caption=PHOTO_CAPTIONS[0])),
    (6, time(23, 50), _ChatWriter.edited_twice),
    (6, time(23, 47), _ChatWriter.reactions_round),
)


def _ordinary_times(rng: random.Random, day: date, zone: ZoneInfo) -> list[datetime]:
    """The day's ordinary messages: 28 to 40, at hours weighted like a real group's day, none after 23:45."""
    hours = rng.choices(list(HOUR_WEIGHTS), weights=list(HOUR_WEIGHTS.values()), k=rng.randint(28, 40))
    return [
        datetime.combine(day, time(hour, rng.randrange(45 if hour == LAST_HOUR else 60), rng.randrange(60)), zone)
        for hour in hours
    ]


def build_sample_chat(last_day: date, timezone: str = "America/Sao_Paulo", seed: int = SEED) -> SampleChat:
    """The week that ends on ``last_day`` (in ``timezone``), with every delivery in arrival order."""
    zone = ZoneInfo(timezone)
    rng = random.Random(seed)  # noqa: S311 - sample data, not security
    writer = _ChatWriter(rng, zone)
    days = tuple(last_day - timedelta(days=DAYS - 1 - offset) for offset in range(DAYS))
    for index, day in enumerate(days):
        moments: list[tuple[datetime, int, Event]] = [
            (datetime.combine(day, at, zone), order, event)
            for order, (event_day, at, event) in enumerate(SCRIPT)
            if event_day == index
        ]
        moments += [(at, len(SCRIPT), _ChatWriter.ordinary) for at in _ordinary_times(rng, day, zone)]
        for at, _, event in sorted(moments, key=lambda moment: (moment[0], moment[1])):
            event(writer, at)
    deliveries = sorted(writer.deliveries, key=lambda delivery: delivery.received_at)
    return SampleChat(timezone=timezone, days=days, deliveries=tuple(deliveries))
