"""Customers, their credit balance transactions, their discount and their tax IDs."""

from .declare import create, delete, get, list_, search, update

ACTIONS = [
    create(
        "customer",
        "/v1/customers",
        "Create a customer (name, email, description, phone, address, metadata, ...).",
        aliases=("Create Customer", "Create a customer"),
        example={
            "name": "Acme Corp",
            "email": "billing@acme.test",
            "description": "Enterprise customer",
            "phone": "+1 555-0123",
            "metadata": {"crm_id": "12345", "tier": "enterprise"},
        },
    ),
    get(
        "customer",
        "/v1/customers/{id}",
        "Retrieve a customer by id.",
        aliases=("Retrieve Customer", "Get customer by ID"),
        example={"id": "$customer"},
    ),
    update(
        "customer",
        "/v1/customers/{id}",
        'Update a customer; fields not given are left unchanged, "" unsets one.',
        aliases=("Update Customer", "Update customer"),
        example={"id": "$customer", "name": "Acme Corp (Updated)", "metadata": {"tier": "premium"}},
    ),
    list_(
        "customers",
        "/v1/customers",
        "List customers, newest first, optionally only those with an email.",
        aliases=("List Customers", "List customers"),
        example={"limit": 2},
    ),
    delete(
        "customer",
        "/v1/customers/{id}",
        "Delete a customer permanently (their subscriptions are canceled).",
        aliases=("Delete Customer",),
        example={"id": "$customer"},
    ),
    search(
        "customers",
        "/v1/customers/search",
        'Search customers with Stripe\'s query language (email:"a@b.c", metadata["k"]:"v").',
        aliases=("Search customers",),
        example={"query": 'email:"billing@acme.test"'},
    ),
    create(
        "customer_balance_transaction",
        "/v1/customers/{customer}/balance_transactions",
        "Credit (negative amount) or debit a customer's balance; applied to their next invoice.",
        aliases=("Create customer balance transaction",),
        example={"customer": "$customer", "amount": -500, "currency": "usd"},
    ),
    get(
        "customer_balance_transaction",
        "/v1/customers/{customer}/balance_transactions/{id}",
        "Retrieve one transaction of a customer's balance.",
        example={"customer": "$customer", "id": "$customer_balance_transaction"},
    ),
    update(
        "customer_balance_transaction",
        "/v1/customers/{customer}/balance_transactions/{id}",
        "Change the description or metadata of a customer balance transaction.",
        example={
            "customer": "$customer",
            "id": "$customer_balance_transaction",
            "description": "Goodwill credit",
        },
    ),
    list_(
        "customer_balance_transactions",
        "/v1/customers/{customer}/balance_transactions",
        "List the transactions that changed a customer's balance, newest first.",
        plural="balance_transactions",
        aliases=("List customer balance transactions",),
        example={"customer": "$customer"},
    ),
    delete(
        "customer_discount",
        "/v1/customers/{customer}/discount",
        "Remove the discount (coupon) currently applied to a customer.",
        aliases=("Remove customer discount", "Delete a customer discount"),
        # No example: this API version has no call that puts a coupon on a customer.
    ),
    create(
        "card",
        "/v1/customers/{customer}/sources",
        "Save a card to a customer as a legacy source (a token such as tok_visa).",
        aliases=("Create a card",),
        example={"customer": "$customer", "source": "tok_visa"},
    ),
    get(
        "card",
        "/v1/customers/{customer}/sources/{id}",
        "Retrieve a customer's saved card (legacy source).",
        aliases=("Retrieve a card",),
        example={"customer": "$customer_with_source", "id": "$card"},
    ),
    update(
        "card",
        "/v1/customers/{customer}/sources/{id}",
        "Update a saved card's name, address, expiry or metadata.",
        aliases=("Update a card",),
        example={"customer": "$customer_with_source", "id": "$card", "name": "Jane Smith"},
    ),
    delete(
        "card",
        "/v1/customers/{customer}/sources/{id}",
        "Delete a customer's saved card.",
        aliases=("Delete a card",),
        example={"customer": "$customer_with_source", "id": "$card"},
    ),
    list_(
        "cards",
        "/v1/customers/{customer}/sources",
        "List a customer's saved cards (object=card) or other sources.",
        aliases=("List all cards",),
        example={"customer": "$customer_with_source", "object": "card"},
    ),
    create(
        "tax_id",
        "/v1/customers/{customer}/tax_ids",
        "Add a tax ID (type such as eu_vat, gb_vat, us_ein; value) to a customer; it is "
        "printed on their invoices.",
        aliases=("Create a customer tax ID",),
        example={"customer": "$customer", "type": "eu_vat", "value": "DE123456789"},
    ),
    list_(
        "tax_ids",
        "/v1/customers/{customer}/tax_ids",
        "List a customer's tax IDs, newest first, with their verification status.",
        aliases=("List all customer tax IDs",),
        example={"customer": "$customer_with_tax_id"},
    ),
    delete(
        "tax_id",
        "/v1/customers/{customer}/tax_ids/{id}",
        "Delete one of a customer's tax IDs.",
        aliases=("Delete a customer tax ID",),
        example={"customer": "$customer_with_tax_id", "id": "$tax_id"},
    ),
]
