"""One module per Stripe resource; each exports its `ROUTES`, and those with fields Stripe
shows only when expanded also export `INCLUDABLE` ({object type: field names})."""

from ..framework.routing import Route
from . import coupons, customers, events, plans, prices, products

ROUTES: list[Route] = [
    *customers.ROUTES,
    *products.ROUTES,
    *prices.ROUTES,
    *plans.ROUTES,
    *coupons.ROUTES,
    *events.ROUTES,
]

INCLUDABLE: dict[str, tuple[str, ...]] = {
    object_type: fields
    for module in (customers, products, prices, plans, coupons, events)
    for object_type, fields in getattr(module, "INCLUDABLE", {}).items()
}
