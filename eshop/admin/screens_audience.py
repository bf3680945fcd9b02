"""Admin: screens_audience (being written)."""
