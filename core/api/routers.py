from rest_framework.routers import SimpleRouter


class ApiRouter(SimpleRouter):
    """Trailing slash optional on every route (`/teams` and `/teams/` both work, no redirect)."""

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"
