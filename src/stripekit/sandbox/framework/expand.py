"""`expand[]`: replace ids by the objects they name, along dot paths.

Which fields expand, and into which object types, comes from the spec tables
(`x-expandableFields`), so a resource module declares nothing for it. Lists and search
results expand through `data.` (`data.product`); nested paths go on inside the expanded
object (`product.default_price`), up to Stripe's four levels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .context import RequestContext
from .errors import InvalidRequestError

MAX_DEPTH = 4
_LIST_OBJECTS = frozenset({"list", "search_result"})


def _cannot_expand(path: str, hint: str = "") -> InvalidRequestError:
    return InvalidRequestError(f"This property cannot be expanded ({path}).{hint}")


def expand(
    ctx: RequestContext,
    obj: dict[str, Any],
    paths: list[str],
    expandable: Mapping[str, Mapping[str, list[str]]],
) -> dict[str, Any]:
    for path in paths:
        if not isinstance(path, str) or not path:
            raise InvalidRequestError("Invalid array", param="expand")
        parts = path.split(".")
        depth = (
            len([p for p in parts if p != "data"])
            if obj.get("object") in _LIST_OBJECTS
            else len(parts)
        )
        if depth > MAX_DEPTH:
            raise InvalidRequestError(
                f"You cannot expand more than {MAX_DEPTH} levels of a property."
            )
        _expand_path(ctx, obj, parts, path, expandable)
    return obj


def _expand_path(
    ctx: RequestContext,
    obj: dict[str, Any],
    parts: list[str],
    full: str,
    expandable: Mapping[str, Mapping[str, list[str]]],
) -> None:
    if obj.get("object") in _LIST_OBJECTS:
        if parts[0] != "data" or len(parts) < 2:
            raise _cannot_expand(full, f" You may want to try expanding 'data.{full}' instead.")
        for item in obj.get("data", []):
            if isinstance(item, dict):
                _expand_path(ctx, item, parts[1:], full, expandable)
        return
    # The tables key expandable fields by their dot path inside the object
    # (`invoice_settings.default_payment_method`), so find the shortest prefix naming an
    # id-valued field. A field listed with no target (an embedded hash, or an includable
    # field the engine shows only when asked for) accepts the path and needs no lookup.
    fields = expandable.get(obj.get("object", ""), {})
    for k in range(1, len(parts) + 1):
        targets = fields.get(".".join(parts[:k]))
        if targets:
            break
    else:
        if len(parts) == 1 and fields.get(parts[0]) == []:
            return
        raise _cannot_expand(full)
    for holder in _holders(obj, parts[: k - 1]):
        leaf = parts[k - 1]
        value = holder.get(leaf)
        if isinstance(value, str):
            for type_ in targets:
                if type_.startswith("deleted_"):
                    continue
                found = ctx.find(type_, value)
                if found is not None:
                    holder[leaf] = value = found
                    break
        if k < len(parts) and isinstance(value, dict):
            _expand_path(ctx, value, parts[k:], full, expandable)


def hide_includable(
    result: dict[str, Any],
    paths: list[str],
    includable: Mapping[str, tuple[str, ...]],
) -> None:
    """Drop the fields Stripe shows only when expanded (a price's `tiers`, a coupon's
    `applies_to`) unless a path asks for them, on the answer and on every object an
    expansion brought in (`expand[]=default_price` shows no `default_price.tiers`)."""
    if not paths and "data" not in result:
        # The common case, one object and nothing expanded: only its own fields can hide.
        for name in includable.get(result.get("object", ""), ()):
            result.pop(name, None)
        return
    _hide(result, [p.split(".") for p in paths], includable)


def _hide(node: Any, paths: list[list[str]], includable: Mapping[str, tuple[str, ...]]) -> None:
    if isinstance(node, list):
        for item in node:
            _hide(item, paths, includable)
        return
    if not isinstance(node, dict):
        return
    if node.get("object") in _LIST_OBJECTS:
        _hide(node.get("data"), [p[1:] for p in paths if p[0] == "data" and len(p) > 1], includable)
        return
    heads = {p[0] for p in paths}
    for name in includable.get(node.get("object", ""), ()):
        if name not in heads:
            node.pop(name, None)
    # Only what a path reached can hold an expanded object; the rest is stored as is.
    for head in heads:
        deeper = [p[1:] for p in paths if p[0] == head and len(p) > 1]
        _hide(node.get(head), deeper, includable)


def _holders(obj: dict[str, Any], parts: list[str]) -> list[dict[str, Any]]:
    """The dicts a path's parent segments lead to (`data` fans out over a list)."""
    current = [obj]
    for part in parts:
        nxt: list[dict[str, Any]] = []
        for node in current:
            value = node.get(part)
            if isinstance(value, dict):
                nxt.append(value)
            elif isinstance(value, list):
                nxt.extend(v for v in value if isinstance(v, dict))
        current = nxt
    return current
