"""The access_token / refresh_token cookies (API.md §1.6): Path=/; HttpOnly; SameSite=Lax; Secure outside dev."""
from __future__ import annotations

from flask import Response, current_app


def set_auth_cookies(resp: Response, access: str, refresh: str) -> Response:
    secure = current_app.config["COOKIE_SECURE"]
    resp.set_cookie("access_token", access, max_age=current_app.config["ACCESS_TOKEN_TTL"], path="/",
                    httponly=True, samesite="Lax", secure=secure)
    resp.set_cookie("refresh_token", refresh, max_age=current_app.config["REFRESH_TOKEN_TTL"], path="/",
                    httponly=True, samesite="Lax", secure=secure)
    return resp


def clear_auth_cookies(resp: Response) -> Response:
    secure = current_app.config["COOKIE_SECURE"]
    for name in ("access_token", "refresh_token"):
        resp.set_cookie(name, "", max_age=0, expires=0, path="/", httponly=True, samesite="Lax", secure=secure)
    return resp
