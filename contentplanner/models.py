"""contentplanner models."""
