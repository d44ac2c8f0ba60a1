"""`stripekit trigger <event>`: make a Stripe API (the sandbox, or Stripe's test mode) emit
an event, the way the Stripe CLI's `stripe trigger` does, offline.

Each event has a recipe: ordinary official-SDK calls (`stripe.StripeClient`) that lead
Stripe to emit it, so the same recipe works against real test mode where Stripe allows
it. Sandbox time is moved through `/_sandbox/clock/advance` where a recipe needs time to
pass (a payout landing); elsewhere test clocks do it, as they would on Stripe. `RECIPES` is
the single table the command's `--help`/`--list` and its tests read.

`--override resource:path=value` follows the Stripe CLI: it sets `path` (dotted or
bracketed: `address.city`, `metadata[plan]`) in the create parameters of the recipe's
object of that resource, e.g. `--override customer:name=Acme`.
"""

from .command import (
    DEFAULT_API_BASE,
    Outcome,
    add_parser,
    build_client,
    recipe_list,
    run_command,
    trigger,
)
from .recipes import RECIPES, Recipe
from .run import NotAvailable, PrintingHTTPClient, Run, merged, parse_override, parse_overrides

__all__ = [
    "DEFAULT_API_BASE",
    "RECIPES",
    "NotAvailable",
    "Outcome",
    "PrintingHTTPClient",
    "Recipe",
    "Run",
    "add_parser",
    "build_client",
    "merged",
    "parse_override",
    "parse_overrides",
    "recipe_list",
    "run_command",
    "trigger",
]
