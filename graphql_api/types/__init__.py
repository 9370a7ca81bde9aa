"""The GraphQL object types, one module per feature area."""
