"""REST API of the billing app: serializers, views and URLs under /api/."""
