"""Background jobs with leases, notifications, and cross-worker cache versions."""
