#!/usr/bin/env python3
"""Opens an HTML file in headless Chromium, as a reader would, and prints
what the page shows, as JSON.

    browser.py --bin DIR REPORT.html [--screenshot PNG]

DIR holds Debian's chromium and chromedriver (tests/tools/install-debian.sh
prints it); Selenium (tests/tools/requirements.txt) drives them. The flags
are those this machine needs: as root, no sandbox; no background
networking, since only package registries can be reached. It prints
{"title", "console" (every message the browser logged), "text" (what the
body shows), "alert" (the text of an alert a script raised, or null),
"elements" (how many of: svg, rect.window, line.restore, line.flow, img,
script, iframe, table rows), "svg" (the SVG's width and height as laid
out)}.
"""

import argparse
import json
import os
import tempfile

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
COUNTED = {"svg": "svg", "windows": "svg rect.window", "restores": "svg line.restore",
           "flows": "svg line.flow", "img": "img", "script": "script",
           "iframe": "iframe", "rows": "table tr"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True)
    parser.add_argument("report")
    parser.add_argument("--screenshot")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = os.path.join(args.bin, "chromium")
        for flag in FLAGS + [f"--user-data-dir={profile}"]:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(os.path.join(args.bin, "chromedriver"))
        driver = webdriver.Chrome(service=service, options=options)
        try:
            driver.set_window_size(1200, 900)
            driver.get("file://" + os.path.abspath(args.report))
            try:
                alert = driver.switch_to.alert.text
            except NoAlertPresentException:
                alert = None
            svg = driver.find_elements(By.TAG_NAME, "svg")
            shown = {
                "title": driver.title,
                "console": [entry["message"] for entry in driver.get_log("browser")],
                "text": driver.find_element(By.TAG_NAME, "body").text,
                "alert": alert,
                "elements": {name: len(driver.find_elements(By.CSS_SELECTOR, selector))
                             for name, selector in COUNTED.items()},
                "svg": svg[0].size if svg else None,
            }
            if args.screenshot:
                driver.save_screenshot(args.screenshot)
        finally:
            driver.quit()
    print(json.dumps(shown))


if __name__ == "__main__":
    main()
