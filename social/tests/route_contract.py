"""What the social routes need in the generated route contract (core/tests/test_route_contract.py)."""

PATH_VALUES = {
    # A person holding a token on the world's channels: the demo channels' owner.
    ("ChannelViewSet", "user_id"): lambda world: world.owner.user_id,
}
