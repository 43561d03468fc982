"""The report in a real browser (Debian's chromium and chromium-driver, driven by selenium): no console
errors, charts drawn, the table sorting on a header click, hostile names shown as text with no script
run, and nothing asked of the network."""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest

from conftest import invoke, run_cli
from test_report import IMG, SCRIPT, hostile_database

CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and os.path.exists(CHROMEDRIVER)):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver are missing: .ci/run installs them")
        pytest.skip("chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1300,1800"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    # Anything outside file:// would fail: the test then finds it in the performance log.
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["http://*", "https://*", "ws://*", "wss://*"]})
    yield driver
    driver.quit()


def open_report(driver, path, tmp_path, name: str):
    driver.get_log("browser"), driver.get_log("performance")  # start from empty logs
    driver.get(path.as_uri())
    for _ in range(100):  # the charts are drawn asynchronously
        if driver.execute_script("return document.querySelectorAll('[data-chart] svg').length") == \
                driver.execute_script("return document.querySelectorAll('[data-chart]').length"):
            break
        time.sleep(0.1)
    driver.save_screenshot(str(tmp_path / f"{name}.png"))
    requested = [json.loads(entry["message"])["message"] for entry in driver.get_log("performance")]
    urls = [m["params"]["request"]["url"] for m in requested if m["method"] == "Network.requestWillBeSent"]
    return driver.get_log("browser"), urls


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    db = hostile_database(folder)
    out = folder / "report.html"
    assert invoke("report", out, "--db", db, "--prices", folder / "prices.csv", "--budget", "400").exit_code == 0
    return out


def test_the_report_draws_its_charts_without_errors_or_network(browser, hostile_report, tmp_path):
    console, urls = open_report(browser, hostile_report, tmp_path, "hostile")
    assert [entry for entry in console if entry["level"] == "SEVERE"] == []
    assert all(url.startswith(("file:", "data:", "about:", "blob:")) for url in urls), urls
    charts = browser.execute_script("return document.querySelectorAll('[data-chart]').length")
    drawn = browser.execute_script("return document.querySelectorAll('[data-chart] svg').length")
    marks = browser.execute_script(
        "return document.querySelectorAll('[data-chart] svg .mark-symbol path, [data-chart] svg .mark-rect path,"
        " [data-chart] svg .mark-line path').length")
    assert charts >= 4 and drawn == charts and marks > 10
    assert (tmp_path / "hostile.png").stat().st_size > 10_000


def test_hostile_names_show_as_text_and_run_nothing(browser, hostile_report, tmp_path):
    open_report(browser, hostile_report, tmp_path, "names")
    names = browser.execute_script(
        "return Array.from(document.querySelectorAll('#shortlist .page-name')).map(e => e.textContent)")
    assert IMG in names and SCRIPT in names
    assert browser.execute_script("return window.pwned === undefined && document.querySelectorAll("
                                  "'main img, main script:not([type])').length === 0")


def test_a_header_click_sorts_ascending_then_descending(browser, hostile_report, tmp_path):
    from selenium.webdriver.common.by import By

    open_report(browser, hostile_report, tmp_path, "sorted")
    header = browser.find_element(By.CSS_SELECTOR, '#shortlist th[data-column="followers"]')
    column = browser.execute_script("return arguments[0].cellIndex", header)
    read = ("return Array.from(document.querySelectorAll('#shortlist tbody tr')).map("
            f"r => r.cells[{column}].getAttribute('data-key')).filter(k => k !== '').map(Number)")
    header.click()
    ascending = browser.execute_script(read)
    header.click()
    descending = browser.execute_script(read)
    assert len(ascending) >= 3 and ascending == sorted(ascending) and descending == sorted(ascending, reverse=True)
    assert header.get_attribute("aria-sort") == "descending"


def test_the_filter_keeps_the_rows_that_match(browser, hostile_report, tmp_path):
    from selenium.webdriver.common.by import By

    open_report(browser, hostile_report, tmp_path, "filtered")
    browser.find_element(By.ID, "filter-text").send_keys("runclub")
    visible = browser.execute_script(
        "return Array.from(document.querySelectorAll('#shortlist tbody tr')).filter(r => !r.hidden).length")
    assert visible == 1 and browser.find_element(By.ID, "filter-count").text == "1"


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "shortlist.xlsx"
    result = run_cli("demo", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out.parent / "report.html"


def test_the_demo_report_shows_its_sections_drawn(browser, demo_report, tmp_path):
    console, urls = open_report(browser, demo_report, tmp_path, "demo")
    assert [entry for entry in console if entry["level"] == "SEVERE"] == []
    assert all(url.startswith(("file:", "data:", "about:", "blob:")) for url in urls), urls
    for section in ("reach-section", "cards-section", "communities-section"):
        drawn = browser.execute_script(f"return document.querySelectorAll('#{section} [data-chart] svg').length")
        assert drawn >= 1, section
    rows = browser.execute_script("return document.querySelectorAll('#shortlist tbody tr').length")
    assert rows >= 5
