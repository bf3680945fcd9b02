"""Admin: auth (being written)."""

from eshop.extensions import login_manager


@login_manager.user_loader
def load_owner(user_id: str) -> None:
    """No owner accounts yet: replaced by the real loader."""
    return None
