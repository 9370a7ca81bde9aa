"""The read side the API calls: filters, search, cursor pagination and batch loading by ids.

All SQL the API needs lives in this package; the GraphQL layer never writes SQL.
"""
