"""The core of mailyard: the store, the SMTP sink, search, and what is derived from captured mail.

`sandbox` may import `renderer` and `senders`; it never imports `web`.
"""
