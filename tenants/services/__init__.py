"""Writes for the tenants app, one module per subject:

- workspaces: tenants, settings, theme, sub-tenants
- api_keys: API keys
- auth: login, refresh, logout, token exchange, TOTP, passwords
- members: users and memberships (invite, role change, removal)
- teams: teams and their members
"""
