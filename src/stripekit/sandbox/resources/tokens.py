"""tokens: placeholder until implemented."""

from ..framework.routing import Route

ROUTES: list[Route] = []
