#!/usr/bin/env python3
"""Browser tests of the dashboard: the real binary serving a temporary database
and real git repositories, driven in headless Chromium through Selenium.

One server serves every test: a 2,000-change repository made by gen_corpus.py
and a small one made from Fixtures/demo (plus a change whose proposal tries to
run script). Git hooks sync every commit, so an open page sees a commit through
sync.subscribe; files written without a commit stay unsynced, which is how the
conflict test makes "the file changed on disk".

    python3 Tests/Browser/dashboard_test.py --binary .build/debug/openspec-sync \
        --corpus-tool ../shared/tools/gen_corpus.py --screenshots docs/images
"""
import argparse
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import (ElementClickInterceptedException, JavascriptException, NoSuchElementException,
                                        StaleElementReferenceException)
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Browser Test", "GIT_AUTHOR_EMAIL": "browser@example.invalid",
    "GIT_COMMITTER_NAME": "Browser Test", "GIT_COMMITTER_EMAIL": "browser@example.invalid",
}
XSS_PROPOSAL = """# Change: Script probe

## Why

<script>document.title = 'pwned'; window.pwned = 1;</script>
<img src="x" onerror="document.title = 'pwned'; window.pwned = 2;">
<a href="#" onclick="window.pwned = 3">inline handler</a>

[a javascript link](javascript:window.pwned=4) and [a data link](data:text/html,<script>alert(1)</script>)

## What Changes

- Nothing runs.
"""


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout


def commit_count(repo):
    return int(git(repo, "rev-list", "--count", "HEAD").strip())


DEBUG_TEXT = None  # set by the harness: what the page shows, for a failed wait


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except (StaleElementReferenceException, JavascriptException, NoSuchElementException,
                ElementClickInterceptedException) as error:
            last_error = error
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}" + (f" ({last_error})" if last_error else "")
                         + (f"; the page says: {DEBUG_TEXT()}" if DEBUG_TEXT else ""))


