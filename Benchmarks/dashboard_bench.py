#!/usr/bin/env python3
"""The dashboard's timings in headless Chromium, for bench.py's `dashboard`
family (run with the Python of the browser tests' virtual environment, which
has Selenium).

Given a server already serving an imported repository, it signs in and
measures, RUNS times each:

- list: a full page load of `/#/changes` until the table of changes has
  rendered (navigation start to the end of the view's render, from the
  page's own `performance.now()`);
- change: a move from the list to one change's page (`location.hash`) until
  that page has rendered (proposal, tasks, deltas, log and history).

Prints one JSON object: {"list": [seconds...], "change": [seconds...]}.
"""
import argparse
import json
import os
import shutil
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

DEBUG = "return [document.readyState, document.getElementById('main').dataset.view, document.getElementById('main').textContent.slice(0, 200), performance.getEntriesByType('resource').map((e) => [e.name.slice(-60), Math.round(e.duration)])]"
RENDERED = ("const r = window.openspecRender;"
            " return r && document.getElementById('main').dataset.ready === '1' ? r : null")


def wait_render(driver, view, after_seq, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = driver.execute_script(RENDERED)
        if r and r["view"] == view and r["seq"] != after_seq:
            return r
        time.sleep(0.01)
    raise SystemExit(f"dashboard_bench: the {view} view did not render within {timeout} s"
                     f" (at {driver.current_url}: {driver.execute_script(RENDERED)}; {driver.execute_script(DEBUG)})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--login", required=True, help="the Dashboard: sign-in URL the server printed")
    ap.add_argument("--changes", required=True, help="comma-separated change ids to open, one per run")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    ap.add_argument("--chromedriver", default=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    args = ap.parse_args()
    os.environ.setdefault("SE_OFFLINE", "true")
    base = args.login.split("/login", 1)[0]
    changes = args.changes.split(",")

    options = Options()
    options.binary_location = args.chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,800"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=args.chromedriver), options=options)
    try:
        driver.get(args.login)
        wait_render(driver, "overview", -1)
        # One untimed round: the browser's cache and the server's first queries.
        driver.get(f"{base}/#/changes")
        wait_render(driver, "changes", -1)
        list_times, change_times = [], []
        for run in range(args.runs):
            driver.get(f"{base}/?run={run}#/changes")
            list_times.append(wait_render(driver, "changes", -1)["at"] / 1000)
            seq = driver.execute_script("return window.openspecRender.seq")
            driver.execute_script("location.hash = arguments[0]", f"#/change/{changes[run % len(changes)]}")
            change_times.append(wait_render(driver, "change", seq)["ms"] / 1000)
        print(json.dumps({"list": list_times, "change": change_times}))
    finally:
        driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
