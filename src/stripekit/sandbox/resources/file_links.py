"""File links: /v1/file_links (create, retrieve, update, list) and the public link itself.

A link's `url` downloads its file without an API key until `expires_at` (sandbox time);
the sandbox serves it at `/links/{account}/{link}` on its own address (Stripe's is
files.stripe.com/links/...). Only files of the purposes Stripe lists can be linked.
`expired` is derived from `expires_at` and the sandbox clock whenever a link is shown.
"""

from __future__ import annotations

from typing import Any

from ..framework import metadata, pages
from ..framework.context import RequestContext
from ..framework.errors import InvalidRequestError, ResourceMissing
from ..framework.listing import created_range, in_range, page_in_memory
from ..framework.routing import Route
from ..store import Filter
from . import files

# Purposes whose files can be linked (Stripe's file_links create reference); some are
# Stripe-generated files the sandbox never makes, kept so the rule reads as Stripe's.
LINKABLE = frozenset(
    (
        "business_icon",
        "business_logo",
        "customer_signature",
        "dispute_evidence",
        "finance_report_run",
        "financial_account_statement",
        "identity_document_downloadable",
        "issuing_regulatory_reporting",
        "pci_document",
        "selfie",
        "sigma_scheduled_query",
        "tax_document_user_upload",
        "terminal_android_apk",
        "terminal_reader_splashscreen",
    )
)
PUBLIC_TEMPLATE = "/links/{account}/{link}"


def _expired(ctx: RequestContext, link: dict[str, Any]) -> bool:
    return link["expires_at"] is not None and link["expires_at"] <= ctx.now


def current(ctx: RequestContext, link: dict[str, Any]) -> dict[str, Any]:
    """The link as of now: `expired` follows the sandbox clock."""
    return {**link, "expired": _expired(ctx, link)}


def _check_expires_at(ctx: RequestContext, value: Any, param: str) -> int | None:
    if value is None or value == "":
        return None
    if value <= ctx.now:
        raise InvalidRequestError(
            f"The expiration time must be in the future, but {value} is in the past.",
            param=param,
        )
    return int(value)


def new_link(
    ctx: RequestContext,
    file: dict[str, Any],
    expires_at: Any,
    meta: Any,
    *,
    within: str | None = None,
) -> dict[str, Any]:
    """Link `file`: for file_links create, or for a files create's `file_link_data` (then
    `within` names that hash, for the params errors point at)."""

    def name(param: str) -> str:
        return f"{within}[{param}]" if within else param

    if file["purpose"] not in LINKABLE:
        raise InvalidRequestError(
            f"Cannot create a file link for a file with purpose `{file['purpose']}`. Links can "
            "be created only for files with one of these purposes: "
            f"{', '.join(sorted(LINKABLE))}.",
            param=name("create") if within else "file",
        )
    link_id = ctx.new_id("link")
    link = {
        "id": link_id,
        "object": "file_link",
        "created": ctx.now,
        "expired": False,
        "expires_at": _check_expires_at(ctx, expires_at, name("expires_at")),
        "file": file["id"],
        "livemode": False,
        "metadata": metadata.merge(None, meta or {}, param=name("metadata")),
        "url": f"{ctx.base_url.rstrip('/')}/links/{ctx.account}/{link_id}",
    }
    ctx.insert(link)
    files.store_links(ctx, file["id"])
    return link


def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    file = files.load(ctx, params["file"], in_path=False)
    return new_link(ctx, file, params.get("expires_at"), params.get("metadata"))


def _load(ctx: RequestContext, link: str) -> dict[str, Any]:
    found = ctx.find("file_link", link)
    if found is None:
        raise ResourceMissing("file link", link, param="link")
    return found


def retrieve(ctx: RequestContext, params: dict[str, Any], link: str) -> dict[str, Any]:
    return current(ctx, _load(ctx, link))


def update(ctx: RequestContext, params: dict[str, Any], link: str) -> dict[str, Any]:
    obj = _load(ctx, link)
    if _expired(ctx, obj) and "expires_at" in params:
        raise InvalidRequestError(
            "This file link has expired; the expiration time of an expired link cannot be changed.",
            param="expires_at",
        )
    if "expires_at" in params:
        value = params["expires_at"]
        if value == "now":
            obj["expires_at"] = ctx.now
        else:
            obj["expires_at"] = _check_expires_at(ctx, value, "expires_at")
    if "metadata" in params:
        obj["metadata"] = metadata.merge(obj["metadata"], params["metadata"])
    obj["expired"] = _expired(ctx, obj)
    ctx.save(obj)
    files.store_links(ctx, obj["file"])
    return obj


def list_(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """`expired` is a function of the clock, which the store cannot filter on: the links
    are filtered here and paged over, newest first, as the store pages."""
    filters = (Filter(("file",), "eq", params["file"]),) if params.get("file") else ()
    everything = [current(ctx, link) for link in ctx.tx.scan(ctx.account, "file_link")]
    wanted = {link["id"] for link in ctx.tx.scan(ctx.account, "file_link", filters)}
    created = created_range(params.get("created"))
    expired = params.get("expired")
    matching = [
        link
        for link in everything
        if link["id"] in wanted
        and in_range(link["created"], created)
        and (expired in (None, "") or link["expired"] is expired)
    ]
    return page_in_memory(everything, matching, params, noun="file link", url="/v1/file_links")


def open_link(ctx: RequestContext, params: dict[str, Any], link: str) -> pages.Page:
    """The public URL: the file's bytes for anyone holding it, until the link expires."""
    obj = ctx.find("file_link", link)
    if obj is None:
        raise InvalidRequestError("This file link does not exist.", status=404)
    if _expired(ctx, obj):
        raise InvalidRequestError("This file link has expired.", status=410)
    file = ctx.find("file", obj["file"])
    if file is None:
        raise InvalidRequestError("This file link does not exist.", status=404)
    return files.download(ctx, file)


# Stripe's restricted keys have one "Files" permission for files and their links.
ROUTES = [
    Route("POST", "/v1/file_links", create, permission="files"),
    Route("GET", "/v1/file_links", list_, permission="files"),
    Route("GET", "/v1/file_links/{link}", retrieve, permission="files"),
    Route("POST", "/v1/file_links/{link}", update, permission="files"),
    Route("GET", PUBLIC_TEMPLATE, open_link, public=True),
]
