"""URLs of the customers app's API: categories, customers, products, contracts and services under /api/."""

from rest_framework.routers import SimpleRouter

from quita.customers.api import views

router = SimpleRouter()
router.register("categories", views.CategoryViewSet, basename="category")
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("products", views.ProductViewSet, basename="product")
router.register("contracts", views.ContractViewSet, basename="contract")
router.register("services", views.ServiceViewSet, basename="service")

urlpatterns = router.urls
