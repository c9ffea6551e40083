"""The web view (issue 15), every route through Starlette's in-process test client: upload,
the ranked table, drill-down, review, charts, documents, language, sign-in and the guards
(CSRF, upload limits, unknown ids, no token beyond the loopback address)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Iterator

import pytest
from conftest import ROOT
from starlette.testclient import TestClient
from workbooks import ProjectSheet, default_rows, national_workbook

from perfscore.cli import main
from perfscore.errors import PerfscoreError
from perfscore.store.database import Store, open_store
from perfscore.store.schema import ReviewEntry
from perfscore.web import create_app
from perfscore.web.security import access_token, is_loopback

SEED = ROOT / "seeds" / "district-canlian-2022.toml"
UNIT = "/unit/district-canlian/2022"
PROJECT = UNIT + "/project/rehabilitation"
ROW = PROJECT + "/row/rehabilitation.children_rehab_people"
TOKEN = "a-long-enough-access-token"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(str(tmp_path / "web.db"), create=True)
    yield opened
    opened.close()


@pytest.fixture
def filled(tmp_path: Path, store: Store) -> Store:
    """A store holding the seed and three synthetic units of 2022."""
    assert main(["generate", "3", "--seed", "4", "--year", "2022", "-o", str(tmp_path / "units")]) == 0
    assert main(["ingest", str(tmp_path / "units"), str(SEED), "--db", store.url]) == 0
    return store


def client_for(store: Store, token: str | None = None) -> TestClient:
    return TestClient(create_app(store, token), follow_redirects=False)


@pytest.fixture
def client(filled: Store) -> TestClient:
    return client_for(filled)


def csrf(client: TestClient, url: str = "/upload") -> str:
    """The CSRF token a page's forms carry (the session cookie is kept by the client)."""
    page = client.get(url)
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def entries(store: Store) -> list[ReviewEntry]:
    with store.reading() as session:
        return list(session.query(ReviewEntry).order_by(ReviewEntry.id))


# --------------------------------------------------------------------------- upload


def test_upload_stores_a_workbook_and_the_seed_and_lists_each_result(tmp_path: Path, store: Store) -> None:
    """Uploading a 自评表 workbook and a TOML file stores both units and lists each file's result."""
    client = client_for(store)
    book = national_workbook(tmp_path / "幼儿园.xlsx", ProjectSheet(rows=default_rows(), year=2022))
    files = [("files", ("幼儿园.xlsx", book.read_bytes(), "application/octet-stream")), ("files", (SEED.name, SEED.read_bytes(), "application/toml"))]
    answer = client.post("/upload", data={"csrf": csrf(client)}, files=files)
    assert answer.status_code == 200
    assert answer.text.count("已入库") == 2
    assert "/unit/district-canlian/2022" in answer.text
    again = client.post("/upload", data={"csrf": csrf(client)}, files=files[1:])
    assert "未变" in again.text
    assert "区第一幼儿园" in client.get("/table?year=2022").text or "区第一幼儿园" in client.get("/table?year=2022&ruleset=" + _other_ruleset(client)).text


def _other_ruleset(client: TestClient) -> str:
    values = re.findall(r'<option value="([0-9a-f]{12})"', client.get("/table?year=2022").text)
    return values[-1]


def test_a_bad_upload_names_each_file_and_its_problem(store: Store) -> None:
    """A file of the wrong kind, and a broken TOML file, each get their own error; nothing is stored."""
    client = client_for(store)
    files = [("files", ("notes.txt", b"hello", "text/plain")), ("files", ("broken.toml", b"[unit\nid = 1", "application/toml"))]
    answer = client.post("/upload", data={"csrf": csrf(client)}, files=files)
    assert answer.status_code == 200
    assert answer.text.count("失败") == 2
    assert "notes.txt" in answer.text and "broken.toml" in answer.text
    assert "perfscore-upload-" not in answer.text  # the server's temporary path is never shown
    assert client.get("/table").status_code == 200 and "还没有单位" in client.get("/table").text


