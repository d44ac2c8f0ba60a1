"""Coupons, promotion codes and the discounts they put on customers and subscriptions."""

from .declare import create, delete, get, list_, update

ACTIONS = [
    create(
        "coupon",
        "/v1/coupons",
        "Create a coupon: percent_off or amount_off (+ currency), for once, forever or "
        "repeating months.",
        aliases=("Create a coupon",),
        example={"percent_off": 25, "duration": "repeating", "duration_in_months": 3},
    ),
    get(
        "coupon",
        "/v1/coupons/{id}",
        "Retrieve a coupon by id.",
        aliases=("Retrieve a coupon",),
        example={"id": "$coupon"},
    ),
    update(
        "coupon",
        "/v1/coupons/{id}",
        "Update a coupon's name or metadata (its terms can't change).",
        aliases=("Update a coupon",),
        example={"id": "$coupon", "name": "Spring sale"},
    ),
    delete(
        "coupon",
        "/v1/coupons/{id}",
        "Delete a coupon: no new redemptions; existing discounts stay.",
        aliases=("Delete a coupon",),
        example={"id": "$coupon"},
    ),
    list_(
        "coupons",
        "/v1/coupons",
        "List coupons, newest first.",
        aliases=("List all coupons",),
        example={"limit": 2},
    ),
    create(
        "promotion_code",
        "/v1/promotion_codes",
        "Create a customer-facing code for a coupon (e.g. SPRING25).",
        example={"promotion": {"type": "coupon", "coupon": "$coupon"}, "code": "SPRING25"},
    ),
    get(
        "promotion_code",
        "/v1/promotion_codes/{id}",
        "Retrieve a promotion code by id.",
        example={"id": "$promotion_code"},
    ),
    update(
        "promotion_code",
        "/v1/promotion_codes/{id}",
        "Activate or deactivate a promotion code, or change its metadata.",
        example={"id": "$promotion_code", "active": False},
    ),
    list_(
        "promotion_codes",
        "/v1/promotion_codes",
        "List promotion codes, by code, coupon, customer or active.",
        example={"code": "SPRING25"},
    ),
    get(
        "customer_discount",
        "/v1/customers/{customer}/discount",
        "Retrieve the discount currently applied to a customer.",
        aliases=("Get customer discounts",),
        # No example: this API version has no call that puts a coupon on a customer.
    ),
    get(
        "customer_subscription_discount",
        "/v1/customers/{customer}/subscriptions/{id}/discount",
        "Retrieve the discount applied to one of a customer's subscriptions.",
        aliases=("Get customer subscription discount",),
        example={"customer": "$discounted_customer", "id": "$discounted_subscription"},
    ),
]
