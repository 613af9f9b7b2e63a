"""ZAP's rules that read the body: 10023 debug messages, 90022 application errors, 10062 PII (card numbers),
10096 Unix timestamps, 10202 forms without an anti-CSRF token."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

from ..model import Exchange
from .base import (
    Instance,
    body_text,
    empty,
    first_reason,
    has_type,
    hit,
    is_css,
    is_html,
    is_js,
    is_text,
    media,
    page,
    path_of,
)
from .texts import MESSAGES as _M

# -- bodies ----------------------------------------------------------------------------------------------------------

#: zap-extensions pscanrules xml/debug-error-messages.txt (matched case-insensitively, first in this order wins).
_DEBUG_MESSAGES = (
    "Error Occurred While Processing Request", "Internal Server Error", "test page for apache",
    "failed to open stream: HTTP request failed!", "Parse error: parse error, unexpected T_VARIABLE",
    "The script whose uid is", "PHP Parse error", "PHP Warning", "PHP Error",
    "Warning: Cannot modify header information - headers already sent", "mysqli error is", "mysql error is",
    "404 SC_NOT_FOUND", "ASP.NET_SessionId", "servlet error:", "Under construction",
    "Welcome to Windows 2000 Internet Services", "welcome to iis 4.0",
    "Warning: Supplied argument is not a valid File-Handle resource", "Warning: Division by zero in",
    "Warning: SAFE MODE Restriction in effect.", "Error Message : Error loading required libraries.",
    "Fatal error: Call to undefined function", "access denied for user", "incorrect syntax near",
    "Unclosed quotation mark before the character string", "There seems to have been a problem with the",
    "customErrors mode", "This error page might contain sensitive information because ASP.NET",
)


def debug_applies(ex: Exchange) -> str | None:
    if is_js(ex):
        return "not applicable: JavaScript"
    return first_reason(empty(ex), None if is_text(ex) else f"not applicable: {media(ex)}, not text")


def debug(ex: Exchange) -> list[Instance]:
    body = body_text(ex)
    lowered = body.lower()
    for message in _DEBUG_MESSAGES:
        start = lowered.find(message.lower())
        if start >= 0:
            return [hit(ex, "10023", evidence=body[start:start + len(message)])]
    return []


#: zap-extensions pscanrules xml/application_errors.xml: its string patterns (case-sensitive substrings)...
_APP_ERRORS = (
    "Microsoft OLE DB Provider for ODBC Drivers", "Microsoft OLE DB Provider for SQL Server",
    "ODBC Microsoft Access Driver", "ODBC SQL Server Driver", "supplied argument is not a valid MySQL result",
    "Invalid parameter type", "You have an error in your SQL syntax", "Incorrect column name",
    "Can't find record in", "Unknown table", "Incorrect column specifier for column",
    "Column count doesn't match value count at row", "Unclosed quotation mark before the character string",
    "java.lang.NumberFormatException: For input string:", "): encountered SQLException [",
    "Unexpected end of command in statement [", "Invalid SQL:", "ERROR: parser: parse error at or near",
    "[ODBC Informix driver][Informix]", "[Microsoft][ODBC Microsoft Access 97 Driver]",
    "[SQL Server Driver][SQL Server]Line 1: Incorrect syntax near", "SQL command not properly ended",
    "unexpected end of SQL command", "Supplied argument is not a valid PostgreSQL result",
    "internal error [IBM][CLI Driver][DB2/6000]", "Error Occurred While Processing Request", "internal error",
    "A syntax error has occurred", "ADODB.Field error", "ASP.NET is configured to show verbose error messages",
    "ASP.NET_SessionId", "Active Server Pages error", "An illegal character has been found in the statement",
    'An unexpected token "END-OF-STATEMENT" was found', "Can't connect to local", "Custom Error Message",
    "DB2 Driver", "DB2 Error", "DB2 ODBC", "Disallowed Parent Path", "Error Diagnostic Information",
    "Error Message : Error loading required libraries.", "Error Report",
    "Error converting data type varchar to numeric",
    "Internal Server Error", "Invalid Path Character", "Invalid procedure call or argument",
    "Invision Power Board Database Error", "JDBC Driver", "JDBC Error", "JDBC MySQL", "JDBC Oracle", "JDBC SQL",
    "Microsoft VBScript compilation error", "Microsoft VBScript error", "MySQL Driver", "MySQL Error", "MySQL ODBC",
    "ODBC DB2", "ODBC Driver", "ODBC Error", "ODBC Oracle", "OLE/DB provider returned message", "Oracle DB2",
    "Oracle Driver", "Oracle Error", "Oracle ODBC", "PHP Error", "PHP Parse error", "PHP Warning", "Parent Directory",
    "Permission denied: 'GetObject'", "PostgreSQL query failed: ERROR: parser: parse error", "The script whose uid is",
    "Type mismatch", "Unable to jump to row", "Unterminated string constant",
    "Warning: Cannot modify header information - headers already sent",
    "Warning: Supplied argument is not a valid File-Handle resource in", "Warning: mysql_query()",
    "Warning: pg_connect(): Unable to connect to PostgreSQL server: FATAL", "data source=", "invalid query",
    "is not allowed to access", "mySQL error with query", "on MySQL result index", "server object error",
    "SyntaxError: Unexpected token",
)
#: ... and its regex patterns that read plain text (the ones written against one product's HTML markup are left out).
_APP_ERROR_PATTERNS = tuple(re.compile(p, re.DOTALL) for p in (
    r"(?i)Line\s\d+:\sIncorrect\ssyntax\snear\s'[^']*'", r"(?i)pg_query\(\)[:]*\squery\sfailed:\serror:\s",
    r"(?i)'[^']*'\sis\snull\sor\snot\san\sobject", r"(?i)ORA\-\d{4,5}:\s",
    r"(?i)System\.Data\.OleDb\.OleDbException\:\sSyntax\serror\s\([^)]*?\)\sin\squery\sexpression\s.*",
    r"(?i)System\.Data\.OleDb\.OleDbException\:\sSyntax\serror\sin\sstring\sin\squery\sexpression\s",
    r"(?:Unknown database '.*?')|(?:No database selected)|(?:Table '.*?' doesn't exist)",
    r"Exception report.*message.*description.*exception.*note.*",
))
#: The harness's custom payloads (ZAP's Application-Errors payload category), tried before the patterns.
CUSTOM_APP_ERRORS = ("Traceback (most recent call last):",)


def _has_control_chars(ex: Exchange) -> bool:
    return any(ord(c) < 32 and not c.isspace() or 127 <= ord(c) < 160 for c in body_text(ex))


def app_error_applies(ex: Exchange) -> str | None:
    status = ex.reply.status
    if _has_control_chars(ex):
        return "not applicable: the body has control characters (not text)"
    if status == 500:
        return None
    if status == 404:
        return "not applicable: status 404, a not-found page"
    if has_type(ex, "application/wasm"):
        return "not applicable: application/wasm"
    return "not applicable: JavaScript or CSS" if is_js(ex) or is_css(ex) else None


def app_error(ex: Exchange) -> list[Instance]:
    status = ex.reply.status
    if status == 500:
        return [hit(ex, "90022", evidence=f"HTTP/1.1 500 {HTTPStatus(500).phrase}", risk=1)]
    body = body_text(ex)
    found = next((s for s in CUSTOM_APP_ERRORS + _APP_ERRORS if s in body), None)
    if found is None:
        found = next((m.group() for m in (p.search(body) for p in _APP_ERROR_PATTERNS) if m), None)
    return [] if found is None else [hit(ex, "90022", evidence=found)]


_CARDS = tuple(re.compile(p) for p in (
    r"\b(?:3[47][0-9]{13})\b", r"\b(?:3(?:0[0-5]|[68][0-9])[0-9]{11})\b", r"\b(?:6(?:011|5[0-9]{2})(?:[0-9]{12}))\b",
    r"\b(?:(?:2131|1800|35\d{3})\d{11})\b", r"\b(?:(?:5[0678]\d\d|6304|6390|67\d\d)\d{8,15})\b",
    r"\b(?:(?:5[1-5][0-9]{2}|222[1-9]|22[3-9][0-9]|2[3-6][0-9]{2}|27[01][0-9]|2720)[0-9]{12})\b",
    r"\b(?:4[0-9]{12})(?:[0-9]{3})?\b"))
_CARD_NAMES = ("American Express", "DinersClub", "Discover", "Jcb", "Maestro", "Mastercard", "Visa")
_DIGIT_RUNS = re.compile(r"(?:\d{3,}\s*)+")
#: The characters of a token (a JWT segment, a hex id, a GUID without dashes, base64url) around a digit run.
_TOKEN_BEFORE, _TOKEN_AFTER = re.compile(r"[A-Za-z0-9_-]*\Z"), re.compile(r"[A-Za-z0-9_-]*")
_LETTER = re.compile(r"[A-Za-z]")


def pii_applies(ex: Exchange) -> str | None:
    if is_css(ex) or has_type(ex, "image"):
        return "not applicable: CSS or an image"
    if not has_type(ex, "html", "json", "xml"):
        return f"not applicable: {media(ex)}, not HTML, JSON or XML"
    return "not applicable: a PDF" if has_type(ex, "pdf") or path_of(ex).endswith(".pdf") else None


def _luhn(number: str) -> bool:
    digits = [int(d) for d in reversed(number)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return total % 10 == 0


def _scientific(around: str) -> bool:
    if "e" not in around.lower():
        return False
    try:
        float(re.sub(r"[^0-9eE-]+", "", around))
    except ValueError:
        return False
    return True


def _pii_text(ex: Exchange) -> str:
    if not is_html(ex):
        return body_text(ex)
    html = page(ex)
    return " ".join(html.text + html.scripts)


def _inside_token(text: str, start: int, end: int) -> bool:
    """The digits are part of a longer token with letters in it (a random JWT, session id or hex id that
    happens to hold a Luhn-valid run): the false positive ZAP's maintainers leave to an alert filter
    (zaproxy/zaproxy#8303, #8986), which random tokens would turn into a verdict that flips from run to run."""
    before = _TOKEN_BEFORE.search(text, max(start - 256, 0), start).group()
    after = _TOKEN_AFTER.match(text, end, end + 256).group()
    return _LETTER.search(before + after) is not None


def pii(ex: Exchange) -> list[Instance]:
    text = _pii_text(ex)
    found = []
    for run in _DIGIT_RUNS.finditer(text):
        around = re.sub(r"\s+", "", text[max(run.start() - 3, 0):run.end() + 3])
        candidate = re.sub(r"\s+", "", run.group())
        if "_" in around or _inside_token(text, run.start(), run.end()):
            continue
        for card, name in zip(_CARDS, _CARD_NAMES, strict=True):
            if not card.search(candidate):
                continue
            if "." in around:
                return found  # ZAP stops looking at a decimal number
            if _luhn(candidate) and not _scientific(around):
                found.append(hit(ex, "10062", evidence=run.group(),
                                  otherinfo=_M["pii.extrainfo"].replace("{0}", name)))
    return found


_TIMESTAMP = re.compile(r"\b(?:1\d|2[0-2])\d{8}\b(?!%)")
#: Headers 10096 does not read (their numbers are not disclosures).
TIMESTAMP_IGNORED_HEADERS = frozenset(h.lower() for h in (
    "Keep-Alive", "Cache-Control", "ETag", "Age", "Strict-Transport-Security", "Report-To", "NEL", "Expect-CT",
    "RateLimit-Reset", "X-RateLimit-Reset", "X-Rate-Limit-Reset"))


def timestamp_applies(ex: Exchange) -> str | None:
    font = has_type(ex, "font") or path_of(ex).endswith((".ttf", ".woff", ".woff2", ".otf"))
    return "not applicable: a font" if font else None


def timestamps(ex: Exchange) -> list[Instance]:
    now = datetime.now(UTC)
    start = (now - timedelta(days=3652)).timestamp()
    stop = min(2147483647, (now + timedelta(days=3652)).timestamp())
    parts = [(k, v) for k, v in ex.reply.headers if k.lower() not in TIMESTAMP_IGNORED_HEADERS] + [("", body_text(ex))]
    found = []
    for param, text in parts:
        for match in _TIMESTAMP.finditer(text):
            seconds = int(match.group())
            if not start <= seconds <= stop:
                continue
            when = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")
            other = _M["timestampdisclosure.extrainfo"].replace("{0}", match.group()).replace("{1}", when)
            found.append(hit(ex, "10096", param=param, evidence=match.group(), otherinfo=other))
    return found


#: ZAP's default anti-CSRF token names (AntiCsrfParam), matched case-insensitively and partially.
ANTI_CSRF_TOKENS = ("anticsrf", "CSRFToken", "__RequestVerificationToken", "csrfmiddlewaretoken",
                    "authenticity_token", "OWASP_CSRFTOKEN", "anoncsrf", "csrf_token", "csrf", "_csrfSecret",
                    "__csrf_magic", "CSRF", "_token", "_csrf_token", "_csrfToken")


def _is_token(name: str | None) -> bool:
    return name is not None and any(token.lower() in name.lower() for token in ANTI_CSRF_TOKENS)


def csrf(ex: Exchange) -> list[Instance]:
    found = []
    for index, form in enumerate(page(ex).forms, start=1):
        if form.method.upper() == "GET" or not form.has_parent:
            continue
        if any(_is_token(id_) or _is_token(name) for id_, name in form.fields):
            continue
        names = sorted({id_ if id_ is not None else name for id_, name in form.fields
                        if (id_ or name) is not None}, key=str.lower)
        details = '[Form {}: "{}" ]'.format(index, '" "'.join(names))
        tokens = "[" + ", ".join(ANTI_CSRF_TOKENS) + "]"
        other = _M["noanticsrftokens.alert.extrainfo"].replace("{0}", tokens).replace("{1}", details)
        found.append(hit(ex, "10202", evidence=form.start_tag, otherinfo=other))
    return found
