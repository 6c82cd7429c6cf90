"""A vendor that exists only in tests: one package and one line in settings.VENDORS, nothing else
changed, and it is in the connection form, add_connection, the client factory and the dispatch."""
