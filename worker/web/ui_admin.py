"""User administration in the review UI (admins): ``/admin/users``, adding users, roles, access.

An admin cannot take away their own admin role or disable their own account; disabling a
user ends their sessions and revokes their API tokens.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from models.review import Role
from worker.core.errors import InvalidDecision, SuggestionNotFound
from worker.web.deps import Form, Pages, PageSession, Review

router = APIRouter(include_in_schema=False)


@router.get("/admin/users")
def users_page(request: Request, ui: Pages, review: Review, session: PageSession) -> Response:
    """Every user, with forms to add one and change roles and access."""
    review.require(session.user, Role.ADMIN)
    return ui.render(
        request,
        "users.html",
        {"title": "Users", "users": review.users.users(), "roles": [r.value for r in Role]},
        session,
    )


@router.post("/admin/users")
def add_user(request: Request, ui: Pages, review: Review, form: Form) -> Response:
    """Add a user with a role and a password."""
    actor = form.session.user
    review.require(actor, Role.ADMIN)
    name = form.fields.get("name", "").strip()
    try:
        role = _role(form.fields.get("role", ""))
        review.users.add(name, role, form.fields.get("password", ""), actor=actor.name)
    except InvalidDecision as exc:
        return ui.redirect(request, "/admin/users", exc.message, ok=False)
    return ui.redirect(request, "/admin/users", f"user {name} added as {role.value}")


@router.post("/admin/users/role")
def change_role(request: Request, ui: Pages, review: Review, form: Form) -> Response:
    """Give a user another role (not yourself a lesser one)."""
    actor = form.session.user
    review.require(actor, Role.ADMIN)
    name = form.fields.get("name", "")
    try:
        role = _role(form.fields.get("role", ""))
        if name == actor.name and role is not Role.ADMIN:
            raise InvalidDecision("you cannot take away your own admin role")
        review.users.update(name, actor.name, role=role)
    except (InvalidDecision, SuggestionNotFound) as exc:
        return ui.redirect(request, "/admin/users", exc.message, ok=False)
    return ui.redirect(request, "/admin/users", f"{name} is now {role.value}")


@router.post("/admin/users/active")
def change_active(request: Request, ui: Pages, review: Review, form: Form) -> Response:
    """Enable or disable a user (not yourself)."""
    actor = form.session.user
    review.require(actor, Role.ADMIN)
    name = form.fields.get("name", "")
    active = form.fields.get("active") == "true"
    try:
        if name == actor.name and not active:
            raise InvalidDecision("you cannot disable your own account")
        review.users.update(name, actor.name, active=active)
    except (InvalidDecision, SuggestionNotFound) as exc:
        return ui.redirect(request, "/admin/users", exc.message, ok=False)
    verb = "enabled" if active else "disabled; their sessions ended, API tokens revoked"
    return ui.redirect(request, "/admin/users", f"{name} {verb}")


def _role(value: str) -> Role:
    """The role named ``value``.

    :raises InvalidDecision: no such role.
    """
    try:
        return Role(value)
    except ValueError:
        raise InvalidDecision(f"unknown role {value!r}") from None
