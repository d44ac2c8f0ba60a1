"""stripekit: Stripe actions, webhooks and an offline Stripe-compatible sandbox."""

__version__ = "0.1.0"
