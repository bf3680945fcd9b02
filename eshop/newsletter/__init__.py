"""newsletter domain."""
