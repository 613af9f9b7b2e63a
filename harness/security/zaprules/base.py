"""What ZAP's passive rules read from a response, as ZAP's helpers read it (HttpHeader.isHtml/isText,
ResourceIdentificationUtils, the status checks of PassiveScanHelper), the reasons a rule gives for not looking at a
response, one `Instance` of an alert, and an HTML page's META tags, forms and text (`page`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from ..model import Exchange


@dataclass(frozen=True, slots=True)
class Instance:
    """One place an alert was raised: the response's URL and method, and what the rule saw there. `ref` is the
    alertRef; `risk` is set only where the rule raises the variant at another risk than its default."""

    ref: str
    uri: str
    method: str
    param: str = ""
    attack: str = ""
    evidence: str = ""
    otherinfo: str = ""
    risk: int | None = None

    def to_dict(self) -> dict[str, str]:
        return {"uri": self.uri, "method": self.method, "param": self.param, "attack": self.attack,
                "evidence": self.evidence, "otherinfo": self.otherinfo}


# -- what the rules read from a response, as ZAP's helpers read it --------------------------------------------------


def ctype(ex: Exchange) -> str:
    """The first Content-Type, lower case (ZAP's normalised value: hasContentType matches substrings of it)."""
    return (ex.reply.header("Content-Type") or "").lower()


def has_type(ex: Exchange, *kinds: str) -> bool:
    value = ctype(ex)
    return bool(value) and any(kind in value for kind in kinds)


def is_html(ex: Exchange) -> bool:
    return has_type(ex, "html")


def is_text(ex: Exchange) -> bool:
    return has_type(ex, "text", "html", "javascript", "json", "xml")


def path_of(ex: Exchange) -> str:
    return urlsplit(ex.url).path.lower()


def is_js(ex: Exchange) -> bool:
    return has_type(ex, "javascript") or path_of(ex).endswith((".js", ".jsx"))


def is_css(ex: Exchange) -> bool:
    return has_type(ex, "css") or path_of(ex).endswith(".css")


def body_text(ex: Exchange) -> str:
    return ex.reply.body.decode("utf-8", "replace")


def media(ex: Exchange) -> str:
    return ex.media_type or "no Content-Type"


def not_html(ex: Exchange) -> str | None:
    return None if is_html(ex) else f"not applicable: {media(ex)}, not HTML"


def empty(ex: Exchange) -> str | None:
    return "not applicable: empty body" if not ex.reply.body else None


def error_or_redirect(ex: Exchange) -> str | None:
    """ZAP's rules at the default threshold leave redirects, client and server errors alone."""
    status = ex.reply.status
    if 300 <= status < 400:
        return f"not applicable: status {status}, a redirect"
    if 400 <= status < 600:
        return f"not applicable: status {status}, an error page"
    return None


def first_reason(*checks: str | None) -> str | None:
    return next((reason for reason in checks if reason is not None), None)


def hit(ex: Exchange, ref: str, **values: Any) -> Instance:
    return Instance(ref, ex.url, ex.method, **values)


def header_line(ex: Exchange, name: str) -> str:
    """The first header `name` as it crossed the wire ("X-Powered-By: PHP/5.4")."""
    return next((f"{k}: {v}" for k, v in ex.reply.headers if k.lower() == name.lower()), "")


# -- HTML, as the rules that read it need it -----------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}


@dataclass(slots=True)
class Form:
    start_tag: str
    method: str
    has_parent: bool
    fields: list[tuple[str | None, str | None]] = field(default_factory=list)  # (id, name) of each <input>


class Page(HTMLParser):
    """The parts of an HTML page ZAP's rules read: META http-equiv tags, forms with their inputs, text, scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.metas: list[tuple[str, str, str]] = []  # (http-equiv as written, start tag, content)
        self.forms: list[Form] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._depth = 0
        self._form: Form | None = None
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): v or "" for k, v in attrs}
        if tag == "meta" and values.get("http-equiv"):
            self.metas.append((values["http-equiv"], self.get_starttag_text() or "", values.get("content", "")))
        elif tag == "form":
            self._form = Form(self.get_starttag_text() or "", values.get("method", "GET"), self._depth > 0)
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None:
            self._form.fields.append((values.get("id"), values.get("name")))
        elif tag in ("script", "style"):
            self._in = tag
        if tag not in VOID:
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        if tag in ("script", "style"):
            self._in = None
        if tag not in VOID:
            self._depth = max(0, self._depth - 1)

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            self.scripts.append(data)
        elif self._in is None:
            self.text.append(data)

    def meta(self, http_equiv: str) -> tuple[str, str, str] | None:
        return next((m for m in self.metas if m[0].lower() == http_equiv), None)


def page(ex: Exchange) -> Page:
    page = Page()
    if is_html(ex):
        page.feed(body_text(ex))
        page.close()
    return page


