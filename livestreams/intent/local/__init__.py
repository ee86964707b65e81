"""Internals of the rule-based intent engine; the public entry point is `livestreams.intent.local_engine`."""
