"""Crossings: headcounts and registrations at checkpoints, forms, OpenRosa and sync."""
