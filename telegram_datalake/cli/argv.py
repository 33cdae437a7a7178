"""Option values that start with ``-``, attached to their option before argparse sees them.

argparse takes a token that starts with ``-`` for an option unless it looks like one negative number, so
``--allowed-chat-ids -1001234567890,-1009876543210`` (group and channel ids are negative) fails with
"expected one argument", as would a negative number, or a name or path that starts with a dash. Written
``--allowed-chat-ids=-1001234567890,...`` it works: that is the form every ``--option VALUE`` of an option
taking one value is rewritten to here, command by command, so that the option's own check sees the value.

A value that is itself one of the command's options (``--allowed-chat-ids --once``) is left alone: the user
most likely forgot the value, and argparse says so. Everything after ``--`` is left alone too.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

LONG_PREFIX = "--"


def _actions_by_option(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return parser._option_string_actions  # argparse's own table of the parser's options


def _resolve(parser: argparse.ArgumentParser, name: str) -> str | None:
    """The option string ``name`` stands for: itself, or the one option it abbreviates (as argparse allows)."""
    options = _actions_by_option(parser)
    if name in options:
        return name
    if not (parser.allow_abbrev and name.startswith(LONG_PREFIX)):
        return None
    matches = {options[option]: option for option in options if option.startswith(name)}
    return next(iter(matches.values())) if len(matches) == 1 else None


def _takes_one_value(parser: argparse.ArgumentParser, option: str) -> bool:
    action = _actions_by_option(parser)[option]
    return action.nargs is None or action.nargs == 1


def _is_option(parser: argparse.ArgumentParser, token: str) -> bool:
    """Whether argparse would read ``token`` as one of the parser's options (possibly with its ``=value``)."""
    if token == LONG_PREFIX:
        return True
    if token.startswith(LONG_PREFIX):
        return _resolve(parser, token.split("=", 1)[0]) is not None
    return token.startswith("-") and token[:2] in _actions_by_option(parser)  # -v, or -v with more flags


def _subcommand(parser: argparse.ArgumentParser, token: str) -> argparse.ArgumentParser | None:
    for action in parser._actions:  # the subcommands are one of its actions
        if isinstance(action, argparse._SubParsersAction) and token in action.choices:
            child: argparse.ArgumentParser = action.choices[token]
            return child
    return None


def attach_option_values(parser: argparse.ArgumentParser, argv: Sequence[str]) -> list[str]:
    """``argv`` with each ``--option VALUE`` of an option taking one value written ``--option=VALUE``."""
    tokens, attached = list(argv), []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token == LONG_PREFIX:
            attached.extend(tokens[index:])
            break
        option = _resolve(parser, token) if token.startswith(LONG_PREFIX) else None
        has_value = index + 1 < len(tokens) and not _is_option(parser, tokens[index + 1])
        if option is not None and has_value and _takes_one_value(parser, option):
            attached.append(f"{option}={tokens[index + 1]}")
            index += 2
            continue
        if not token.startswith("-"):
            parser = _subcommand(parser, token) or parser
        attached.append(token)
        index += 1
    return attached
