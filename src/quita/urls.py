"""URLs: the admin, the REST API under /api/ and its schema."""

from django.contrib import admin
from django.urls import path

urlpatterns = [
    path("admin/", admin.site.urls),
]
