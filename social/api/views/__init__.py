"""Social API views, one module per resource: channels (with OAuth connect and team channels), media, short links."""
