"""One exception for every way an action can fail: bad input (nothing was sent) or an
answer from Stripe (or the sandbox) that is an error."""

from __future__ import annotations

from typing import Any

import stripe

# The sentence a user reads first, for the failures source 000 calls common.
_SENTENCES = {
    400: "Stripe rejected the request",
    401: "Stripe rejected the API key (check the account's key)",
    402: "The payment failed (for example, the card was declined)",
    403: "The API key may not do this (a restricted key without this permission, or a "
    "connected account it can't act on)",
    404: "No such object (wrong id, deleted, or it belongs to another account)",
    409: "The request conflicts with another one (idempotency key or concurrent update)",
    429: "Too many requests: Stripe is rate limiting this account; retry later",
}


class ActionError(Exception):
    """An action failed. `status` is the HTTP status (None when nothing was sent); `type`,
    `code`, `decline_code`, `param` and `message` are Stripe's, `request_id` its
    `Request-Id`. `str()` gives one readable sentence."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        type: str | None = None,
        code: str | None = None,
        decline_code: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
        action: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.decline_code = decline_code
        self.param = param
        self.request_id = request_id
        self.action = action

    def __str__(self) -> str:
        head = _SENTENCES.get(self.status or 0)
        if self.status is not None and head is None:
            head = f"Stripe answered {self.status}"
        parts = [f"{self.action}: " if self.action else ""]
        parts.append(f"{head} ({self.status}): {self.message}" if head else self.message)
        details = [
            f"{name}={value}"
            for name, value in (
                ("type", self.type),
                ("code", self.code),
                ("decline_code", self.decline_code),
                ("param", self.param),
                ("request_id", self.request_id),
            )
            if value
        ]
        if details:
            parts.append(f" [{', '.join(details)}]")
        return "".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """The error as JSON-ready data (what the CLI prints and agents receive)."""
        return {
            "error": {
                "message": self.message,
                "status": self.status,
                "type": self.type,
                "code": self.code,
                "decline_code": self.decline_code,
                "param": self.param,
                "request_id": self.request_id,
            }
        }

    @classmethod
    def from_stripe(cls, exc: stripe.StripeError, action: str | None = None) -> ActionError:
        error = exc.error
        message = (error.message if error else None) or exc.user_message or str(exc)
        return cls(
            message,
            status=exc.http_status,
            type=(error.type if error else None)
            or ("api_connection_error" if isinstance(exc, stripe.APIConnectionError) else None),
            code=exc.code,
            decline_code=error.decline_code if error else None,
            param=error.param if error else None,
            request_id=exc.request_id,
            action=action,
        )


class InputError(ActionError):
    """The input did not validate: nothing was sent. `param` names the field, `code` is
    `parameter_missing`, `parameter_unknown` or `parameter_invalid`."""

    def __init__(self, message: str, *, param: str, code: str, action: str | None = None) -> None:
        super().__init__(message, type="invalid_input", code=code, param=param, action=action)
