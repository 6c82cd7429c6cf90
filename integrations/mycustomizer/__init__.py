"""MyCustomizer and Kickflip: one API (Kickflip adds the bad-words "wordfilter" endpoints)."""
