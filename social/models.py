"""social models."""
