"""``opsdiag jira-export`` against a fake Jira on loopback (http.server in a thread)."""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from opsdiag import cli
from opsdiag.errors import OpsdiagError, UsageError
from opsdiag.ingest import read_folder
from opsdiag.ingest.jira_api import JiraHttpError, export_issues


def issue(key: str, histories: int = 1, total: int | None = None) -> dict:
    number = int(key.split("-")[1])
    return {
        "id": str(10000 + number), "key": key,
        "fields": {"summary": f"Issue {key}", "issuetype": {"name": "Story"}, "project": {"key": "ABC"},
                   "status": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}},
                   "created": f"2024-01-0{number}T09:00:00.000+0000", "labels": []},
        "changelog": {"startAt": 0, "maxResults": histories, "total": total or histories, "histories": [
            {"id": str(i), "created": f"2024-01-0{number}T1{i}:00:00.000+0000",
             "items": [{"field": "status", "fromString": "To Do", "toString": "In Progress"}]}
            for i in range(histories)]},
    }


class FakeJira:
    """Routes: ``handler(path, query, headers) -> (status, body, extra headers)``; records requests."""

    def __init__(self, handler):
        self.handler = handler
        self.requests: list[tuple[str, dict, dict]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                fake.requests.append((url.path, query, dict(self.headers)))
                status, body, headers = fake.handler(url.path, query, self.headers)
                data = json.dumps(body).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def token(monkeypatch):
    monkeypatch.setenv("JIRA_API_TOKEN", "tok-123")
    monkeypatch.setenv("JIRA_USER", "ann@acme.io")


def jql_pages(path, query, headers):
    if path != "/rest/api/3/search/jql":
        return 404, {"errorMessages": ["no such endpoint"]}, {}
    if query.get("nextPageToken") == "t2":
        return 200, {"issues": [issue("ABC-3")], "isLast": True}, {}
    return 200, {"issues": [issue("ABC-1"), issue("ABC-2")], "nextPageToken": "t2", "isLast": False,
                 "names": {"customfield_10016": "Story Points"}}, {}


def test_pages_through_search_jql_and_writes_readable_files(tmp_path, token):
    out = tmp_path / "export"
    with FakeJira(jql_pages) as jira:
        written = export_issues(jira.url + "/", "project = ABC", out, page_size=2)
    assert [p.name for p in written] == ["jira_search_0001.json", "jira_search_0002.json"]
    assert sorted(p.name for p in out.iterdir()) == ["jira_search_0001.json", "jira_search_0002.json"]  # no temp files
    paths = [r[0] for r in jira.requests]
    assert paths == ["/rest/api/3/search/jql"] * 2
    first, second = jira.requests[0][1], jira.requests[1][1]
    assert (first["jql"], first["fields"], first["expand"], first["maxResults"]) == (
        "project = ABC", "*all", "changelog,names", "2")
    assert "nextPageToken" not in first and second["nextPageToken"] == "t2"
    expected = "Basic " + base64.b64encode(b"ann@acme.io:tok-123").decode()
    assert {r[2]["Authorization"] for r in jira.requests} == {expected}
    dataset = read_folder(out)
    assert dataset.work_items["item_id"].tolist() == ["ABC-1", "ABC-2", "ABC-3"]
    assert len(dataset.transitions) == 3 and not dataset.unrecognized


def test_falls_back_to_v2_search_with_start_at_and_bearer_token(tmp_path, monkeypatch):
    monkeypatch.setenv("JIRA_API_TOKEN", "pat-9")
    monkeypatch.delenv("JIRA_USER", raising=False)

    def server_dc(path, query, headers):
        if path == "/rest/api/3/search/jql":
            return 404, {"errorMessages": ["not found"]}, {}
        start = int(query["startAt"])
        page = [issue(f"ABC-{n}") for n in range(start + 1, min(start + 2, 3) + 1)]
        return 200, {"startAt": start, "maxResults": 2, "total": 3, "issues": page}, {}

    with FakeJira(server_dc) as jira:
        written = export_issues(jira.url, "project = ABC", tmp_path, page_size=2)
    assert [r[0] for r in jira.requests] == ["/rest/api/3/search/jql", "/rest/api/2/search", "/rest/api/2/search"]
    assert [r[1].get("startAt") for r in jira.requests[1:]] == ["0", "2"]
    assert jira.requests[1][2]["Authorization"] == "Bearer pat-9"
    assert len(written) == 2
    assert read_folder(tmp_path).work_items["item_id"].tolist() == ["ABC-1", "ABC-2", "ABC-3"]


def test_401_names_the_status_and_writes_nothing(tmp_path, token):
    with FakeJira(lambda *a: (401, {"errorMessages": ["Client must be authenticated"]}, {})) as jira:
        with pytest.raises(OpsdiagError) as err:
            export_issues(jira.url, "project = ABC", tmp_path / "out")
    assert isinstance(err.value, JiraHttpError) and err.value.status == 401
    message = str(err.value)
    assert "HTTP 401" in message and "Client must be authenticated" in message and "API token" in message
    assert list((tmp_path / "out").iterdir()) == []


def test_403_and_500_name_their_status(tmp_path, token):
    for status in (403, 500):
        with FakeJira(lambda *a, s=status: (s, {"errorMessages": ["nope"]}, {})) as jira:
            with pytest.raises(OpsdiagError, match=f"HTTP {status}"):
                export_issues(jira.url, "x", tmp_path)


def test_429_is_retried_after_retry_after(tmp_path, token):
    calls = []

    def busy_once(path, query, headers):
        calls.append(path)
        if len(calls) == 1:
            return 429, {"errorMessages": ["rate limited"]}, {"Retry-After": "7"}
        return 200, {"issues": [issue("ABC-1")], "isLast": True}, {}

    waits = []
    with FakeJira(busy_once) as jira:
        written = export_issues(jira.url, "x", tmp_path, sleep=waits.append)
    assert waits == [7.0] and len(calls) == 2 and len(written) == 1


def test_truncated_histories_are_completed_from_changelog_pages(tmp_path, token):
    def truncated(path, query, headers):
        if path == "/rest/api/3/search/jql":
            return 200, {"issues": [issue("ABC-1", histories=1, total=2)], "isLast": True}, {}
        assert path == "/rest/api/3/issue/ABC-1/changelog"
        return 200, {"self": f"http://x/rest/api/3/issue/ABC-1/changelog?startAt={query['startAt']}",
                     "startAt": 0, "maxResults": 100, "total": 2, "isLast": True, "values": [
                         {"id": "9", "created": "2024-01-05T10:00:00.000+0000",
                          "items": [{"field": "status", "fromString": "In Progress", "toString": "Done"}]}]}, {}

    with FakeJira(truncated) as jira:
        written = export_issues(jira.url, "x", tmp_path)
    assert [p.name for p in written] == ["jira_search_0001.json", "jira_changelog_ABC-1_0001.json"]
    dataset = read_folder(tmp_path)
    assert dataset.transitions.sort_values("at")["to_status"].tolist() == ["In Progress", "Done"]


def test_missing_token_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.delenv("MY_TOKEN", raising=False)
    with pytest.raises(UsageError, match="MY_TOKEN"):
        export_issues("https://acme.atlassian.net", "x", tmp_path, token_env="MY_TOKEN")
    with pytest.raises(UsageError, match="--site"):
        export_issues("acme.atlassian.net", "x", tmp_path)


def test_cli_jira_export_exit_codes(tmp_path, token, monkeypatch, capsys):
    with FakeJira(jql_pages) as jira:
        with pytest.raises(SystemExit) as done:
            cli.main(["jira-export", "--site", jira.url, "--jql", "project = ABC", "--out", str(tmp_path / "a")])
    shown = capsys.readouterr()
    assert done.value.code == 0 and "wrote 2 pages" in shown.out
    assert "page 1:" in shown.err and "page 2:" in shown.err  # progress without -v, on stderr
    monkeypatch.delenv("JIRA_API_TOKEN")
    with pytest.raises(SystemExit) as done:
        cli.main(["jira-export", "--site", "https://acme.atlassian.net", "--jql", "x", "--out", str(tmp_path / "b")])
    assert done.value.code == 2 and "JIRA_API_TOKEN" in capsys.readouterr().err
