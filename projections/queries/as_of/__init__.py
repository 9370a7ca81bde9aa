"""State as of a moment, computed from the events: the same rows the read models hold now.

Each module turns one aggregate, as it stood at a log position, into the row types of
``projections.queries`` (its row and the rows of its parts), so the API maps the past and the
present with one mapping.
"""
