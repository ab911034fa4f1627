"""REST API of the customers app: serializers, views and URLs under /api/."""
