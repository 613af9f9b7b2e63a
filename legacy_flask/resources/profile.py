"""User profile (API.md §3.2, P13–P15). snake_case."""
from __future__ import annotations

import sqlalchemy as sa
from flask import request

from .. import db, serializers
from ..access import record_activity
from ..api import Api, ApiResource
from ..auth.cookies import clear_auth_cookies
from ..auth.identity import authenticated, current
from ..envelope import ok
from ..errors import Conflict
from ..models import User, UserSession, utcnow
from ..validation import Obj, Str, parse_body

#: P14's fields: the documented three plus the Proposed extras, each mapped 1:1 onto a users column.
PROFILE_FIELDS = {
    "full_name": Str(max_len=255),
    "phone": Str(max_len=20),
    "display_name": Str(max_len=100),
    "username": Str(min_len=1, max_len=100, nullable=True),
    "bio": Str(),
    "avatar_url": Str(max_len=2048, nullable=True),
    "metadata": Obj(),
}


def _activity(kind: str, **extra) -> None:
    ident = current()
    record_activity(kind, user_id=ident.user_id, session_id=ident.session.id, resource_type="user",
                    resource_id=ident.user_id, ip=request.remote_addr, user_agent=request.headers.get("User-Agent", ""),
                    **extra)


class Profile(ApiResource):
    rate_limits = {"get": "60/minute", "put": "10/minute", "delete": "1/hour"}

    @authenticated
    def get(self):
        return ok(serializers.user(current().user))

    @authenticated
    def put(self):
        body = parse_body(PROFILE_FIELDS, partial=True)
        user = current().user
        username = body.get("username")
        if username is not None and username != user.username and db.session().scalar(
                sa.select(User.id).where(User.username == username, User.id != user.id)):
            raise Conflict("Username is already taken")  # soft-deleted users keep their username reserved
        if "metadata" in body:
            # Shallow merge: top-level keys sent replace stored ones, the others are kept.
            body["metadata_"] = {**(user.metadata_ or {}), **body.pop("metadata")}
        changed = sorted(k.rstrip("_") for k, v in body.items() if getattr(user, k) != v)
        for name, value in body.items():
            setattr(user, name, value)
        if changed:
            user.updated_by_id = user.id
            _activity("profile_updated", metadata={"fields": changed})
        db.session().commit()
        return ok(serializers.user(user))

    @authenticated
    def delete(self):
        ident = current()
        user, now = ident.user, utcnow()
        user.status = "inactive"
        user.soft_delete(by=user.id)  # the row (and so the email) stays: API.md §3.2 P15
        _activity("account_deleted")
        db.session().execute(
            sa.update(UserSession)
            .where(UserSession.user_id == user.id, UserSession.is_active.is_(True))
            .values(is_active=False, revoked_at=now, updated_at=now, version=UserSession.version + 1),
            execution_options={"synchronize_session": "fetch"})
        db.session().commit()
        return clear_auth_cookies(ok({"message": "Account deleted successfully"}))


def register(api: Api) -> None:
    api.add_resource(Profile, "/api/v1/user/profile", endpoint="user_profile")
