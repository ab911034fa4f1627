"""The staff UI's request context: the user's entities, the current one (kept in the session) and what they may do."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.functional import SimpleLazyObject

from quita.core.models import Entity, Membership
from quita.core.permissions import ROLE_ACTIONS
from quita.core.selectors import entities_for_user

SESSION_KEY = "quita_entity_id"


def user_entities(request) -> list[Entity]:
    """The entities the user may see (their memberships; all for a superuser), read once per request."""
    cached = getattr(request, "_web_entities", None)
    if cached is None:
        cached = list(entities_for_user(request.user).order_by("name", "pk"))
        request._web_entities = cached
    return cached


def current_entity(request) -> Entity | None:
    """The entity the user works in: the one chosen in the switcher, else their first."""
    entities = user_entities(request)
    chosen = request.session.get(SESSION_KEY)
    for entity in entities:
        if entity.pk == chosen:
            return entity
    return entities[0] if entities else None


def set_current_entity(request, entity: Entity) -> None:
    request.session[SESSION_KEY] = entity.pk


def user_actions(request, entity: Entity | None) -> frozenset[str]:
    """The actions of core.permissions the user may do in `entity` (the same table the services check)."""
    if entity is None:
        return frozenset()
    cache = getattr(request, "_web_actions", None)
    if cache is None:
        cache = request._web_actions = {}
    if entity.pk not in cache:
        if request.user.is_superuser:
            actions = frozenset().union(*ROLE_ACTIONS.values())
        else:
            role = Membership.objects.filter(user=request.user, entity=entity).values_list("role", flat=True).first()
            actions = ROLE_ACTIONS.get(role, frozenset())
        cache[entity.pk] = actions
    return cache[entity.pk]


def staff_view(view):
    """A staff page: login required; `request.entity` is the current entity (403 when the user has none)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        request.entity = current_entity(request)
        if request.entity is None:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def web(request):
    """Template context for every page: the entity switcher and the permission flags (computed lazily)."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {
        "web_entities": SimpleLazyObject(lambda: user_entities(request)),
        "web_entity": SimpleLazyObject(lambda: current_entity(request)),
        "can": SimpleLazyObject(lambda: {a: True for a in user_actions(request, current_entity(request))}),
    }