class Harness:
    """The temporary repositories, the server and the browser shared by the tests."""

    def __init__(self, args):
        self.args = args
        # Under /tmp itself: the overview screenshot shows the repositories' paths.
        self.tmp = tempfile.mkdtemp(prefix="openspec-browser-", dir="/tmp" if os.path.isdir("/tmp") else None)
        self.db = os.path.join(self.tmp, "db", "openspec-sync.sqlite")
        os.makedirs(os.path.dirname(self.db))
        self.big = os.path.join(self.tmp, "corpus")
        self.small = os.path.join(self.tmp, "demo")
        self.server = None
        self.driver = None
        self.evil = None

    def cli(self, *args):
        return subprocess.run([self.args.binary, *args, "--db", self.db], check=True, capture_output=True, text=True).stdout

    def make_corpus(self):
        """The 2,000-change repository, generated once and kept in a cache folder (the
        generator is deterministic; a new generator or size makes a new one)."""
        with open(self.args.corpus_tool, "rb") as f:
            stamp = hashlib.sha256(f.read() + str(self.args.changes).encode()).hexdigest()[:16]
        cached = os.path.join(self.args.cache, f"corpus-{self.args.changes}-{stamp}")
        if not os.path.isdir(cached):
            building = cached + f".{os.getpid()}"
            subprocess.run([sys.executable, self.args.corpus_tool, "--out", building, "--changes", str(self.args.changes),
                            "--commits", "5"], check=True, capture_output=True)
            os.rename(building, cached)
        subprocess.run(["cp", "-a", cached, self.big], check=True)

    def make_repositories(self):
        self.make_corpus()
        shutil.copytree(os.path.join(ROOT, "Fixtures", "demo"), self.small)
        probe = os.path.join(self.small, "openspec", "changes", "script-probe")
        os.makedirs(probe)
        with open(os.path.join(probe, "proposal.md"), "w") as f:
            f.write(XSS_PROPOSAL)
        with open(os.path.join(probe, "tasks.md"), "w") as f:
            f.write("## 1. Probe\n\n- [ ] 1.1 Nothing runs\n")
        git(self.small, "init", "-q", "-b", "main")
        git(self.small, "add", "-A")
        git(self.small, "commit", "-q", "-m", "Demo OpenSpec project")
        for repo, name in ((self.big, "corpus"), (self.small, "demo")):
            self.cli("init", "--repo", repo, "--name", name)
            self.cli("reconcile", "--repo", repo)
            self.cli("hooks", "install", "--repo", repo)

    def start_server(self, port="0"):
        self.server = subprocess.Popen([self.args.binary, "serve", "--port", port, "--db", self.db],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.server.stdout.readline()
            if not line:
                raise AssertionError(f"the server stopped before printing its address: {self.server.stderr.read()}")
            found = re.search(r"Dashboard: (http://[^/\s]+)(/login\?token=\S+)", line)
            if found:
                self.base, self.login = found.group(1), found.group(1) + found.group(2)
                threading.Thread(target=self.server.stdout.read, daemon=True).start()
                threading.Thread(target=self.server.stderr.read, daemon=True).start()
                return
        raise AssertionError("the server printed no Dashboard line within 30 s")

    def start_browser(self):
        options = Options()
        options.binary_location = self.args.chromium
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,800", "--force-prefers-reduced-motion", "--hide-scrollbars"):
            options.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service(executable_path=self.args.chromedriver), options=options)
        self.driver.set_page_load_timeout(30)
        global DEBUG_TEXT
        DEBUG_TEXT = lambda: self.driver.execute_script(
            "const e = document.getElementById('editor-outcome'); const n = document.getElementById('notice');"
            " return [location.hash, e && e.textContent, n && n.textContent]")
        size = self.driver.execute_script("return [window.innerWidth, window.innerHeight]")
        if size != [1280, 800]:  # headless windows include no chrome, but make sure of the viewport
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                        {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})

    def api_token(self):
        with open(os.path.join(os.path.dirname(self.db), "api-token")) as f:
            return f.read().strip()

    def sign_in(self, url=None):
        self.driver.get(url or self.login)
        wait_for(lambda: self.driver.execute_script("return document.body.dataset.signedIn") == "1", 10, "signed in")

    def open(self, route, view):
        """Navigates to a route of the page and waits until that view has rendered."""
        driver = self.driver
        on_page = driver.current_url.split("#", 1)[0].split("?", 1)[0] == self.base + "/"
        before = driver.execute_script("return window.openspecRender ? window.openspecRender.seq : -1") if on_page else -1
        if on_page:
            if driver.execute_script("return location.hash") == route:
                driver.refresh()
                before = -1
            else:
                driver.execute_script("location.hash = arguments[0]", route)
        else:
            driver.get(f"{self.base}/{route}")
            before = -1
        self.wait_render(view, before)

    def wait_render(self, view, before=-1):
        script = "const r = window.openspecRender; return r && document.getElementById('main').dataset.ready === '1' ? [r.view, r.seq] : null"
        wait_for(lambda: (lambda r: r and r[0] == view and r[1] != before)(self.driver.execute_script(script)), 15,
                 f"the {view} view")

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def click(self, css, timeout=5):
        """Clicks the element, found again if a live refresh replaced it meanwhile."""
        wait_for(lambda: self.find(css).click() or True, timeout, f"a click on {css}")

    def find_all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def screenshot(self, name):
        if self.args.screenshots:
            os.makedirs(self.args.screenshots, exist_ok=True)
            self.driver.execute_script("window.scrollTo(0, 0)")
            self.driver.save_screenshot(os.path.join(self.args.screenshots, name))

    def stop(self):
        if self.driver:
            self.driver.quit()
        if self.evil:
            self.evil.shutdown()
        if self.server and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(10)
            except subprocess.TimeoutExpired:
                self.server.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


# ---------------------------------------------------------------- the tests

def test_overview_shows_every_project(t):
    t.open("#/", "overview")
    cards = t.find_all("section.card")
    names = sorted(card.find_element(By.CSS_SELECTOR, "h2").text for card in cards)
    assert names == ["corpus", "demo"], names
    corpus = next(card for card in cards if card.find_element(By.CSS_SELECTOR, "h2").text == "corpus")
    assert str(t.args.changes) in corpus.text, corpus.text
    assert t.find("#conn").get_attribute("data-state") == "live", t.find("#conn").text
    t.screenshot("overview.png")


