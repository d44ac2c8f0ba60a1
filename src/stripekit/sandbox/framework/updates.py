"""Partial updates with `previous_attributes`, the way Stripe's update events report them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import metadata as metadata_rules


def _diff_previous(old: Any, new: Any) -> Any:
    """For hashes Stripe lists only the changed keys (new keys as null)."""
    if isinstance(old, dict) and isinstance(new, dict):
        changed = {k: old.get(k) for k in set(old) | set(new) if old.get(k) != new.get(k)}
        return changed
    return old


def apply(
    obj: dict[str, Any],
    params: dict[str, Any],
    fields: Iterable[str],
    *,
    merge_hashes: Iterable[str] = (),
) -> dict[str, Any]:
    """Set each given field (`""` unsets to null, `metadata` merges, hashes named in
    `merge_hashes` merge key by key); return previous_attributes of what really changed."""
    previous: dict[str, Any] = {}
    merge = set(merge_hashes)
    for name in fields:
        if name not in params:
            continue
        value = params[name]
        old = obj.get(name)
        if name == "metadata":
            new = metadata_rules.merge(old, value)
        elif value == "":
            new = {} if isinstance(old, dict) and name in merge else None
        elif name in merge and isinstance(value, dict) and isinstance(old, dict):
            new = {**old, **{k: (None if v == "" else v) for k, v in value.items()}}
        else:
            new = value
        if new != old:
            previous[name] = _diff_previous(old, new)
            obj[name] = new
    return previous
