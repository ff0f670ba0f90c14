"""Social models, one module per subject: channels (and their team links), media library, short links."""
