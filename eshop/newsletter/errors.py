"""The newsletter's domain errors, each with a message fit for the user."""

from __future__ import annotations


class NewsletterError(ValueError):
    """A request the newsletter refuses, with a message fit for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidEmail(NewsletterError):
    """The address cannot receive a newsletter."""


class InvalidFirstName(NewsletterError):
    """The first name is too long or contains line breaks."""


class InvalidLink(NewsletterError):
    """A confirmation or unsubscribe link is not genuine or no longer applies."""


class ExpiredLink(InvalidLink):
    """A genuine confirmation link, used after its lifetime."""


class CampaignError(NewsletterError):
    """The campaign cannot be saved or sent as asked."""


class CampaignNotFound(CampaignError):
    """No campaign has this id."""
