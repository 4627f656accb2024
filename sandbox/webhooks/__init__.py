"""Webhooks: delivering events to the app under test, signed as each provider signs them."""
