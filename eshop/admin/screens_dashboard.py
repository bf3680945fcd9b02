"""Admin: screens_dashboard (being written)."""
