"""The built documentation site in Chromium: the index and a family page render, the navigation reaches
every page, and the search page finds ``ListVideoRoomsOperator``. The site is built here (as ``make docs``
does: warnings are errors) and served from 127.0.0.1; screenshots go to build/e2e-screenshots/.
"""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from e2e_support import REPO, shot, timed, wait_until

pytestmark = pytest.mark.e2e

DOCS = REPO / "docs"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("sphinx", reason="the docs dependency group is not installed (make docs installs it)")
    out = tmp_path_factory.mktemp("docs-site")
    with timed("docs: sphinx-build"):
        result = subprocess.run(
            [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS), str(out)],
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert result.returncode == 0, f"sphinx-build failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    handler = functools.partial(QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def pages() -> set[str]:
    return {p.stem for p in DOCS.glob("*.md")}


def test_index_and_a_family_page_render(browser: Any, site: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{site}/index.html")
    wait_until("the index's title", lambda: "SignalWire provider" in browser.title, browser)
    h1 = browser.find_element(By.TAG_NAME, "h1").text
    assert "SignalWire provider for Apache Airflow" in h1
    shot(browser, "docs-index")
    browser.get(f"{site}/video.html")
    wait_until(
        "the video page", lambda: browser.find_element(By.TAG_NAME, "h1").text.startswith("Video"), browser
    )
    body = browser.find_element(By.TAG_NAME, "article").text
    assert "ListVideoRoomsOperator" in body and "DownloadVideoRoomRecordingOperator" in body
    # The example DAG is on the page, included from dags_examples/ (its code, not its markers).
    code = " ".join(e.text for e in browser.find_elements(By.CSS_SELECTOR, "div.highlight pre"))
    assert "signalwire_video_rooms" in code and "[START" not in code
    shot(browser, "docs-video")


def test_the_navigation_reaches_every_page(browser: Any, site: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{site}/index.html")
    links = wait_until(
        "the sidebar", lambda: browser.find_elements(By.CSS_SELECTOR, ".sidebar-tree a.reference"), browser
    )
    targets = {a.get_attribute("href").split("#")[0].rsplit("/", 1)[-1].removesuffix(".html") for a in links}
    assert pages() - {"index"} <= targets, f"pages the sidebar does not reach: {sorted(pages() - targets)}"
    for name in sorted(pages() - {"index"}):
        browser.get(f"{site}/{name}.html")
        title = wait_until(f"the h1 of {name}", lambda: browser.find_element(By.TAG_NAME, "h1").text, browser)
        assert title and "404" not in title, (name, title)


def test_search_finds_an_operator(browser: Any, site: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{site}/search.html?q=ListVideoRoomsOperator")

    def results() -> list[str]:
        found = browser.find_elements(By.CSS_SELECTOR, "#search-results ul.search li a")
        return [a.text for a in found]

    found = wait_until("search results", results, browser)
    assert any("Video" in text or "ListVideoRoomsOperator" in text for text in found), found
    shot(browser, "docs-search")
