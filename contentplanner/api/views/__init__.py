"""Content planner API views, one module per resource: posts (groups, posts and their actions, campaigns, tags)
and reads (calendar, counts, export, analytics)."""
