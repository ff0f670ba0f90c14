"""Content planner writes: one module per subject (posts, groups, approval, feed, campaigns, tags, validation)."""
