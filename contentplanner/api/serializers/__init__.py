"""Content planner wire formats, one module per resource: posts (groups, posts, approval, feed, campaigns, tags,
attempts), reads (calendar, counts, export) and analytics."""
