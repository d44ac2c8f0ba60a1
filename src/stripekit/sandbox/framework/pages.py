"""Pages the sandbox serves to a browser: 3-D Secure now, hosted Checkout later.

Plain server-rendered HTML with no external assets (the sandbox runs offline), escaped
with `html.escape`; a handler of a `public` route answers with a `Page`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from .errors import StripeError

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;background:#f6f8fa;margin:0}
main{max-width:28rem;margin:4rem auto;background:#fff;border-radius:8px;padding:2rem;
box-shadow:0 2px 8px rgba(0,0,0,.08)}
h1{font-size:1.25rem;margin-top:0}.muted{color:#687385;font-size:.9rem}
button{font:inherit;padding:.6rem 1.2rem;border-radius:6px;border:1px solid #635bff;
background:#635bff;color:#fff;cursor:pointer;margin-right:.5rem}
button.secondary{background:#fff;color:#635bff}.error{color:#b3261e}
"""


@dataclass
class Page:
    status: int
    html: str
    headers: list[tuple[str, str]] = field(default_factory=list)

    def header_list(self) -> list[tuple[str, str]]:
        return [("content-type", "text/html; charset=utf-8"), *self.headers]

    def body(self) -> bytes:
        return self.html.encode()


def escape(text: object) -> str:
    return html.escape(str(text), quote=True)


def render(title: str, content: str, *, status: int = 200) -> Page:
    """A whole document around `content` (already-escaped HTML)."""
    document = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{content}</main></body></html>"
    )
    return Page(status, document)


def redirect(url: str) -> Page:
    """Send the browser on (303: the next request is a GET, as after a form post)."""
    return Page(303, "", [("location", url)])


def error_page(exc: StripeError) -> Page:
    return render(
        "Sandbox error",
        f"<h1>Something went wrong</h1><p class=error>{escape(exc.message)}</p>",
        status=exc.status,
    )