def test_list_of_2000_renders_filters_and_survives_reload(t):
    driver = t.driver
    t.open("#/changes?project=corpus", "changes")
    count = t.find("#result-count")
    assert count.get_attribute("data-total") == str(t.args.changes), count.text
    assert len(t.find_all("tbody tr[data-nav]")) == 100  # a page, not 2,000 rows
    box = t.find("#filter-q")
    box.send_keys("change-012")
    wait_for(lambda: t.find("#result-count").get_attribute("data-total") == "10", 5, "10 matches for change-012")
    ids = [row.get_attribute("data-change-id") for row in t.find_all("tbody tr[data-nav]")]
    assert ids == [f"change-{n:04d}" for n in range(120, 130)], ids
    Select(t.find("#filter-order")).select_by_value("desc")
    wait_for(lambda: t.find("tbody tr[data-nav]").get_attribute("data-change-id") == "change-0129", 5, "descending order")
    assert "q=change-012" in driver.current_url and "order=desc" in driver.current_url, driver.current_url
    driver.refresh()
    t.wait_render("changes")
    assert t.find("#filter-q").get_attribute("value") == "change-012"
    assert t.find("#result-count").get_attribute("data-total") == "10"
    assert t.find("tbody tr[data-nav]").get_attribute("data-change-id") == "change-0129"
    # Keyboard: / focuses the search box, Esc leaves it, j moves to the first row, Enter opens it.
    t.find("body").send_keys("/")
    assert t.driver.switch_to.active_element.get_attribute("id") == "filter-q"
    t.driver.switch_to.active_element.send_keys("\ue00c")  # Escape
    assert t.driver.switch_to.active_element.get_attribute("id") != "filter-q"
    t.find("body").send_keys("j")
    t.driver.switch_to.active_element.send_keys("\n")
    t.wait_render("change")
    assert "change-0129" in t.find("main h1").text or "change-0129" in t.find("main header").text


def test_loading_the_page_again_and_again_keeps_it_working(t):
    # Each load opens an event stream; a browser has six connections per server, so a
    # stream left open by a page kept in the back-forward cache would leave a later load waiting.
    for n in range(8):
        t.driver.get(f"{t.base}/?load={n}#/changes?project=demo")
        t.wait_render("changes")
        wait_for(lambda: t.find("#result-count").get_attribute("data-total") not in (None, "0"), 5, "the list after a reload")


UNLABELLED = """return [...document.querySelectorAll('input, select, textarea, button')].filter((el) =>
  !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !(el.textContent || '').trim()
  && el.type !== 'hidden').map((el) => el.outerHTML.slice(0, 80))"""


def test_controls_have_labels_and_dark_mode_follows_the_system(t):
    for route, view in (("#/changes?project=demo", "changes"), ("#/change/demo/add-note-tags", "change")):
        t.open(route, view)
        unlabelled = t.driver.execute_script(UNLABELLED)
        assert unlabelled == [], unlabelled
    background = "return getComputedStyle(document.body).backgroundColor"
    light = t.driver.execute_script(background)
    t.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    try:
        dark = t.driver.execute_script(background)
    finally:
        t.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    assert light == "rgb(255, 255, 255)" and dark != light, (light, dark)


def test_board_has_four_columns(t):
    t.open("#/board?project=corpus", "board")
    columns = [c.get_attribute("data-column") for c in t.find_all("section.column")]
    assert columns == ["no-tasks", "in-progress", "complete", "archived"], columns
    assert len(t.find_all("section.column li")) <= 4 * 50
    t.screenshot("board.png")


def demo_file(t, change, name):
    with open(os.path.join(t.small, "openspec", "changes", change, name), "rb") as f:
        return f.read()


def test_ticking_a_task_changes_one_byte_and_makes_one_commit(t):
    t.open("#/change/demo/add-note-tags", "change")
    t.screenshot("change.png")
    before, commits = demo_file(t, "add-note-tags", "tasks.md"), commit_count(t.small)
    box = next(b for b in t.find_all("input[data-task]") if not b.is_selected())
    box.click()
    wait_for(lambda: commit_count(t.small) == commits + 1, 10, "one commit")
    after = demo_file(t, "add-note-tags", "tasks.md")
    assert len(before) == len(after) and sum(a != b for a, b in zip(before, after)) == 1, (before, after)
    time.sleep(0.5)
    assert commit_count(t.small) == commits + 1
    # x ticks the focused task too.
    t.wait_render("change")
    box = next(b for b in t.find_all("input[data-task]") if not b.is_selected())
    t.driver.execute_script("arguments[0].focus()", box)
    t.driver.switch_to.active_element.send_keys("x")
    wait_for(lambda: commit_count(t.small) == commits + 2, 10, "a commit from the x key")


