"""Evaluating IAM policy documents as AWS does, for the operators and elements our policies use.

An explicit Deny wins; otherwise a request is allowed when some Allow statement matches its action, its
resource and every condition. Actions match case-insensitively, resources case-sensitively, both with
IAM's ``*`` and ``?`` wildcards. A condition on a key the request does not carry is false, except for
the negated string operators, for which AWS holds it true. Anything else (NotAction, NotResource,
``...IfExists``, another operator) raises, so a policy using it cannot pass a test silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

Decision = Literal["allow", "deny", "implicit-deny"]
Context = Mapping[str, str]


@dataclass(frozen=True)
class Request:
    """One API call as IAM sees it: the action, the resource ARN and the request's condition keys."""

    action: str
    resource: str
    context: Context = field(default_factory=dict)


@cache
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    """IAM wildcards only: ``*`` any run of characters, ``?`` one character; brackets are literal."""
    escaped = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in glob)
    return re.compile(escaped, re.IGNORECASE if ignore_case else 0)


def glob_matches(glob: str, value: str, *, ignore_case: bool = False) -> bool:
    return _pattern(glob, ignore_case).fullmatch(value) is not None


def _as_list(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _condition_holds(operator: str, key: str, expected: str | Sequence[str], context: Context) -> bool:
    values = _as_list(expected)
    if operator in {"StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike"}:
        if key not in context:
            return True
        positive = operator.replace("Not", "")
        return not _condition_holds(positive, key, values, context)
    if key not in context:
        return False
    given = context[key]
    if operator in {"StringEquals", "ArnEquals"}:
        return given in values
    if operator in {"StringLike", "ArnLike"}:
        return any(glob_matches(value, given) for value in values)
    if operator == "Bool":
        return given.lower() in {value.lower() for value in values}
    raise NotImplementedError(f"condition operator {operator} is not supported by this evaluator")


def statement_matches(statement: Mapping[str, Any], request: Request) -> bool:
    """Whether ``statement`` applies to ``request`` (action, resource and every condition)."""
    unsupported = {"NotAction", "NotResource", "NotPrincipal", "Principal"} & statement.keys()
    if unsupported:
        raise NotImplementedError(f"statement {statement.get('Sid')} uses {sorted(unsupported)}")
    if not any(glob_matches(action, request.action, ignore_case=True) for action in _as_list(statement["Action"])):
        return False
    if not any(glob_matches(resource, request.resource) for resource in _as_list(statement["Resource"])):
        return False
    for operator, keys in statement.get("Condition", {}).items():
        for key, expected in keys.items():
            if not _condition_holds(operator, key, expected, request.context):
                return False
    return True


def decide(policies: Sequence[Mapping[str, Any]], request: Request) -> Decision:
    """AWS's decision for ``request`` under identity ``policies`` (no resource policy, no SCP)."""
    statements = [statement for policy in policies for statement in policy["Statement"]]
    matching = [statement for statement in statements if statement_matches(statement, request)]
    if any(statement["Effect"] == "Deny" for statement in matching):
        return "deny"
    if any(statement["Effect"] == "Allow" for statement in matching):
        return "allow"
    return "implicit-deny"


def allowed_within_boundary(
    identity: Sequence[Mapping[str, Any]], boundary: Mapping[str, Any], request: Request
) -> bool:
    """A role with a permissions boundary may do what both its policies and the boundary allow."""
    return decide(identity, request) == "allow" and decide([boundary], request) == "allow"


def actions(policy: Mapping[str, Any], effect: str = "Allow") -> set[str]:
    """Every action (as written) of the policy's statements with ``effect``."""
    return {
        action
        for statement in policy["Statement"]
        if statement["Effect"] == effect
        for action in _as_list(statement["Action"])
    }
