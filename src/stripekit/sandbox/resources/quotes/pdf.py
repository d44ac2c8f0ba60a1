"""`GET /v1/quotes/{quote}/pdf`: the quote as a one-page PDF (Stripe serves it from
files.stripe.com; the SDK's `quotes.pdf` streams it). Drafts have none yet: only a
finalized quote is sent to a customer. The document is made the way invoice PDFs are
(`invoices.pages.pdf_document`)."""

from __future__ import annotations

from typing import Any

from ...framework.context import RequestContext
from ...framework.errors import InvalidRequestError
from ...framework.routing import Route
from ..invoices.pages import PdfPage, date_text, pdf_document
from ..payment_intents.money import format_amount
from . import model

MAX_PDF_LINES = 40


def _rows(ctx: RequestContext, quote: dict[str, Any]) -> list[str]:
    money = quote["currency"] or "usd"
    customer = ctx.find("customer", quote["customer"] or "") or {}
    rows = [
        f"Quote number: {quote['number']}",
        f"Status: {quote['status']}",
        f"Expires: {date_text(quote['expires_at'])}",
        f"Bill to: {customer.get('name') or customer.get('email') or quote['customer']}",
    ]
    if quote["header"]:
        rows += ["", quote["header"]]
    if quote["description"]:
        rows += ["", quote["description"][:100]]
    rows.append("")
    items = model.items_of(quote)
    for item in items[:MAX_PDF_LINES]:
        recurring = item["price"].get("recurring")
        every = f" / {recurring['interval']}" if recurring else ""
        amount = format_amount(item["amount_subtotal"], money)
        rows.append(f"{(item['description'] or '')[:60]}    x{item['quantity']}    {amount}{every}")
    if len(items) > MAX_PDF_LINES:
        rows.append(f"... and {len(items) - MAX_PDF_LINES} more lines")
    rows.append("")
    totals = quote["total_details"]
    rows.append(f"Subtotal: {format_amount(quote['amount_subtotal'], money)}")
    if totals["amount_discount"]:
        rows.append(f"Discount: {format_amount(-totals['amount_discount'], money)}")
    if totals["amount_tax"]:
        rows.append(f"Tax: {format_amount(totals['amount_tax'], money)}")
    rows.append(f"Total: {format_amount(quote['amount_total'], money)}")
    if quote["footer"]:
        rows += ["", quote["footer"][:100]]
    return rows


def pdf(ctx: RequestContext, params: dict[str, Any], quote: str) -> PdfPage:
    obj = ctx.load(model.OBJECT, quote, param="quote")
    if obj["status"] == "draft":
        # Proposal: Stripe documents the PDF for finalized quotes only.
        raise InvalidRequestError(
            "You can only download the PDF of a finalized quote. Finalize the quote first."
        )
    data = pdf_document(f"Quote {obj['number']}", _rows(ctx, obj))
    return PdfPage(200, "", data=data, filename=f"{obj['number']}.pdf")


ROUTES = [Route("GET", "/v1/quotes/{quote}/pdf", pdf)]
