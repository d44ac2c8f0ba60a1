"""Restricted keys (`rk_test_...`): a permission per resource, enforced on every call.

A permission set maps a resource name as it appears in the path (`customers`,
`products`, ...) or `*` to `read` or `write`; write includes read. GET needs read,
everything else needs write.
"""

from __future__ import annotations

from typing import Any

from . import apikeys
from .errors import InvalidRequestError, PermissionDenied
from .routing import Route

LEVELS = {"none": 0, "read": 1, "write": 2}


def check(permissions: Any) -> dict[str, str]:
    """Validate a permission set given when issuing a restricted key."""
    if permissions in ("read_only", "read"):
        return {"*": "read"}
    if not isinstance(permissions, dict) or not permissions:
        raise InvalidRequestError(
            "permissions must be 'read_only' or a map of resource to 'read', 'write' or 'none'",
            param="permissions",
        )
    for resource, level in permissions.items():
        if level not in LEVELS:
            raise InvalidRequestError(
                f"Invalid permissions[{resource}]: must be one of none, read, or write",
                param=f"permissions[{resource}]",
            )
    return dict(permissions)


def authorize(route: Route, key: str, account: str, permissions: dict[str, str] | None) -> None:
    if permissions is None:  # a secret key may do everything
        return
    if route.control:
        raise PermissionDenied("Sandbox control endpoints need a secret key, not a restricted key.")
    needed = "read" if route.method == "GET" else "write"
    resource = route.resource
    granted = permissions.get(resource, permissions.get("*", "none"))
    if LEVELS[granted] >= LEVELS[needed]:
        return
    singular = resource[:-1] if resource.endswith("s") else resource
    raise PermissionDenied(
        f"The provided key '{apikeys.mask(key, keep=6)}' does not have the required "
        f"permissions for this endpoint on account '{account}'. Having the "
        f"'rak_{singular}_{needed}' permission would allow this request to continue.",
    )
