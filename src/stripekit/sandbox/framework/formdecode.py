"""Decode Stripe's form encoding (`a[b][0][c]=v`, `expand[]=x`) into nested dicts.

Every leaf stays a string: types come from the operation's parameter schema
(`params.validate`), which also turns dicts keyed "0", "1", ... into lists where the
schema says array. Keeping the decoder schema-free lets GET queries and POST bodies share it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_to_bytes

from .errors import InvalidRequestError

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def _split_key(key: str) -> list[str] | None:
    """`a[b][]` -> ["a", "b", ""]; None when the brackets are malformed."""
    head, bracket, rest = key.partition("[")
    if not bracket:
        return [key]
    parts = [head]
    rest = "[" + rest
    pos = 0
    for match in _SEGMENT.finditer(rest):
        if match.start() != pos:
            return None
        parts.append(match.group(1))
        pos = match.end()
    if pos != len(rest) or not head:
        return None
    return parts


def _assign(root: dict[str, Any], parts: list[str], value: Any, key: str) -> None:
    node: Any = root
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "":
            # `x[]` appends; only a list may hold it.
            if not isinstance(node, list):
                raise InvalidRequestError("Invalid array", param=key.split("[]")[0])
            if last:
                node.append(value)
                return
            child: Any = {}
            node.append(child)
            node = child
            continue
        if isinstance(node, list):
            raise InvalidRequestError("Invalid array", param=key)
        if last:
            if isinstance(node.get(part), dict | list):
                raise InvalidRequestError("Invalid hash", param=key)
            node[part] = value
            return
        nxt = parts[i + 1]
        existing = node.get(part)
        if existing is None:
            existing = [] if nxt == "" else {}
            node[part] = existing
        elif isinstance(existing, str):
            raise InvalidRequestError("Invalid hash", param=part)
        node = existing


def unquote(text: str) -> str:
    """`unquote_plus`, the same answers (invalid escapes kept, bad UTF-8 replaced), in half
    the time: an email's `%40` is in most bodies."""
    if "+" in text:
        text = text.replace("+", " ")
    if "%" not in text:
        return text
    return unquote_to_bytes(text).decode("utf-8", "replace")


def _pairs(raw: str) -> list[tuple[str, str]]:
    """`parse_qsl`, minus its generality: unquote only what is quoted (most parts are not)."""
    pairs = []
    for part in raw.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        if "%" in key or "+" in key:
            key = unquote(key)
        if "%" in value or "+" in value:
            value = unquote(value)
        pairs.append((key, value))
    return pairs


def decode(raw: bytes | str) -> dict[str, Any]:
    """Decode one form-encoded body or query string."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidRequestError(
                "Invalid request: the body is not valid UTF-8 form data."
            ) from exc
    if not raw:
        return {}
    return from_pairs(_pairs(raw))


def from_pairs(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Nest `(bracketed key, value)` pairs as the form encoding means them (the multipart
    decoder shares this: its parts are named the same way)."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if "[" not in key:
            if isinstance(result.get(key), dict | list):
                raise InvalidRequestError("Invalid hash", param=key)
            result[key] = value
            continue
        parts = _split_key(key)
        if parts is None:
            raise InvalidRequestError(
                f"Received unknown parameter: {key}", param=key, code="parameter_unknown"
            )
        _assign(result, parts, value, key)
    return result