def test_an_upload_without_files_is_refused(store: Store) -> None:
    """Submitting the form with no file says so (400)."""
    client = client_for(store)
    answer = client.post("/upload", data={"csrf": csrf(client)}, files=[("files", ("", b"", "application/octet-stream"))])
    assert answer.status_code == 400


def test_an_oversize_file_is_refused_and_the_others_stored(monkeypatch: pytest.MonkeyPatch, store: Store) -> None:
    """A file over PERFSCORE_MAX_FILE_BYTES fails alone, named; the other file is stored."""
    monkeypatch.setenv("PERFSCORE_MAX_FILE_BYTES", "40000")  # above the seed's and its ruleset's size
    client = client_for(store)
    big = b"# " + b"x" * 50000 + b"\n"
    files = [("files", ("big.toml", big, "application/toml")), ("files", (SEED.name, SEED.read_bytes(), "application/toml"))]
    answer = client.post("/upload", data={"csrf": csrf(client)}, files=files)
    assert answer.status_code == 200
    assert "文件过大" in answer.text and "已入库" in answer.text


def test_an_upload_over_the_total_size_is_refused_before_it_is_read(monkeypatch: pytest.MonkeyPatch, store: Store) -> None:
    """A request declaring more than PERFSCORE_MAX_UPLOAD_BYTES gets 413 and stores nothing."""
    monkeypatch.setenv("PERFSCORE_MAX_UPLOAD_BYTES", "1000")
    client = client_for(store)
    answer = client.post("/upload", data={"csrf": csrf(client)}, files=[("files", (SEED.name, SEED.read_bytes(), "application/toml"))])
    assert answer.status_code == 413
    assert "PERFSCORE_MAX_UPLOAD_BYTES" in answer.text


def test_too_many_files_in_one_upload_are_refused(monkeypatch: pytest.MonkeyPatch, store: Store) -> None:
    """More files than PERFSCORE_MAX_UPLOAD_FILES in one upload: 413."""
    monkeypatch.setenv("PERFSCORE_MAX_UPLOAD_FILES", "1")
    client = client_for(store)
    files = [("files", (f"{n}.toml", SEED.read_bytes(), "application/toml")) for n in range(2)]
    answer = client.post("/upload", data={"csrf": csrf(client)}, files=files)
    assert answer.status_code == 413


def test_an_uploaded_submission_may_not_name_a_ruleset_file(store: Store) -> None:
    """A TOML whose ruleset is a path (a file on the server) is refused: no request chooses a file to read."""
    client = client_for(store)
    text = SEED.read_text(encoding="utf-8").replace('ruleset = "canlian"', 'ruleset = "/etc/passwd.toml"')
    answer = client.post("/upload", data={"csrf": csrf(client)}, files=[("files", ("x.toml", text.encode(), "application/toml"))])
    assert "规则名称" in answer.text and "已入库" not in answer.text


def test_an_upload_without_the_csrf_token_is_refused(store: Store) -> None:
    """A POST without the session's CSRF token is refused (403) and stores nothing."""
    client = client_for(store)
    client.get("/upload")
    answer = client.post("/upload", files=[("files", (SEED.name, SEED.read_bytes(), "application/toml"))])
    assert answer.status_code == 403
    wrong = client.post("/upload", data={"csrf": "forged"}, files=[("files", (SEED.name, SEED.read_bytes(), "application/toml"))])
    assert wrong.status_code == 403
    assert "还没有单位" in client.get("/table").text


def test_names_in_uploaded_files_are_escaped(store: Store) -> None:
    """A unit name holding HTML is shown as text, never as markup (autoescaped templates)."""
    client = client_for(store)
    text = SEED.read_text(encoding="utf-8").replace('name = "区残联"', 'name = "<script>alert(1)</script>"')
    client.post("/upload", data={"csrf": csrf(client)}, files=[("files", ("x.toml", text.encode(), "application/toml"))])
    page = client.get("/table")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text


