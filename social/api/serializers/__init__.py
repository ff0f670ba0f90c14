"""Social API serializers, one module per resource (Input/Output pairs). Tokens are never part of any output."""
