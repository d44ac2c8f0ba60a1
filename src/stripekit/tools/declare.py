"""Short constructors for the common kinds of action, so a resource module reads as a list
of what it offers. Each returns a plain `Action`; anything unusual is passed through."""

from __future__ import annotations

from typing import Any

from .action import Action


def create(noun: str, path: str, description: str, **kw: Any) -> Action:
    return Action(f"create_{noun}", description, "POST", path, **kw)


def get(noun: str, path: str, description: str, **kw: Any) -> Action:
    return Action(f"get_{noun}", description, "GET", path, **kw)


def update(noun: str, path: str, description: str, **kw: Any) -> Action:
    return Action(f"update_{noun}", description, "POST", path, **kw)


def delete(noun: str, path: str, description: str, **kw: Any) -> Action:
    return Action(f"delete_{noun}", description, "DELETE", path, **kw)


def list_(nouns: str, path: str, description: str, **kw: Any) -> Action:
    """`list_<nouns>`; its result holds the objects under `plural` (default `nouns`)."""
    kw.setdefault("plural", nouns)
    return Action(f"list_{nouns}", description, "GET", path, result="list", **kw)


def search(nouns: str, path: str, description: str, **kw: Any) -> Action:
    kw.setdefault("plural", nouns)
    return Action(f"search_{nouns}", description, "GET", path, result="search", **kw)


def do(name: str, method: str, path: str, description: str, **kw: Any) -> Action:
    return Action(name, description, method, path, **kw)
