"""Admin: screens_newsletter (being written)."""
