"""The pages behind `hosted_invoice_url` and `invoice_pdf`, served by the sandbox.

`/_sandbox/pages/invoices/{account}/{invoice}`: the hosted invoice page (HTML): the
invoice's lines and totals, and for an open invoice a form that pays it with a test card
(the payment goes through the same code as `POST /v1/invoices/{invoice}/pay`).
`.../pdf`: a real one-page PDF 1.4 document (Helvetica text) with the same content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ...framework import pages
from ...framework.context import RequestContext
from ...framework.errors import CardError, InvalidRequestError
from ...framework.routing import Route
from ..payment_intents.money import format_amount
from . import common, model, payment

TEST_CARDS = {
    "visa": "Visa 4242 (succeeds)",
    "chargeDeclined": "Visa 0002 (declined)",
    "chargeDeclinedInsufficientFunds": "Visa 9995 (insufficient funds)",
}
MAX_PDF_LINES = 44


@dataclass
class PdfPage(pages.Page):
    data: bytes = b""
    filename: str = "invoice.pdf"

    def header_list(self) -> list[tuple[str, str]]:
        return [
            ("content-type", "application/pdf"),
            ("content-disposition", f'inline; filename="{self.filename}"'),
            *self.headers,
        ]

    def body(self) -> bytes:
        return self.data


def _invoice(ctx: RequestContext, invoice_id: str) -> dict[str, Any]:
    invoice = ctx.find("invoice", invoice_id)
    if invoice is None or invoice.get("deleted") or invoice["status"] == "draft":
        # Drafts have no customer-facing page yet.
        raise InvalidRequestError("This invoice page does not exist.", status=404)
    return model.current(ctx, invoice)


def date_text(timestamp: int | None) -> str:
    if not timestamp:
        return "-"
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%B %d, %Y")


def _summary(invoice: dict[str, Any]) -> list[tuple[str, str]]:
    money = invoice["currency"]
    rows = [("Subtotal", format_amount(invoice["subtotal"], money))]
    for entry in invoice["total_discount_amounts"] or []:
        rows.append(("Discount", format_amount(-entry["amount"], money)))
    rows.append(("Total", format_amount(invoice["total"], money)))
    applied = (invoice.get("ending_balance") or 0) - (invoice.get("starting_balance") or 0)
    if applied:
        rows.append(("Applied balance", format_amount(-applied, money)))
    rows.append(("Amount due", format_amount(invoice["amount_due"], money)))
    rows.append(("Amount paid", format_amount(invoice["amount_paid"], money)))
    rows.append(("Amount remaining", format_amount(invoice["amount_remaining"], money)))
    return rows


def hosted_page(ctx: RequestContext, params: dict[str, Any], invoice: str) -> pages.Page:
    obj = _invoice(ctx, invoice)
    esc = pages.escape
    money = obj["currency"]
    lines = "".join(
        f"<tr><td>{esc(line['description'] or '')}</td><td>{line['quantity'] or ''}</td>"
        f"<td style='text-align:right'>{esc(format_amount(line['amount'], money))}</td></tr>"
        for line in model.lines_of(obj)
    )
    summary = "".join(
        f"<tr><td colspan=2>{esc(label)}</td><td style='text-align:right'>{esc(value)}</td></tr>"
        for label, value in _summary(obj)
    )
    message = ""
    if params.get("result"):
        message = f"<p class=muted>{esc(params['result'])}</p>"
    form = ""
    if obj["status"] in ("open", "uncollectible"):
        options = "".join(
            f"<option value='{esc(k)}'>{esc(v)}</option>" for k, v in TEST_CARDS.items()
        )
        form = (
            "<form method=post><label>Test card <select name=card>"
            f"{options}</select></label> <button type=submit>Pay "
            f"{esc(format_amount(obj['amount_remaining'], money))}</button></form>"
        )
    content = (
        f"<h1>Invoice {esc(obj['number'] or obj['id'])}</h1>"
        f"<p class=muted>Status: {esc(obj['status'])}"
        f" · Issued {esc(date_text(obj['effective_at']))}"
        f" · Due {esc(date_text(obj['due_date']))}</p>"
        f"<p>Billed to {esc(obj['customer_name'] or obj['customer_email'] or obj['customer'])}</p>"
        f"<table style='width:100%'>{lines}{summary}</table>{message}{form}"
        f"<p><a href='{esc(common.pdf_url(ctx, obj['id']))}'>Download PDF</a></p>"
    )
    return pages.render(f"Invoice {obj['number'] or obj['id']}", content)


def pay_from_page(ctx: RequestContext, params: dict[str, Any], invoice: str) -> pages.Page:
    """The hosted page's form: pay with the chosen test card, then show the page again."""
    obj = ctx.find("invoice", invoice)
    if obj is None or obj.get("deleted") or obj["status"] not in ("open", "uncollectible"):
        return hosted_page(ctx, {}, invoice)
    card = params.get("card") if params.get("card") in TEST_CARDS else "visa"
    try:
        payment.attempt_payment(ctx, obj, payment_method=f"pm_card_{card}", off_session=False)
        result = "Payment succeeded." if obj["status"] == "paid" else "Payment pending."
    except CardError as exc:
        result = f"Payment failed: {exc.message}"
    return hosted_page(ctx, {"result": result}, invoice)


# -- the PDF ------------------------------------------------------------------------------------


def _pdf_text(text: str) -> str:
    printable = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)
    return printable.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_document(title: str, rows: list[str]) -> bytes:
    """A minimal, valid one-page PDF showing `rows` of text under `title`."""
    commands = ["BT", "/F1 18 Tf", "72 740 Td", f"({_pdf_text(title)}) Tj", "/F1 11 Tf", "15 TL"]
    commands.append("T*")
    for row in rows:
        commands.append(f"({_pdf_text(row)}) '")
    commands.append("ET")
    stream = "\n".join(commands).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def pdf(ctx: RequestContext, params: dict[str, Any], invoice: str) -> pages.Page:
    obj = _invoice(ctx, invoice)
    money = obj["currency"]
    rows = [
        f"Invoice number: {obj['number'] or obj['id']}",
        f"Status: {obj['status']}",
        f"Date of issue: {date_text(obj['effective_at'])}",
        f"Date due: {date_text(obj['due_date'])}",
        f"Bill to: {obj['customer_name'] or obj['customer_email'] or obj['customer']}",
        "",
    ]
    lines = model.lines_of(obj)
    for line in lines[:MAX_PDF_LINES]:
        amount = format_amount(line["amount"], money)
        rows.append(f"{(line['description'] or '')[:70]}    x{line['quantity'] or 1}    {amount}")
    if len(lines) > MAX_PDF_LINES:
        rows.append(f"... and {len(lines) - MAX_PDF_LINES} more lines")
    rows.append("")
    rows += [f"{label}: {value}" for label, value in _summary(obj)]
    if obj.get("footer"):
        rows += ["", obj["footer"][:100]]
    data = pdf_document(f"Invoice {obj['number'] or ''}".strip(), rows)
    return PdfPage(200, "", data=data, filename=f"Invoice-{obj['number'] or obj['id']}.pdf")


ROUTES = [
    Route("GET", "/_sandbox/pages/invoices/{account}/{invoice}", hosted_page, public=True),
    Route("POST", "/_sandbox/pages/invoices/{account}/{invoice}", pay_from_page, public=True),
    Route("GET", "/_sandbox/pages/invoices/{account}/{invoice}/pdf", pdf, public=True),
]
