"""Delivers finished emails to SES, Resend or an SMTP relay.

Network I/O only; imports nothing of ours.
"""
