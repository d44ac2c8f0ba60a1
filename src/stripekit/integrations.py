"""`from stripekit import integrations; integrations.stripe.create_customer(...)`.

`stripe` here is the Stripe integration (a `StripeIntegration`), configured from
`stripekit.toml` and the environment on first use; `integrations.stripe.configure(...)`
replaces its accounts.
"""

from .facade import StripeIntegration

stripe = StripeIntegration()

__all__ = ["stripe"]
