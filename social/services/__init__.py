"""Writes of the social app, one module per subject: channels, oauth, tokens (and media, shortlinks)."""
