"""Admin: screens_orders (being written)."""
