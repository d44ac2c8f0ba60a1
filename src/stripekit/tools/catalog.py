"""Every action, by name and by alias. A new resource group is a module with `ACTIONS`,
added to `MODULES` and nowhere else."""

from __future__ import annotations

import dataclasses
import re
from types import ModuleType

from . import (
    billing,
    charges,
    checkout,
    connect,
    customers,
    discounts,
    events,
    files,
    generic,
    money,
    payments,
    products,
)
from .action import Action

MODULES: tuple[ModuleType, ...] = (
    customers,
    products,
    payments,
    charges,
    billing,
    discounts,
    money,
    connect,
    files,
    checkout,
    events,
    generic,
)


def alias_key(name: str) -> str:
    """`Retrieve Product`, `retrieve-product` and `retrieve_product` are one name."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _collect() -> dict[str, Action]:
    actions: dict[str, Action] = {}
    for module in MODULES:
        group = module.__name__.rsplit(".", 1)[-1]
        for action in module.ACTIONS:
            if action.name in actions:
                raise ValueError(f"action {action.name} declared twice")
            actions[action.name] = dataclasses.replace(action, group=group)
    return actions


ACTIONS: dict[str, Action] = _collect()

ALIASES: dict[str, str] = {
    alias_key(alias): action.name
    for action in ACTIONS.values()
    for alias in action.aliases
    if alias_key(alias) != action.name
}


def find(name: str) -> Action:
    """The action called `name` or known by that alias (KeyError otherwise)."""
    key = alias_key(name)
    found = ACTIONS.get(key) or ACTIONS.get(ALIASES.get(key, ""))
    if found is None:
        raise KeyError(name)
    return found