# --------------------------------------------------------------------------- the table


def test_the_table_ranks_the_year_with_three_scores(client: TestClient) -> None:
    """The ranked table shows every unit of the year with self, computed and reviewed scores."""
    page = client.get("/table?year=2022")
    assert page.status_code == 200
    assert "复核得分" in page.text and "计算得分" in page.text and "自评分" in page.text
    assert "区残联" in page.text or "district-canlian" in page.text


def test_the_table_sorts_and_filters(client: TestClient) -> None:
    """Sorting by a column orders the rows; a grade filter keeps only that grade; the search matches names."""
    def totals(url: str) -> list[float]:
        return [float(text) for text in re.findall(r'<td class="num total">([0-9.]+)</td>', client.get(url).text)]

    up, down = totals("/table?sort=total&order=asc"), totals("/table?sort=total&order=desc")
    assert len(up) == 4 and up == sorted(up) and down == sorted(down, reverse=True)
    grades = re.findall(r'<td class=" grade">([^<]+)</td>', client.get("/table").text)
    chosen = grades[0]
    only = client.get(f"/table?grade={chosen}").text
    assert re.findall(r'<td class=" grade">([^<]+)</td>', only) == [chosen] * grades.count(chosen)
    assert re.findall(r'data-unit="([^"]+)"', client.get("/table?q=district").text) == ["district-canlian"]
    assert re.findall(r'data-unit="([^"]+)"', client.get("/table?q=nothing-like-it").text) == []
    area = client.get("/table?area=secretary").text
    assert "district-canlian" in area  # the seed has a 生活小秘书 project


