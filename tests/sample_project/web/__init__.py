"""The sample project's own `web` package (not mailyard's): a small WSGI app."""
