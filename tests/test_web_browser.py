"""The web view in a real browser (issue 15): headless Chromium, driven by Playwright, does what
a reviewer does — upload a workbook and the seed, open the table, drill down to an indicator,
review it, and see the reviewed score in the table — and saves screenshots of each step.

The browser is Debian's ``chromium`` (Playwright cannot download its own here). Without it
these tests skip and say so; under CI (``CI`` set) a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from conftest import ROOT
from workbooks import ProjectSheet, default_rows, national_workbook

from perfscore.store.database import open_store
from perfscore.web import create_app

SEED = ROOT / "seeds" / "district-canlian-2022.toml"
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
#: where a screenshot is kept as evidence in the repository (docs/web.md shows it)
EVIDENCE = ROOT / "docs" / "web-review.png"


def chromium() -> str | None:
    for candidate in (os.environ.get("PERFSCORE_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@pytest.fixture(scope="module")
def browser_path() -> str:
    found = chromium()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("no Chromium found (apt-get install chromium fonts-noto-cjk): under CI the browser tests must run")
        pytest.skip("no Chromium found at /usr/bin/chromium: install Debian's chromium and fonts-noto-cjk to run the browser tests")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("Playwright for Python is not installed (pip install -r requirements-dev.txt)")
        pytest.skip("Playwright for Python is not installed")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """The web view over a fresh store, served by uvicorn on 127.0.0.1 in a thread."""
    import uvicorn

    store = open_store(str(tmp_path / "browser.db"), create=True)
    port = free_port()
    config = uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline, "the server did not start in 20 s"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(timeout=10)
        store.close()


@pytest.fixture
def page(browser_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # a locale the machine has: under LANG=en_US.UTF-8 without that locale installed (as
        # conftest sets it), Chromium drops a file whose path is not ASCII from a file input
        environment = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
        browser = playwright.chromium.launch(executable_path=browser_path, args=BROWSER_ARGS, headless=True, env=environment)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        tab = context.new_page()
        tab.set_default_timeout(30000)
        try:
            yield tab
        finally:
            context.close()
            browser.close()


def test_a_reviewer_uploads_drills_down_reviews_and_sees_the_reviewed_score(server: str, page: Any, tmp_path: Path) -> None:
    """Upload a workbook and the seed, open the table, drill down to an indicator, review it, see it in the table."""
    shots = tmp_path / "screenshots"
    shots.mkdir()
    workbook = national_workbook(tmp_path / "区第一幼儿园.xlsx", ProjectSheet(rows=default_rows(), year=2022))

    page.goto(server + "/upload")
    page.set_input_files("#files", [str(workbook), str(SEED)])
    page.click("#upload")
    page.wait_for_selector("#outcomes")
    outcomes = page.inner_text("#outcomes")
    assert outcomes.count("已入库") == 2, outcomes
    page.screenshot(path=str(shots / "1-upload.png"), full_page=True)

    page.goto(server + "/table?year=2022")
    label = next(text for text in page.locator("select[name=ruleset] option").all_inner_texts() if text.startswith("canlian"))
    page.select_option("select[name=ruleset]", label=label)
    page.click("form.filters button[type=submit]")
    page.wait_for_selector('tr[data-unit="district-canlian"]')
    before = page.inner_text('tr[data-unit="district-canlian"] td.total')
    page.screenshot(path=str(shots / "2-table.png"), full_page=True)

    page.click('tr[data-unit="district-canlian"] a')
    page.wait_for_selector("#projects")
    assert "区残联" in page.inner_text("h1")
    page.click("text=残疾人康复项目（含彩票公益金）")
    page.wait_for_selector("#rows")
    page.screenshot(path=str(shots / "3-project.png"), full_page=True)
    page.click("#rows a >> nth=0")
    page.wait_for_selector("pre.explain")
    indicator = page.inner_text("h1 small")
    assert page.input_value("#review-target").endswith("/" + indicator)

    page.fill("#review-points", "-5")
    page.fill("#review-reason", "佐证材料不足，人数核减")
    page.fill("#review-reviewer", "张三")
    page.click("#review-submit")
    page.wait_for_selector("#review-log")
    assert "张三" in page.inner_text("#review-log") and "-5.00" in page.inner_text("#review-log")
    page.screenshot(path=str(shots / "4-review.png"), full_page=True)

    page.click("text=" + page.inner_text("p.crumbs a >> nth=0"))
    page.wait_for_selector("#ranked")
    page.select_option("select[name=ruleset]", label=label)
    page.click("form.filters button[type=submit]")
    page.wait_for_selector('tr[data-unit="district-canlian"]')
    after = page.inner_text('tr[data-unit="district-canlian"] td.total')
    computed = page.inner_text('tr[data-unit="district-canlian"] td.computed_total')
    assert after != before and computed == before, (before, after, computed)
    assert re.fullmatch(r"\d+\.\d\d", after)
    page.screenshot(path=str(shots / "5-table-reviewed.png"), full_page=True)

    for shot in sorted(shots.iterdir()):
        assert shot.stat().st_size > 10000, shot  # a page was drawn, not a blank
    evidence = shots / "4-review.png"
    if not EVIDENCE.exists() and evidence.stat().st_size < 400_000:
        shutil.copyfile(evidence, EVIDENCE)


def test_the_charts_render_in_the_browser(server: str, page: Any, tmp_path: Path) -> None:
    """After an upload, the charts page shows three SVG charts with Chinese titles."""
    page.goto(server + "/upload")
    page.set_input_files("#files", [str(SEED)])
    page.click("#upload")
    page.wait_for_selector("#outcomes")
    page.goto(server + "/charts")
    page.wait_for_selector("figure.chart svg")
    assert page.locator("figure.chart svg").count() == 3
    assert "等级分布" in page.inner_text("figure.chart >> nth=0")
    page.screenshot(path=str(tmp_path / "charts.png"), full_page=True)
