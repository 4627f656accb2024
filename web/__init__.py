"""The HTTP surface and composition root: settings, the app, the CLI, the JSON API."""
