"""Renders themed auth emails. Pure: no I/O, and nothing of mailyard's own is imported here."""
