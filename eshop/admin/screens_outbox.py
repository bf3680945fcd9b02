"""Admin: screens_outbox (being written)."""
