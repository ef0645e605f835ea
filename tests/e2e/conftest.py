"""A real browser (Debian's Chromium driven by playwright) against `streamlit run app.py` on localhost.

Skipped with a visible reason only when no Chromium is installed and CI is not set; with CI=true a
missing browser fails. A failing test leaves a screenshot in test-artifacts/.
"""
from __future__ import annotations

import os
import subprocess
import tempfile

import pytest

from benchmarks.app_server import (  # noqa: F401  (ROOT: test_browser.py imports it from here)
    ARTIFACTS,
    CHROMIUM_FLAGS,
    ROOT,
    RunWatch,
    chromium_path,
    free_port,
    start_app,
    wait_healthy,
)


@pytest.fixture(scope="session")
def browser_path() -> str:
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but no Chromium is installed (.ci/run installs Debian's chromium)")
        pytest.skip("no Chromium installed (apt-get install chromium); browser tests skipped")
    return path


@pytest.fixture(scope="session")
def app_url(browser_path):
    port = free_port()
    proc = start_app(port)
    try:
        wait_healthy(port, proc)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def browser_context(browser_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw, tempfile.TemporaryDirectory(prefix="attnviz-chromium-") as profile:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=browser_path, headless=True, args=CHROMIUM_FLAGS, accept_downloads=True,
            viewport={"width": 1440, "height": 900})
        yield context
        context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.failed_call = report.failed


def open_page(context, url: str, dialogs: list[str]):
    """A new tab on ``url`` whose script runs are watched (``page.runs``) and whose dialogs land in ``dialogs``."""
    page = context.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs
    page.runs = RunWatch(page)
    page.goto(url)
    return page


@pytest.fixture
def page(browser_context, app_url, request):
    page = open_page(browser_context, app_url, [])
    yield page
    if getattr(request.node, "failed_call", False):
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    page.close()
