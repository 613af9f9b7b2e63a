"""HTTP plumbing every area shares, and no area owns: the request and its reply (`message`), the two ways to send
one to an implementation (`sides`: in-process WSGI, a server over HTTP), the curl line that reproduces it
(`curl`), the API's login (`login`), and what a client could notice between two replies (`compare`). Nothing
here imports an area."""
from __future__ import annotations

from .curl import curl
from .login import ACCESS_TOKEN_AT, LOGIN_PATH, access_token, credentials, login, login_request
from .message import Reply, Sent, Upload, json_at, json_request, multipart_request, reply_evidence
from .sides import (
    DEFAULT_HOST,
    PEER_ADDRESS,
    WITH_BODY,
    HttpSide,
    Send,
    Side,
    WsgiSide,
    respond,
    sent_from_environ,
    wsgi_environ,
)

__all__ = [
    "ACCESS_TOKEN_AT", "DEFAULT_HOST", "LOGIN_PATH", "PEER_ADDRESS", "WITH_BODY", "HttpSide", "Reply", "Send", "Sent",
    "Side", "Upload", "WsgiSide", "access_token", "credentials", "curl", "json_at", "json_request", "login",
    "login_request", "multipart_request", "reply_evidence", "respond", "sent_from_environ", "wsgi_environ",
]
