"""Fixtures for the browser check: build the book if stale, serve it, drive headless Chromium.

The check uses Debian's ``chromium`` and ``chromium-driver`` packages (``apt-get install
chromium chromium-driver``). Selenium is given the driver's path explicitly, so it never
tries to download a browser or a driver.

Without Chromium the check is skipped, unless ``INFLUENCE_DEMO_REQUIRE_BROWSER=1`` (set by
``.ci/run``), in which case it fails: CI must never skip it.
"""

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# INFLUENCE_DEMO_HTML points the check at a book built elsewhere (for example with
# `jupyter-book build --path-output DIR .`, then DIR/_build/html); that build is used as it is.
HTML_OVERRIDE = os.environ.get("INFLUENCE_DEMO_HTML")
HTML = Path(HTML_OVERRIDE) if HTML_OVERRIDE else ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
# Debian's packages; the two variables let other systems point at their own Chromium.
CHROMIUM = Path(os.environ.get("INFLUENCE_DEMO_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("INFLUENCE_DEMO_CHROMEDRIVER", "/usr/bin/chromedriver"))
REQUIRE_ENV = "INFLUENCE_DEMO_REQUIRE_BROWSER"
MISSING_MESSAGE = "Chromium not found: apt-get install chromium chromium-driver to run the browser check"

# Generated pages that are not part of the book's content; every other .html page is checked.
SKIP_DIRS = {"_static", "_sources", "_images", "_downloads"}
WINDOW = (1280, 2000)

_BUILD_KEY = pytest.StashKey[dict]()


def browser_required():
    return os.environ.get(REQUIRE_ENV, "") == "1"


def chromium_available():
    return CHROMIUM.exists() and CHROMEDRIVER.exists()


def _sources():
    """Every file whose change can change the built HTML."""
    files = [ROOT / "_config.yml", ROOT / "_toc.yml"]
    for pattern in ("*.ipynb", "*.md", "*.bib"):
        files += (ROOT / "book").glob(pattern)
    files += (ROOT / "influence_demo").rglob("*.py")  # the API page is built by autodoc
    return [f for f in files if f.exists()]


def build_is_stale():
    """True if the HTML is missing, or older than any source, or lacks a chapter's page."""
    index = HTML / "index.html"
    if not index.exists():
        return True
    pages = []
    for src in (ROOT / "book").glob("*"):
        if src.suffix in (".md", ".ipynb"):
            page = HTML / "book" / (src.stem + ".html")
            if not page.exists():
                return True
            pages.append(page)
    # index.html is only a redirect that jupyter-book does not rewrite, so the age of the
    # build is the age of its oldest content page.
    built = min([p.stat().st_mtime for p in pages], default=index.stat().st_mtime)
    return max(f.stat().st_mtime for f in _sources()) > built


def build_book():
    """Run the strict build of `make book`; return (returncode, log)."""
    jb = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(jb), "build", "--all", "-W", "--keep-going", "."]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    return proc.returncode, re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)


def find_pages():
    """Relative paths ('book/notation.html', ...) of every HTML page of the built book."""
    pages = []
    for path in sorted(HTML.rglob("*.html")):
        rel = path.relative_to(HTML)
        if rel.parts[0] in SKIP_DIRS:
            continue
        pages.append(rel.as_posix())
    return pages


def _ensure_built(config):
    """Build the book once per session if it is stale; remember how the build went."""
    if _BUILD_KEY not in config.stash:
        info = {"ran": False, "returncode": 0, "log": "", "seconds": 0.0}
        if not HTML_OVERRIDE and build_is_stale():
            reporter = config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line("browser check: the book is missing or stale; building it ...")
            start = time.perf_counter()
            rc, log = build_book()
            info.update(ran=True, returncode=rc, log=log, seconds=time.perf_counter() - start)
        config.stash[_BUILD_KEY] = info
    return config.stash[_BUILD_KEY]


def pytest_generate_tests(metafunc):
    if "page" not in metafunc.fixturenames:
        return
    if not chromium_available():
        # Do not spend a build on a check that cannot run; the fixture skips or fails.
        metafunc.parametrize("page", ["<no chromium>"])
        return
    _ensure_built(metafunc.config)
    pages = find_pages()
    metafunc.parametrize("page", pages or ["<no pages built>"])


@pytest.fixture(scope="session")
def build_info(request):
    if not chromium_available():
        _no_browser()
    return _ensure_built(request.config)


def _no_browser():
    if browser_required():
        pytest.fail(f"{MISSING_MESSAGE} ({REQUIRE_ENV}=1, so the check may not be skipped)")
    pytest.skip(MISSING_MESSAGE)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serve the build silently. The book has no favicon, and Chromium asks for one on every
    page; a missing favicon is a property of the host, not a broken page, so answer 204."""

    def do_GET(self):
        if self.path == "/favicon.ico" and not (Path(self.directory) / "favicon.ico").exists():
            self.send_response(204)
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@pytest.fixture(scope="session")
def server():
    """Serve _build/html over http on 127.0.0.1 (a free port) in a thread; yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    host, port = httpd.server_address[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def driver():
    """Headless Chromium with a fresh profile, its console log captured at level ALL."""
    if not chromium_available():
        _no_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let selenium-manager go online
    profile = tempfile.mkdtemp(prefix="influence-demo-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    drv.set_page_load_timeout(60)
    drv.set_script_timeout(60)
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def html_dir():
    return HTML


@pytest.fixture(scope="session")
def screenshot_dir():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
