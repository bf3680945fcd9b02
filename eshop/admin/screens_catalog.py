"""Admin: screens_catalog (being written)."""
