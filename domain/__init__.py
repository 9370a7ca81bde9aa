"""The Council's domain: aggregates, events, rules, and the application whose methods are the commands."""