def test_a_commit_shows_its_diff_and_a_rollback_after_confirmation_makes_one_commit(t):
    t.open("#/change/demo/add-note-tags", "change")
    wait_for(lambda: len(t.find_all("ol.log > li")) >= 2, 5, "the git log")
    t.click("ol.log > li:first-child button[aria-expanded]")
    kinds = wait_for(lambda: set(t.driver.execute_script(
        "return [...document.querySelectorAll('ol.log > li:first-child .diff [data-kind]')].map((l) => l.dataset.kind)")),
        5, "the newest commit's diff")
    assert {"add", "del"} <= kinds, kinds
    first = t.driver.execute_script("return document.querySelector('ol.log > li:last-child').dataset.commit")
    commits = commit_count(t.small)
    t.click("ol.log > li:last-child button.danger")
    wait_for(lambda: t.driver.switch_to.alert, 5, "the confirmation").dismiss()  # cancelled: nothing happens
    time.sleep(0.3)
    assert commit_count(t.small) == commits
    t.click("ol.log > li:last-child button.danger")
    wait_for(lambda: t.driver.switch_to.alert, 5, "the confirmation").accept()
    wait_for(lambda: commit_count(t.small) == commits + 1, 10, "the rollback commit")
    assert demo_file(t, "add-note-tags", "tasks.md").decode() == git(
        t.small, "show", f"{first}:openspec/changes/add-note-tags/tasks.md")


def test_main_specs_are_listed_and_rendered(t):
    t.open("#/specs", "specs")
    rows = t.driver.execute_script("return [...document.querySelectorAll('tbody tr')].map((r) => r.textContent)")
    assert len([r for r in rows if "demo" in r]) == 3, rows
    href = t.driver.execute_script("return document.querySelector('tbody tr a').getAttribute('href')")
    t.open(href, "spec")
    assert t.driver.execute_script("return document.querySelector('main .doc h1, main .doc h2, main .doc p') !== null")


def edit_in_page(t, change, file, text):
    t.open(f"#/change/demo/{change}", "change")
    Select(t.find("#editor-file")).select_by_value(file)
    area = t.find("#editor-text")
    area.clear()
    area.send_keys(text)
    typed = t.driver.execute_script("return document.getElementById('editor-text').value")
    assert typed == text, f"the editor holds {typed!r}, not the {text!r} typed"


def test_an_edit_of_a_file_changed_on_disk_shows_the_conflict_and_both_resolutions_work(t):
    path = os.path.join(t.small, "openspec", "changes", "fix-search-ranking", "proposal.md")
    for resolution in ("reapply", "filesystem"):
        edit_in_page(t, "fix-search-ranking", "proposal.md", f"# Change: Better search ranking\n\nEdited in the page ({resolution}).\n")
        with open(path, "w") as f:
            f.write(f"# Change: Better search ranking\n\nChanged on disk ({resolution}).\n")
        t.click("#editor-save")
        href = wait_for(lambda: t.driver.execute_script(
            "const a = document.querySelector(\"#editor-outcome [data-outcome='conflict'] a\"); return a && a.getAttribute('href')"),
            10, f"the conflict outcome ({resolution})")
        t.open(href, "conflict")
        text = lambda css: t.driver.execute_script("return document.querySelector(arguments[0]).textContent", css)
        assert f"Changed on disk ({resolution})" in text("#conflict-disk")
        assert f"Edited in the page ({resolution})" in text("#conflict-kept"), text("main")
        kinds = set(t.driver.execute_script(
            "return [...document.querySelectorAll('#conflict-diff [data-kind]')].map((line) => line.dataset.kind)"))
        assert {"add", "del"} <= kinds, kinds
        if resolution == "reapply":
            t.screenshot("conflict.png")
        t.click(f"#resolve-{resolution}")
        wait_for(lambda: t.find_all("#resolve-outcome [data-outcome='written'], #resolve-outcome [data-outcome='resolved']"), 10,
                 f"the {resolution} outcome")
        with open(path) as f:
            expected = "Edited in the page" if resolution == "reapply" else "Changed on disk"
            assert expected in f.read()
    git(t.small, "commit", "-q", "-am", "Keep the proposal as it is on disk")


