"""Errors shaped like Stripe's.

Handlers raise these; the engine renders them as Stripe's error body. The status code is
what tells the official SDK which exception class to raise (400/404 InvalidRequestError,
401 AuthenticationError, 402 CardError, 403 PermissionError, idempotency_error type
IdempotencyError), so each class fixes the status Stripe uses for it.
"""

from __future__ import annotations

from typing import Any


class StripeError(Exception):
    status: int = 400
    type: str = "invalid_request_error"

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        status: int | None = None,
        keep_writes: bool = False,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code
        if status is not None:
            self.status = status
        # True when the failed attempt is itself a fact to keep (a declined charge, the
        # payment intent's last_payment_error): the request's writes commit with the error.
        self.keep_writes = keep_writes
        self.extra = extra

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param is not None:
            error["param"] = self.param
        error.update(self.extra)
        return {"error": error}


class InvalidRequestError(StripeError):
    """400 invalid_request_error: bad parameters or a call the object's state forbids."""


class ResourceMissing(InvalidRequestError):
    """404 for an object id that does not exist (in this account)."""

    status = 404

    def __init__(
        self, object_name: str, object_id: str, *, param: str = "id", status: int = 404
    ) -> None:
        # Stripe answers 404 for an id in the path, 400 for one given as a parameter.
        super().__init__(
            f"No such {object_name}: '{object_id}'",
            param=param,
            code="resource_missing",
            status=status,
        )


class AuthenticationError(StripeError):
    status = 401


class PermissionDenied(StripeError):
    status = 403


class IdempotencyError(StripeError):
    type = "idempotency_error"


class CardError(StripeError):
    status = 402
    type = "card_error"


class ApiError(StripeError):
    """The 500 we answer with if a handler has a bug: Stripe's shape, never a traceback."""

    status = 500
    type = "api_error"
