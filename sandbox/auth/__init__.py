"""The reference auth service: signup, email confirmation, password reset, invitations, tenants."""