def test_typing_in_the_editor_goes_on_through_a_live_refresh(t):
    t.open("#/change/demo/improve-offline-mode", "change")
    Select(t.find("#editor-file")).select_by_value("proposal.md")
    area = t.find("#editor-text")
    original = area.get_attribute("value")
    area.send_keys(" first")
    live = t.driver.execute_script("return window.openspecLive || 0")
    with open(os.path.join(t.small, "openspec", "changes", "improve-offline-mode", "tasks.md"), "a") as f:
        f.write("- [ ] 9.9 Added while the editor is open\n")
    git(t.small, "commit", "-q", "-am", "Add a task while the page is open")
    wait_for(lambda: t.driver.execute_script("return window.openspecLive || 0") > live
             and "Added while the editor is open" in t.find(".change-side").text, 10, "the live refresh")
    assert t.driver.execute_script("return document.activeElement.id") == "editor-text", \
        t.driver.execute_script("return document.activeElement.outerHTML.slice(0, 80)")
    ActionChains(t.driver).send_keys(" second").perform()  # to whatever has the focus now
    typed = t.driver.execute_script("return document.getElementById('editor-text').value")
    assert typed == original + " first second", typed[-40:]
    t.click("#editor-revert")  # nothing is saved
    assert t.driver.execute_script("return document.getElementById('editor-text').value") == original


def test_a_commit_made_with_git_shows_in_an_open_page_within_2_s(t):
    t.open("#/changes?project=demo", "changes")
    start = time.monotonic()
    add_change_with_git(t, "added-by-git", "Added by git")
    wait_for(lambda: t.find_all("tr[data-change-id='added-by-git']"), 2.0, "the new change in the open list")
    print(f"    (shown {time.monotonic() - start:.2f} s after the commit)")


def test_a_proposal_with_script_renders_inert(t):
    t.open("#/change/demo/script-probe", "change")
    time.sleep(0.3)
    driver = t.driver
    assert driver.title != "pwned" and driver.execute_script("return window.pwned === undefined"), driver.title
    docs = t.find("article[data-path='proposal.md']")
    assert "<script>" in docs.text  # shown as text
    assert not docs.find_elements(By.CSS_SELECTOR, "script, img, [onerror], [onclick]")
    for link in docs.find_elements(By.CSS_SELECTOR, "a"):
        assert not (link.get_attribute("href") or "").startswith(("javascript:", "data:")), link.get_attribute("href")
    for link in docs.find_elements(By.CSS_SELECTOR, "a"):
        link.click()
    assert driver.title != "pwned" and driver.execute_script("return window.pwned === undefined")


def test_a_page_without_the_sign_in_cookie_cannot_mutate(t):
    driver = t.driver
    driver.delete_all_cookies()
    t.open("#/change/demo/script-probe", "change")
    driver.refresh()
    t.wait_render("change")
    wait_for(lambda: t.find("#banner").is_displayed(), 5, "the read-only banner")
    assert "read-only" in t.find("#banner").text
    before, commits = demo_file(t, "script-probe", "tasks.md"), commit_count(t.small)
    t.find("input[data-task]").click()
    wait_for(lambda: "not signed in" in t.find("#notice").text, 5, "the refusal")
    assert not t.find("input[data-task]").is_selected()
    assert demo_file(t, "script-probe", "tasks.md") == before and commit_count(t.small) == commits
    # The one-time link is spent; the API token signs in again.
    t.sign_in(f"{t.base}/login?token={t.api_token()}")


def test_a_form_post_from_another_origin_is_refused(t):
    target = f"{t.base}/trpc/specs.toggleTask"

    class Evil(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            page = (f'<!doctype html><form id="f" method="post" enctype="text/plain" action="{target}">'
                    '<input type="hidden" name=\'{"specId":"script-probe","task":"1.1","done":true,"x":"\' value=\'"}\'>'
                    '<button id="go">go</button></form>').encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    t.evil = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Evil)
    threading.Thread(target=t.evil.serve_forever, daemon=True).start()
    before, commits = demo_file(t, "script-probe", "tasks.md"), commit_count(t.small)
    t.driver.get(f"http://127.0.0.1:{t.evil.server_address[1]}/")
    t.find("#go").click()
    wait_for(lambda: t.driver.current_url.startswith(target), 5, "the form's reply")
    body = t.find("body").text
    assert "FORBIDDEN" in body or "UNAUTHORIZED" in body, body
    time.sleep(0.3)
    assert demo_file(t, "script-probe", "tasks.md") == before and commit_count(t.small) == commits
    # The same with a script's fetch: refused as well (no X-OpenSpec-Sync header, wrong origin).
    request = urllib.request.Request(target, method="POST", data=b'{"specId":"script-probe","task":"1.1","done":true}',
                                     headers={"Origin": "http://evil.example", "Content-Type": "application/x-www-form-urlencoded"})
    try:
        urllib.request.urlopen(request, timeout=5)
        raise AssertionError("a cross-origin form POST was accepted")
    except urllib.error.HTTPError as error:
        assert error.code in (401, 403), error.code


