"""``opsdiag jira-export``: page through Jira's search API into JSON files opsdiag reads.

The consultant runs it on their own machine with the client's read-only token; the pages are
written as Jira returns them (``jira_search_0001.json`` …), so the folder can be re-read,
archived or diffed, and nothing leaves the machine but the API calls themselves.

- Authentication: the token comes from the environment variable ``token_env`` (default
  ``JIRA_API_TOKEN``). When ``user_env`` (default ``JIRA_USER``) holds the account e-mail, Jira
  Cloud basic auth (e-mail:token) is used; otherwise the token is sent as a Bearer token (a
  Server/Data Center personal access token).
- Paging: Cloud's ``GET /rest/api/3/search/jql`` with ``nextPageToken`` until ``isLast``; when
  that endpoint answers 404 or 410 (Server/DC, older sites) ``GET /rest/api/2/search`` with
  ``startAt``/``total``. Both with ``fields=*all`` and ``expand=changelog,names``.
- Histories longer than a search page carries (``changelog.total`` above the histories
  returned) are completed from ``/issue/{key}/changelog`` pages, written as
  ``jira_changelog_<KEY>_0001.json`` (skipped with a warning where the endpoint does not exist).
- Every file is written atomically (temporary file, then rename). HTTP 429/503 are retried
  after ``Retry-After`` seconds; 401/403 and other failures raise ``OpsdiagError`` naming the
  HTTP status. Only the standard library (urllib) is used.

The same first page by hand (Jira Cloud; the README quotes this line)::

    curl -s -u "$JIRA_USER:$JIRA_API_TOKEN" -G "https://your-site.atlassian.net/rest/api/3/search/jql" --data-urlencode "jql=project = ABC ORDER BY created" --data-urlencode "fields=*all" --data-urlencode "expand=changelog,names" --data-urlencode "maxResults=100" -o jira_search_0001.json
"""

from __future__ import annotations

import base64
import email.utils
import json
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable

from ..export import atomic_write_bytes
from ..errors import OpsdiagError, UsageError

log = logging.getLogger(__name__)

