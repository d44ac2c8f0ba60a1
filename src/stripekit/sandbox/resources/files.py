"""Files: /v1/files (upload, retrieve, list) and their contents.

Uploads arrive as `multipart/form-data` on Stripe's files host (files.stripe.com); the
sandbox serves that host's paths on its own address, so a client pointed at the sandbox for
both `api` and `files` works unchanged. Each purpose accepts Stripe's file types and sizes
(docs.stripe.com/file-upload). The type is read from the bytes, as a browser's or an SDK's
declared content type is not reliable (the official SDK sends every file as
`application/octet-stream`). The bytes are kept in the store, base64 in a `file_contents`
record beside the file, so they commit with the request and survive a restart on SQLite.

`url` (downloadable purposes only) serves the contents to the account's own API key:
`GET /v1/files/{file}/contents`. Public links are file_links (resources/file_links.py).
"""

from __future__ import annotations

import base64
import calendar
import datetime
import json
from dataclasses import dataclass
from typing import Any

from ..framework import pages
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError, PermissionDenied, ResourceMissing
from ..framework.listing import list_objects
from ..framework.multipart import UploadedFile
from ..framework.routing import Route
from ..store import Filter

KB = 1024
MB = 1024 * KB
DAY = 86400
CONTENTS = "file_contents"  # the stored record holding a file's bytes
LINKS_SHOWN = 10  # file links embedded in a file object, newest first

# File type (Stripe's `type`) -> the mimetype Stripe names in its error message.
MIMETYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "svg": "image/svg+xml",
    "json": "application/json",
    "csv": "text/csv",
    "txt": "text/plain",
    "md": "text/markdown",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "apk": "application/vnd.android.package-archive",
    "pem": "application/x-pem-file",
}


@dataclass(frozen=True, slots=True)
class Purpose:
    types: tuple[str, ...]
    max_size: int
    # How long Stripe keeps such a file: (months, days); None keeps it for ever.
    expiry: tuple[int, int] | None
    downloadable: bool


# Stripe's table (docs.stripe.com/file-upload). The terminal_* rows are not in the table
# the docs show; their limits here are the sandbox's assumption.
PURPOSES: dict[str, Purpose] = {
    "account_requirement": Purpose(("pdf", "jpg", "png"), 64 * MB, None, False),
    "additional_verification": Purpose(("pdf", "jpg", "png"), 16 * MB, None, False),
    "business_icon": Purpose(("jpg", "png", "gif"), 512 * KB, None, True),
    "business_logo": Purpose(("jpg", "png", "gif"), 512 * KB, None, True),
    "customer_signature": Purpose(("jpg", "png", "svg"), 4 * MB, (0, 7), True),
    "dispute_evidence": Purpose(("pdf", "jpg", "png"), 5 * MB, (9, 0), True),
    "identity_document": Purpose(("pdf", "jpg", "png"), 32 * MB, None, False),
    "issuing_regulatory_reporting": Purpose(("json",), 256 * KB, (24, 0), True),
    "pci_document": Purpose(("pdf",), 16 * MB, None, True),
    "platform_terms_of_service": Purpose(("pdf", "txt", "md"), 64 * MB, None, False),
    "tax_document_user_upload": Purpose(
        ("pdf", "csv", "jpg", "png", "xlsx", "docx"), 16 * MB, None, True
    ),
    "terminal_android_apk": Purpose(("apk",), 64 * MB, None, True),
    "terminal_reader_splashscreen": Purpose(("png", "jpg", "gif"), 4 * MB, None, True),
    "terminal_wifi_certificate": Purpose(("pem",), 16 * KB, None, False),
    "terminal_wifi_private_key": Purpose(("pem",), 16 * KB, None, False),
}

_ZIP_KINDS = {"xlsx": "xlsx", "docx": "docx", "apk": "apk"}
_TEXT_KINDS = {"csv": "csv", "txt": "txt", "md": "md", "markdown": "md"}


def sniff(data: bytes, filename: str) -> str | None:
    """Stripe's `type` for these bytes: magic numbers first; for containers and plain text,
    which carry none, the filename's extension says which one it is."""
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data.startswith(b"PK\x03\x04"):
        return _ZIP_KINDS.get(extension)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    head = text[:2048].lstrip()
    if "<svg" in head and (head.startswith("<svg") or head.startswith("<?xml")):
        return "svg"
    if head.startswith("-----BEGIN "):
        return "pem"
    if head[:1] in ("{", "["):
        try:
            json.loads(text)
        except ValueError:
            pass
        else:
            return "json"
    if text and extension in _TEXT_KINDS:
        return _TEXT_KINDS[extension]
    return None


def _size_label(size: int) -> str:
    return f"{size // MB}MB" if size % MB == 0 else f"{size // KB}KB"