def test_the_table_downloads_as_xlsx_and_csv(client: TestClient) -> None:
    """The table downloads as an Excel workbook and as CSV with a BOM, filtered as shown."""
    xlsx = client.get("/table.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert zipfile.ZipFile(io.BytesIO(xlsx.content)).namelist()
    csv = client.get("/table.csv")
    assert csv.status_code == 200 and csv.content.startswith("\ufeff".encode())
    assert len(csv.text.strip().splitlines()) >= 2


def test_an_unknown_year_or_ruleset_is_not_found(client: TestClient) -> None:
    """A year or ruleset the store does not hold is a 404 page saying so."""
    assert client.get("/table?year=1999").status_code == 404
    assert client.get("/table?year=abc").status_code == 404
    assert client.get("/table?ruleset=ffffffffffff").status_code == 404
    assert client.get("/charts?year=1999").status_code == 404


def test_an_empty_store_says_to_upload(store: Store) -> None:
    """With nothing stored, the home page leads to the upload page."""
    client = client_for(store)
    assert client.get("/").headers["location"] == "/upload"
    assert "上传" in client.get("/table").text


# --------------------------------------------------------------------------- drill down


def test_a_unit_drills_down_to_a_project_and_an_indicator(client: TestClient) -> None:
    """Unit → project → indicator: each page shows the scores, the explanation and its findings."""
    unit = client.get(UNIT)
    assert unit.status_code == 200 and "区残联" in unit.text and "/project/rehabilitation" in unit.text
    project = client.get(PROJECT)
    assert project.status_code == 200 and "残疾人康复项目" in project.text
    assert "rehabilitation.children_rehab_people" in project.text
    row = client.get(ROW)
    assert row.status_code == 200
    assert "得分说明" in row.text and "25.00" in row.text


def test_a_page_makes_the_explanation_ingest_left_out_without_writing_the_store(filled: Store, client: TestClient) -> None:
    """Ingest keeps no text; a page makes the explanation and findings' wording from the stored
    unit scored again, and writes nothing (twenty readers never wait on SQLite's write lock)."""
    from sqlalchemy import select

    from perfscore.store.schema import Submission

    project = client.get(PROJECT)
    assert project.status_code == 200
    assert "计算" in project.text and "180" in project.text  # the row's formula, made for the page
    with filled.reading() as session:
        stored = session.scalars(select(Submission).where(Submission.unit_id == "district-canlian")).one()
        assert stored.explanation_zh is None  # made for the page only: explain --db stores it


def test_unknown_units_projects_and_indicators_are_not_found(client: TestClient) -> None:
    """An id the store does not hold is a 404 page naming it, never a 500."""
    for url in ("/unit/nobody/2022", UNIT.replace("2022", "2021"), UNIT + "/project/nothing", PROJECT + "/row/nothing", "/unit/nobody/2022/report.docx", "/unit/x/notayear"):
        answer = client.get(url)
        assert answer.status_code == 404, url


def test_the_report_and_opinion_download_as_word(client: TestClient) -> None:
    """The unit's report and the bureau's opinion download as .docx in the page's language."""
    for kind, words in (("report.docx", "存在的问题"), ("opinion.docx", "评价意见")):
        answer = client.get(f"{UNIT}/{kind}")
        assert answer.status_code == 200 and answer.content[:2] == b"PK"
        body = zipfile.ZipFile(io.BytesIO(answer.content)).read("word/document.xml").decode("utf-8")
        assert words in body, kind


# --------------------------------------------------------------------------- review


def test_a_review_changes_the_reviewed_score_and_a_withdrawal_restores_it(client: TestClient, filled: Store) -> None:
    """An adjustment with a reason shows in the log and the table; withdrawing is a new entry."""
    token = csrf(client, ROW)
    answer = client.post(f"{UNIT}/review", data={"csrf": token, "target": "rehabilitation/rehabilitation.children_rehab_people", "points": "-5", "reason": "人数核减", "reviewer": "张三", "back": "row"})
    assert answer.status_code == 303 and answer.headers["location"] == ROW
    row = client.get(ROW).text
    assert "20.00" in row and "张三" in row and "人数核减" in row
    log = entries(filled)
    assert [(entry.kind, entry.reviewer, entry.points) for entry in log] == [("adjust", "张三", -5)]
    table = client.get("/table?q=district-canlian").text
    cells = re.findall(r'<td class="num (computed_total|total)">([^<]+)</td>', table)
    assert dict(cells)["total"] != dict(cells)["computed_total"]
    withdrawn = client.post(f"{UNIT}/withdraw", data={"csrf": token, "entry": str(log[0].id), "reason": "复核有误", "reviewer": "李四"})
    assert withdrawn.status_code == 303
    assert [entry.kind for entry in entries(filled)] == ["adjust", "withdraw"]
    cells = dict(re.findall(r'<td class="num (computed_total|total)">([^<]+)</td>', client.get("/table?q=district-canlian").text))
    assert cells["total"] == cells["computed_total"]
    again = client.post(f"{UNIT}/withdraw", data={"csrf": token, "entry": str(log[0].id), "reason": "再撤", "reviewer": "李四"})
    assert again.status_code == 400 and "已被撤回" in again.text


def test_a_review_without_csrf_reason_or_reviewer_is_refused(client: TestClient, filled: Store) -> None:
    """No CSRF token: 403; no reason or no reviewer, or a bad target: 400; nothing is logged."""
    form = {"target": "rehabilitation", "points": "-1", "reason": "理由", "reviewer": "张三"}
    assert client.post(f"{UNIT}/review", data=form).status_code == 403
    token = csrf(client, UNIT)
    assert client.post(f"{UNIT}/review", data={**form, "csrf": token, "reason": ""}).status_code == 400
    assert client.post(f"{UNIT}/review", data={**form, "csrf": token, "reviewer": ""}).status_code == 400
    assert client.post(f"{UNIT}/review", data={**form, "csrf": token, "target": "nothing"}).status_code == 400
    assert client.post(f"{UNIT}/review", data={**form, "csrf": token, "points": "lots"}).status_code == 400
    assert client.post("/unit/nobody/2022/review", data={**form, "csrf": token}).status_code == 404
    assert client.post(f"{UNIT}/withdraw", data={"csrf": token, "entry": "999", "reason": "x", "reviewer": "y"}).status_code == 400
    assert entries(filled) == []


# --------------------------------------------------------------------------- charts, language


def test_the_charts_are_svg_with_chinese_labels(client: TestClient) -> None:
    """The charts page draws the grade distribution, the score by level and the years as SVG."""
    page = client.get("/charts")
    assert page.status_code == 200
    assert page.text.count("<svg") == 3
    assert "等级分布" in page.text and "各级指标平均得分" in page.text and "各年度平均复核得分" in page.text


def test_pages_are_chinese_by_default_and_english_on_request(client: TestClient) -> None:
    """Chinese by default; ?lang=en switches to English and a cookie keeps it."""
    assert "排名表" in client.get("/table").text
    english = client.get("/table?lang=en")
    assert "Ranked table" in english.text and "排名表" not in english.text.replace("中文", "")
    assert "Ranked table" in client.get("/table").text  # remembered
    assert "排名表" in client.get("/table?lang=zh").text


def test_every_page_sends_the_security_headers(client: TestClient) -> None:
    """Pages forbid framing and scripts and are not cached; the session cookie is HttpOnly."""
    answer = client.get("/table")
    assert answer.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert "httponly" in answer.headers["set-cookie"].lower()
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/static/../pyproject.toml").status_code == 404


# --------------------------------------------------------------------------- sign-in


def test_a_token_server_asks_everyone_to_sign_in_and_signs_reviews_with_their_name(filled: Store) -> None:
    """With a token, every page needs sign-in; a wrong token is refused; reviews carry the signed-in name."""
    client = client_for(filled, TOKEN)
    assert client.get("/table").headers["location"] == "/login"
    assert client.get(UNIT).headers["location"] == "/login"
    token = csrf(client, "/login")
    assert client.post("/login", data={"csrf": token, "name": "王五", "token": "wrong-token-wrong-token"}).status_code == 403
    assert client.get("/table").status_code == 303
    assert client.post("/login", data={"csrf": token, "name": "王五", "token": TOKEN}).status_code == 303
    assert client.get("/table").status_code == 200
    fresh = csrf(client, UNIT)
    assert fresh != token  # a new session on sign-in
    answer = client.post(f"{UNIT}/review", data={"csrf": fresh, "target": "rehabilitation", "points": "+1", "reason": "补充材料", "reviewer": "冒名"})
    assert answer.status_code == 303
    assert [entry.reviewer for entry in entries(filled)] == ["王五"]
    client.post("/logout", data={"csrf": fresh})
    assert client.get("/table").status_code == 303


def test_a_forged_session_cookie_is_not_a_sign_in(filled: Store) -> None:
    """A session cookie not signed by this server counts for nothing."""
    client = client_for(filled, TOKEN)
    client.cookies.set("perfscore_session", "eyJjc3JmIjogIngiLCAibmFtZSI6ICJ4IiwgImluIjogdHJ1ZX0=.00")
    assert client.get("/table").headers["location"] == "/login"


def test_beyond_the_loopback_address_a_token_is_required() -> None:
    """serve --host 0.0.0.0 without a token refuses to start; the loopback needs none; a short token is refused."""
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    assert access_token(None, "127.0.0.1", "en", {}) is None
    with pytest.raises(PerfscoreError, match="no access token"):
        access_token(None, "0.0.0.0", "en", {})
    with pytest.raises(PerfscoreError, match="characters long"):
        access_token("short", "0.0.0.0", "en", {})
    assert access_token(None, "0.0.0.0", "en", {"PERFSCORE_WEB_TOKEN": TOKEN}) == TOKEN


def test_serve_refuses_a_public_address_without_a_token(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """perfscore serve --host 0.0.0.0 exits 2 with a message, before opening anything."""
    monkeypatch.delenv("PERFSCORE_WEB_TOKEN", raising=False)
    code = main(["serve", "--db", str(tmp_path / "x.db"), "--host", "0.0.0.0"])
    assert code == 2
    assert "no access token" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()
