"""The sample project's own `sandbox` package (not mailyard's): its accounts and its mailer."""
