"""End-to-end tests of the REST API under /api/."""
