"""The FastAPI application: mounts each capability's router, templates and static files."""
