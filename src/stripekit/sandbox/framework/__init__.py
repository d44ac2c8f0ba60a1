"""Resource-independent machinery of the sandbox engine."""
