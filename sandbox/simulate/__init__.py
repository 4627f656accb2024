"""The delivery simulator: what a real provider does after accepting a message."""