SEARCH_JQL = "/rest/api/3/search/jql"
SEARCH_V2 = "/rest/api/2/search"
CHANGELOG = "/rest/api/{version}/issue/{key}/changelog"
EXPAND = "changelog,names"
RETRY_STATUSES = (429, 503)
MAX_WAIT_SECONDS = 300.0
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class JiraHttpError(OpsdiagError):
    """Jira answered with an HTTP error status (``status`` holds it)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def export_issues(site: str, jql: str, out: str | Path, *, token_env: str = "JIRA_API_TOKEN",
                  user_env: str | None = "JIRA_USER", progress: bool | Callable[[str], None] = False,
                  page_size: int = 100, timeout: float = 60.0, max_retries: int = 5,
                  sleep: Callable[[float], None] = time.sleep) -> list[Path]:
    """Export every issue matching ``jql`` from ``site`` into ``out`` as JSON pages.

    Parameters
    ----------
    site : the Jira base URL, e.g. ``https://acme.atlassian.net``.
    jql : the query selecting the issues (``project = ABC ORDER BY created``).
    out : folder to write into (created when missing); existing pages of the same names are
        replaced, other files are left alone.
    token_env, user_env : names of the environment variables holding the API token and the
        account e-mail (see the module docstring for which authentication is used).
    progress : True to log each page at INFO level, or a callable receiving one line per page.
    page_size : issues per request (Jira caps it, typically at 100).
    max_retries, sleep : retries of HTTP 429/503 and the function used to wait (tests pass a stub).

    Returns
    -------
    The files written, search pages first (``jira_search_0001.json`` …), then changelog pages.

    Raises
    ------
    UsageError : the site URL is not http(s) or the token variable is not set.
    OpsdiagError : Jira cannot be reached or answers an error (``JiraHttpError``, naming the status).
    """
    site = site.strip().rstrip("/")
    parsed = urllib.parse.urlparse(site)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise UsageError(f"--site {site!r}: expected the Jira base URL, e.g. https://acme.atlassian.net")
    token = os.environ.get(token_env, "").strip()
    if not token:
        raise UsageError(f"environment variable {token_env} is not set: export {token_env}=<API token> "
                         f"(Jira Cloud: also {user_env or 'JIRA_USER'}=<account e-mail>)")
    user = os.environ.get(user_env, "").strip() if user_env else ""
    if parsed.scheme == "http" and parsed.hostname not in LOOPBACK:
        log.warning("%s: the token is sent without TLS; prefer https://", site)
    client = _Client(site, _auth_header(token, user), timeout, max_retries, sleep)
    report = progress if callable(progress) else (log.info if progress else log.debug)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    truncated: list[str] = []
    version = "3"
    try:
        pages = _pages_jql(client, jql, page_size)
        first = next(pages)
    except JiraHttpError as exc:
        if exc.status not in (404, 410):
            raise
        log.info("%s answered %s: falling back to %s", SEARCH_JQL, exc.status, SEARCH_V2)
        version = "2"
        pages = _pages_v2(client, jql, page_size)
        first = next(pages)
    total_issues = 0
    for number, (raw, doc) in enumerate(_chain(first, pages), start=1):
        path = atomic_write_bytes(out / f"jira_search_{number:04d}.json", raw)
        written.append(path)
        issues = doc.get("issues") or []
        total_issues += len(issues)
        truncated += [i["key"] for i in issues if _changelog_truncated(i)]
        report(f"page {number}: {len(issues)} issues ({total_issues} so far) -> {path.name}")
    for key in truncated:
        written += _export_changelog(client, version, key, out, page_size, report)
    report(f"exported {total_issues} issues in {len(written)} files to {out}")
    return written


def _chain(first, rest):
    yield first
    yield from rest


def _auth_header(token: str, user: str) -> str:
    if user:
        return "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode("ascii")
    return f"Bearer {token}"


def _changelog_truncated(issue: dict) -> bool:
    changelog = issue.get("changelog") or {}
    total = changelog.get("total")
    return isinstance(total, int) and total > len(changelog.get("histories") or [])


def _pages_jql(client: "_Client", jql: str, page_size: int):
    """Cloud's token-paged search: yields (raw bytes, parsed page) until ``isLast``."""
    token = None
    while True:
        params = {"jql": jql, "maxResults": page_size, "fields": "*all", "expand": EXPAND}
        if token:
            params["nextPageToken"] = token
        raw, doc = client.get_json(SEARCH_JQL, params)
        yield raw, doc
        token = doc.get("nextPageToken")
        if doc.get("isLast", not token) or not token or not doc.get("issues"):
            return


def _pages_v2(client: "_Client", jql: str, page_size: int):
    """Server/DC's offset-paged search: yields (raw bytes, parsed page) until ``total`` is reached."""
    start = 0
    while True:
        params = {"jql": jql, "startAt": start, "maxResults": page_size, "fields": "*all", "expand": EXPAND}
        raw, doc = client.get_json(SEARCH_V2, params)
        yield raw, doc
        issues = doc.get("issues") or []
        start = int(doc.get("startAt", start)) + len(issues)
        if not issues or start >= int(doc.get("total", 0)):
            return


def _export_changelog(client: "_Client", version: str, key: str, out: Path, page_size: int,
                      report: Callable[[str], None]) -> list[Path]:
    """Every ``/issue/{key}/changelog`` page of one issue; [] where the endpoint does not exist."""
    written, start, number = [], 0, 1
    while True:
        try:
            raw, doc = client.get_json(CHANGELOG.format(version=version, key=urllib.parse.quote(key)),
                                       {"startAt": start, "maxResults": page_size})
        except JiraHttpError as exc:
            if exc.status in (404, 410):
                log.warning("%s: no changelog endpoint (HTTP %s); its history stays truncated", key, exc.status)
                return written
            raise
        safe_key = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in key)
        written.append(atomic_write_bytes(out / f"jira_changelog_{safe_key}_{number:04d}.json", raw))
        values = doc.get("values") or []
        start += len(values)
        report(f"{key}: changelog page {number} ({start} histories)")
        number += 1
        if not values or doc.get("isLast", False) or start >= int(doc.get("total", start)):
            return written


