"""One module per Stripe resource. Each exports its `ROUTES`; those with fields Stripe shows
only when expanded also export `INCLUDABLE` ({object type: field names}); those that act
when sandbox time passes export `TIMERS` ({kind: handler(ctx, ref)}). A new resource
module is added to `MODULES` and nowhere else."""

from collections.abc import Callable
from types import ModuleType

from ..framework.context import RequestContext
from ..framework.routing import Route
from . import (
    accounts,
    application_fees,
    balance,
    billing_meters,
    billing_portal,
    charges,
    checkout_sessions,
    coupons,
    credit_notes,
    customer_balance,
    customers,
    discounts,
    disputes,
    events,
    file_links,
    files,
    invoiceitems,
    invoices,
    mandates,
    payment_intents,
    payment_links,
    payment_methods,
    payouts,
    plans,
    prices,
    products,
    promotion_codes,
    quotes,
    refunds,
    setup_intents,
    shipping_rates,
    sources,
    subscription_items,
    subscription_schedules,
    subscriptions,
    tax_ids,
    tax_rates,
    test_clocks,
    tokens,
    transfers,
    usage_records,
    webhook_endpoints,
)

MODULES: tuple[ModuleType, ...] = (
    customers,
    products,
    prices,
    plans,
    coupons,
    events,
    payment_methods,
    tokens,
    sources,
    setup_intents,
    payment_intents,
    mandates,
    charges,
    refunds,
    disputes,
    balance,
    payouts,
    test_clocks,
    promotion_codes,
    discounts,
    billing_meters,
    tax_rates,
    tax_ids,
    customer_balance,
    invoiceitems,
    invoices,
    credit_notes,
    subscriptions,
    subscription_items,
    subscription_schedules,
    quotes,
    usage_records,
    shipping_rates,
    checkout_sessions,
    payment_links,
    billing_portal,
    files,
    file_links,
    webhook_endpoints,
    accounts,
    transfers,
    application_fees,
)

ROUTES: list[Route] = [route for module in MODULES for route in module.ROUTES]

INCLUDABLE: dict[str, tuple[str, ...]] = {
    object_type: fields
    for module in MODULES
    for object_type, fields in getattr(module, "INCLUDABLE", {}).items()
}

TIMERS: dict[str, Callable[[RequestContext, str], None]] = {
    kind: handler for module in MODULES for kind, handler in getattr(module, "TIMERS", {}).items()
}
