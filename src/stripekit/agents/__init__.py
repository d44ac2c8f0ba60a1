"""Ways for AI agents to use the actions: an MCP server (`mcp.py`) and tool definitions
in the shapes agent frameworks take (`schemas.py`)."""
