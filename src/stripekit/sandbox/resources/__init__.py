"""One module per Stripe resource; each exports its `ROUTES`."""

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
