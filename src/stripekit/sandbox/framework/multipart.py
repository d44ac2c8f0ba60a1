"""Decode `multipart/form-data` bodies (RFC 7578), the encoding of file uploads.

Stripe takes multipart on `POST /v1/files` (files.stripe.com); the official SDKs send it
there. Fields are named with the same brackets as the form encoding
(`file_link_data[create]`), so the parts are nested by `formdecode.from_pairs`; a part with
a `filename` becomes an `UploadedFile`, every other part a string, exactly as a form field.
"""

from __future__ import annotations

import hashlib
from typing import Any

from . import formdecode
from .errors import InvalidRequestError

MULTIPART = "multipart/form-data"


class UploadedFile:
    """One uploaded file. A plain class, not a dataclass: orjson would serialize a
    dataclass field by field (and fail on the bytes) instead of asking `hashable`."""

    __slots__ = ("content_type", "data", "filename")

    def __init__(self, filename: str, content_type: str | None, data: bytes) -> None:
        self.filename = filename
        self.content_type = content_type
        self.data = data

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {len(self.data)} bytes)"

    def digest(self) -> str:
        """What an idempotency key compares: same bytes, same name, same upload."""
        return f"{self.filename}:{hashlib.blake2b(self.data, digest_size=16).hexdigest()}"


def is_multipart(content_type: str | None) -> bool:
    return bool(content_type) and content_type.lower().startswith(MULTIPART)  # type: ignore[union-attr]


def _malformed(detail: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"Invalid multipart/form-data request: {detail}. Make sure the body follows RFC 2388 "
        "(https://stripe.com/docs/file-upload)."
    )


def _header_params(value: str) -> tuple[str, dict[str, str]]:
    """`form-data; name="a"; filename="b"` -> ("form-data", {"name": "a", ...}). Quoted
    values may hold `;` (a filename can), so the split honours quotes."""
    parts: list[str] = []
    current, quoted = [], False
    for char in value:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    params: dict[str, str] = {}
    for part in parts[1:]:
        name, eq, raw = part.strip().partition("=")
        if eq:
            raw = raw.strip()
            if len(raw) >= 2 and raw[0] == raw[-1] == '"':
                raw = raw[1:-1].replace('\\"', '"')
            params[name.strip().lower()] = raw
    return parts[0].strip().lower(), params


def boundary_of(content_type: str) -> str:
    _, params = _header_params(content_type)
    boundary = params.get("boundary", "")
    if not boundary or len(boundary) > 200:
        raise _malformed("the Content-Type header names no boundary")
    return boundary


def _part(raw: bytes) -> tuple[str, Any]:
    head, sep, content = raw.partition(b"\r\n\r\n")
    if not sep:
        raise _malformed("a part has no blank line between its headers and its content")
    headers: dict[str, str] = {}
    for line in head.split(b"\r\n"):
        if not line:
            continue
        name, colon, value = line.partition(b":")
        if not colon:
            raise _malformed("a part header has no ':'")
        headers[name.strip().lower().decode("latin-1")] = value.strip().decode("utf-8", "replace")
    kind, params = _header_params(headers.get("content-disposition", ""))
    name = params.get("name")
    if kind != "form-data" or not name:
        raise _malformed("a part has no Content-Disposition: form-data name")
    if "filename" in params:
        return name, UploadedFile(params["filename"], headers.get("content-type"), content)
    try:
        return name, content.decode("utf-8")
    except UnicodeDecodeError:
        raise _malformed(f"the field '{name}' is not UTF-8 text") from None


def decode(body: bytes, content_type: str) -> dict[str, Any]:
    """The fields of a multipart body, nested by their bracketed names."""
    # A delimiter is CRLF + "--" + boundary (the first may open the body, hence the CRLF
    # put in front), so content that merely contains the boundary is not cut.
    delimiter = b"\r\n--" + boundary_of(content_type).encode("latin-1")
    chunks = (b"\r\n" + body).split(delimiter)
    # chunks[0] is the preamble; the last chunk must start with the closing "--".
    if len(chunks) < 2 or not chunks[-1].startswith(b"--"):
        raise _malformed("the body does not end with the closing boundary")
    pairs: list[tuple[str, Any]] = []
    for chunk in chunks[1:-1]:
        # The delimiter's line may carry trailing blanks (RFC 2046 transport padding).
        head, newline, part = chunk.partition(b"\r\n")
        if not newline or head.strip(b" \t"):
            raise _malformed("a boundary is not on a line of its own")
        pairs.append(_part(part))
    return formdecode.from_pairs(pairs)


def hashable(value: Any) -> Any:
    """orjson's `default` for decoded params holding uploads (idempotency hashes)."""
    if isinstance(value, UploadedFile):
        return value.digest()
    raise TypeError