def add_change_with_git(t, name, title):
    folder = os.path.join(t.small, "openspec", "changes", name)
    os.makedirs(folder)
    with open(os.path.join(folder, "proposal.md"), "w") as f:
        f.write(f"# Change: {title}\n\n## Why\n\nA commit outside the page.\n")
    git(t.small, "add", "-A")
    git(t.small, "commit", "-q", "-m", f"Add {name}")


def test_an_open_page_resumes_after_the_server_restarts(t):
    t.open("#/changes?project=demo", "changes")
    wait_for(lambda: t.find("#conn").get_attribute("data-state") == "live", 5, "the live indicator")
    add_change_with_git(t, "added-before-restart", "Added before the restart")
    wait_for(lambda: t.find_all("tr[data-change-id='added-before-restart']"), 5, "the change committed before the restart")
    seen = int(t.driver.execute_script("return window.openspecLastEventId"))
    port = t.base.rsplit(":", 1)[1]
    t.server.terminate()
    t.server.wait(10)
    wait_for(lambda: t.find("#conn").get_attribute("data-state") == "reconnecting", 10, "the reconnecting indicator")
    add_change_with_git(t, "added-while-down", "Added while the server was down")
    t.start_server(port=port)
    wait_for(lambda: t.find("#conn").get_attribute("data-state") == "live", 15, "live again")
    wait_for(lambda: t.find_all("tr[data-change-id='added-while-down']"), 5, "the change committed while the server was down")
    # The events of the commit made while the server was down were replayed after the last one seen.
    wait_for(lambda: int(t.driver.execute_script("return window.openspecLastEventId")) > seen, 5, "the missed events")


TESTS = [
    test_overview_shows_every_project,
    test_list_of_2000_renders_filters_and_survives_reload,
    test_loading_the_page_again_and_again_keeps_it_working,
    test_controls_have_labels_and_dark_mode_follows_the_system,
    test_board_has_four_columns,
    test_ticking_a_task_changes_one_byte_and_makes_one_commit,
    test_an_edit_of_a_file_changed_on_disk_shows_the_conflict_and_both_resolutions_work,
    test_typing_in_the_editor_goes_on_through_a_live_refresh,
    test_a_commit_shows_its_diff_and_a_rollback_after_confirmation_makes_one_commit,
    test_main_specs_are_listed_and_rendered,
    test_a_commit_made_with_git_shows_in_an_open_page_within_2_s,
    test_a_proposal_with_script_renders_inert,
    test_a_page_without_the_sign_in_cookie_cannot_mutate,
    test_a_form_post_from_another_origin_is_refused,
    test_an_open_page_resumes_after_the_server_restarts,
]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "openspec-sync"))
    parser.add_argument("--corpus-tool", default=os.path.join(os.path.dirname(ROOT), "shared", "tools", "gen_corpus.py"))
    parser.add_argument("--changes", type=int, default=2000)
    parser.add_argument("--cache", default=os.path.join(ROOT, ".build", "browser-tests"),
                        help="where the generated repository is kept between runs")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--chromedriver", default=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    parser.add_argument("--screenshots", help="write overview.png, board.png, change.png and conflict.png here")
    parser.add_argument("-k", dest="only", help="run only the tests whose name holds this")
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium must not fetch drivers: Debian's chromedriver is used

    started = time.monotonic()
    harness = Harness(args)
    failures = 0
    try:
        harness.make_repositories()
        harness.start_server()
        harness.start_browser()
        harness.sign_in()
        print(f"set-up: {time.monotonic() - started:.1f} s ({args.changes} changes, server at {harness.base})")
        for test in TESTS:
            if args.only and args.only not in test.__name__:
                continue
            begun = time.monotonic()
            try:
                test(harness)
                print(f"ok    {test.__name__} ({time.monotonic() - begun:.1f} s)")
            except Exception as error:
                failures += 1
                where = traceback.extract_tb(error.__traceback__)
                lines = [f"  {f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.line}" for f in where if f.filename == __file__]
                message = str(error).split("\n  (Session info")[0].split("\nStacktrace:")[0]
                print(f"FAIL  {test.__name__}: {type(error).__name__}: {message}\n" + "\n".join(lines))
    finally:
        harness.stop()
    print(f"{'FAILED' if failures else 'passed'}: {failures} failure(s) in {time.monotonic() - started:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
