"""Database foundation: engine, sessions, declarative base, mixins, migrations."""
