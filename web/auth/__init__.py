"""The reference auth service's HTTP surface: MIOSA's /auth, BluAuth's /api/auth and /api/admin."""
