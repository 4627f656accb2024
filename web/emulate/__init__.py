"""Provider API emulators on the HTTP port: SES v2, SES v1, Resend, and other sandboxes' APIs."""
