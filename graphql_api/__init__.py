"""The GraphQL API, the HTTP app and the council command line."""
