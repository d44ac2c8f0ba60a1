"""Search endpoints (`/v1/<resource>/search`): the query language over stored objects,
with Stripe's `search_result` page and an opaque `next_page` token."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from . import search
from .context import RequestContext
from .errors import InvalidRequestError
from .listing import limit_of


def _encode_token(obj: dict[str, Any]) -> str:
    raw = orjson.dumps({"id": obj["id"], "created": obj["created"]})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str) -> tuple[str, int]:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = orjson.loads(base64.urlsafe_b64decode(padded))
        return str(data["id"]), int(data["created"])
    except (binascii.Error, ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        raise InvalidRequestError(f"Invalid page: {token}", param="page") from None


def search_objects(
    ctx: RequestContext, type_: str, params: dict[str, Any], url: str
) -> dict[str, Any]:
    query = params.get("query")
    if not query:
        raise InvalidRequestError(
            "Missing required param: query.", param="query", code="parameter_missing"
        )
    compiled = search.parse(query, type_)
    limit = limit_of(params)
    after: tuple[str, int] | None = None
    if params.get("page"):
        after = _decode_token(params["page"])
    data: list[dict[str, Any]] = []
    has_more = False
    skipping = after is not None
    for obj in ctx.tx.scan(ctx.account, type_):
        if skipping:
            assert after is not None
            if obj["id"] == after[0]:
                skipping = False
                continue
            if obj["created"] >= after[1]:
                continue
            skipping = False  # the cursor object is gone: resume by time
        if not compiled.matches(obj):
            continue
        if len(data) == limit:
            has_more = True
            break
        data.append(obj)
    return {
        "object": "search_result",
        "data": data,
        "has_more": has_more,
        "next_page": _encode_token(data[-1]) if has_more else None,
        "url": url,
    }