def _add_months(timestamp: int, months: int) -> int:
    """The same moment `months` calendar months on (the last day if the month is short)."""
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.UTC)
    year, month = divmod(moment.year * 12 + moment.month - 1 + months, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return int(moment.replace(year=year, month=month + 1, day=day).timestamp())


def expires_at(purpose: str, created: int) -> int | None:
    expiry = PURPOSES[purpose].expiry
    if expiry is None:
        return None
    months, days = expiry
    return _add_months(created, months) + days * DAY


def _upload(params: dict[str, Any]) -> UploadedFile:
    given = params.get("file")
    if not isinstance(given, UploadedFile):
        raise InvalidRequestError(
            "Invalid file: must be a file upload sent as multipart/form-data "
            "(https://stripe.com/docs/file-upload).",
            param="file",
        )
    return given


def _check(upload: UploadedFile, purpose: str) -> str:
    rule = PURPOSES[purpose]
    kind = sniff(upload.data, upload.filename)
    if kind not in rule.types:
        mimetypes = ", ".join(MIMETYPES[t] for t in rule.types)
        raise InvalidRequestError(
            "We don't currently support that file type. Try uploading a file with one of the "
            f"following mimetypes: {mimetypes}",
            param="file",
        )
    if len(upload.data) > rule.max_size:
        raise InvalidRequestError(
            f"The file you uploaded is {len(upload.data)} bytes, larger than the "
            f"{_size_label(rule.max_size)} maximum for files with purpose {purpose}.",
            param="file",
        )
    assert kind is not None
    return kind


def contents_url(ctx: RequestContext, file_id: str) -> str:
    return f"{ctx.base_url.rstrip('/')}/v1/files/{file_id}/contents"


def links_of(ctx: RequestContext, file_id: str) -> dict[str, Any]:
    """The `links` list a file shows: its file links, newest first, `expired` as of now."""
    from . import file_links  # deferred: file_links imports this module

    found = list(ctx.tx.scan(ctx.account, "file_link", (Filter(("file",), "eq", file_id),)))
    return {
        "object": "list",
        "data": [file_links.current(ctx, link) for link in found[:LINKS_SHOWN]],
        "has_more": len(found) > LINKS_SHOWN,
        "url": f"/v1/file_links?file={file_id}",
    }


def current(ctx: RequestContext, file: dict[str, Any]) -> dict[str, Any]:
    """A file as Stripe shows it now: its links read afresh (`expired` follows the clock)."""
    return {**file, "links": links_of(ctx, file["id"])}


def store_links(ctx: RequestContext, file_id: str) -> None:
    """Keep the stored file's `links` in step with its links, for the copies `expand[]`
    shows (it reads the stored file)."""
    file = ctx.find("file", file_id)
    if file is not None:
        file["links"] = links_of(ctx, file_id)
        ctx.save(file)


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    upload = _upload(params)
    purpose = params["purpose"]
    kind = _check(upload, purpose)
    link_data = params.get("file_link_data") or {}
    file_id = ctx.new_id("file")
    file = {
        "id": file_id,
        "object": "file",
        "created": ctx.now,
        "expires_at": expires_at(purpose, ctx.now),
        "filename": upload.filename,
        "links": {
            "object": "list",
            "data": [],
            "has_more": False,
            "url": f"/v1/file_links?file={file_id}",
        },
        "purpose": purpose,
        "size": len(upload.data),
        "title": None,
        "type": kind,
        "url": contents_url(ctx, file_id) if PURPOSES[purpose].downloadable else None,
    }
    ctx.insert(file)
    ctx.insert(
        {
            "id": file_id,
            "object": CONTENTS,
            "created": ctx.now,
            "data": base64.b64encode(upload.data).decode("ascii"),
        }
    )
    if link_data.get("create"):
        from . import file_links  # deferred: file_links imports this module

        file_links.new_link(
            ctx,
            file,
            link_data.get("expires_at"),
            link_data.get("metadata"),
            within="file_link_data",
        )
    return current(ctx, file)


def load(ctx: RequestContext, file_id: str, *, in_path: bool = True, param: str = "file") -> Any:
    found = ctx.find("file", file_id) if isinstance(file_id, str) else None
    if found is None:
        raise ResourceMissing("file", str(file_id), param=param, status=404 if in_path else 400)
    return found


def retrieve(ctx: RequestContext, params: dict[str, Any], file: str) -> dict[str, Any]:
    return current(ctx, load(ctx, file))


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = (Filter(("purpose",), "eq", params["purpose"]),) if params.get("purpose") else ()
    listed = list_objects(ctx, "file", params, "/v1/files", filters)
    listed["data"] = [current(ctx, file) for file in listed["data"]]
    return listed


@dataclass
class Download(pages.Page):
    """A file's bytes as an HTTP answer (the engine passes a Page through untouched)."""

    data: bytes = b""
    content_type: str = "application/octet-stream"
    filename: str = "file"

    def header_list(self) -> list[tuple[str, str]]:
        safe = self.filename.replace('"', "").replace("\r", "").replace("\n", "")
        return [
            ("content-type", self.content_type),
            ("content-disposition", f'inline; filename="{safe}"'),
            *self.headers,
        ]

    def body(self) -> bytes:
        return self.data


def download(ctx: RequestContext, file: dict[str, Any]) -> Download:
    record = ctx.find(CONTENTS, file["id"])
    data = base64.b64decode(record["data"]) if record else b""
    content_type = MIMETYPES.get(file["type"] or "", "application/octet-stream")
    return Download(200, "", data=data, content_type=content_type, filename=file["filename"])


def contents(ctx: RequestContext, params: dict[str, Any], file: str) -> Download:
    obj = load(ctx, file)
    if not PURPOSES.get(obj["purpose"], PURPOSES["identity_document"]).downloadable:
        raise PermissionDenied(f"Files with purpose {obj['purpose']} cannot be downloaded.")
    return download(ctx, obj)


ROUTES = [
    Route("POST", "/v1/files", create),
    Route("GET", "/v1/files", list_),
    Route("GET", "/v1/files/{file}", retrieve),
    Route("GET", "/v1/files/{file}/contents", contents),
]