class _Client:
    """GETs JSON from one Jira site with authentication, retries and clear errors."""

    def __init__(self, site: str, auth: str, timeout: float, max_retries: int, sleep: Callable[[float], None]):
        self.site = site
        self.headers = {"Authorization": auth, "Accept": "application/json", "User-Agent": "opsdiag-jira-export"}
        self.timeout = timeout
        self.max_retries = max_retries
        self.sleep = sleep
        host = urllib.parse.urlparse(site).hostname
        # never send a loopback request (tests, SSH tunnels) through an environment proxy
        handlers = [urllib.request.ProxyHandler({})] if host in LOOPBACK else []
        self.opener = urllib.request.build_opener(*handlers)

    def get_json(self, path: str, params: dict) -> tuple[bytes, dict]:
        url = f"{self.site}{path}?{urllib.parse.urlencode(params)}"
        raw = self._get(url)
        try:
            doc = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise OpsdiagError(f"{url}: Jira answered something that is not JSON "
                               f"({raw[:80]!r}…); is --site the Jira base URL?") from None
        if not isinstance(doc, dict):
            raise OpsdiagError(f"{url}: expected a JSON object, got {type(doc).__name__}")
        return raw, doc

    def _get(self, url: str) -> bytes:
        for attempt in range(self.max_retries + 1):
            request = urllib.request.Request(url, headers=self.headers, method="GET")
            try:
                with self.opener.open(request, timeout=self.timeout) as response:
                    return response.read()
            except urllib.error.HTTPError as exc:
                if exc.code in RETRY_STATUSES and attempt < self.max_retries:
                    wait = _retry_after(exc.headers.get("Retry-After"), attempt)
                    log.info("HTTP %s from %s; retrying in %.0f s", exc.code, url, wait)
                    self.sleep(wait)
                    continue
                raise _http_error(exc, url) from None
            except urllib.error.URLError as exc:
                raise OpsdiagError(f"cannot reach {self.site}: {exc.reason}") from None
            except TimeoutError:
                raise OpsdiagError(f"{url}: no answer within {self.timeout:.0f} s") from None
        raise AssertionError("unreachable")  # pragma: no cover


def _retry_after(value: str | None, attempt: int) -> float:
    """Seconds to wait: ``Retry-After`` (seconds or an HTTP date), else 2**attempt; capped."""
    wait = None
    if value:
        try:
            wait = float(value)
        except ValueError:
            when = email.utils.parsedate_to_datetime(value) if value else None
            wait = when.timestamp() - time.time() if when else None
    if wait is None:
        wait = 2.0 ** attempt
    return max(0.0, min(wait, MAX_WAIT_SECONDS))


def _http_error(exc: urllib.error.HTTPError, url: str) -> JiraHttpError:
    detail = ""
    try:
        body = json.loads(exc.read().decode("utf-8", "replace"))
        messages = list(body.get("errorMessages") or []) + [f"{k}: {v}" for k, v in (body.get("errors") or {}).items()]
        detail = "; ".join(str(m) for m in messages)[:300]
    except (ValueError, AttributeError, OSError):
        pass
    reason = {401: "check the e-mail and API token in the environment variables (Jira Cloud: an API "
                   "token from id.atlassian.com with the account e-mail; Server/DC: a personal access token)",
              403: "the account may not browse these projects, or Jira locked it behind a CAPTCHA after "
                   "failed logins (log in once in the browser)"}.get(exc.code, "")
    parts = [f"Jira answered HTTP {exc.code} {exc.reason or ''}".rstrip() + f" for {url.split('?')[0]}"]
    parts += [p for p in (detail, reason) if p]
    return JiraHttpError(": ".join(parts[:1]) + (" — " + "; ".join(parts[1:]) if parts[1:] else ""), exc.code)
