"""REST API of the payments app: serializers, views and URLs under /api/."""
