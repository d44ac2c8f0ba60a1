"""Ways for AI agents to use the actions: an MCP server (`mcp.py`)."""
