"""External link shorteners a tenant can use instead of Hubbub's own /s/<code> links."""
