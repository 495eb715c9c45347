"""The demo page (`scripts/run demo`) in a real headless Chromium: one `/imagine`, one
Reroll, one refusal by the blocklist and one by an option out of range.

The demo runs as its own process, as `scripts/run demo` starts it. Chromium and its
driver come from Debian (`chromium`, `chromium-driver`); without them the test is skipped,
and under CI (CI=true) it fails instead. FLUXCORD_DEMO_SCREENSHOT=docs/demo.png also saves
the screenshot taken once the result shows (the README's picture).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
PROMPT = "a lighthouse at dusk <b>bold</b> <img src=x onerror=alert(1)>"


def browser_paths() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium and driver:
        return chromium, driver
    missing = "apt-get install chromium chromium-driver"
    if os.environ.get("CI") == "true":
        pytest.fail(f"Chromium and its driver are required under CI: {missing}")
    pytest.skip(f"no Chromium here; {missing}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def demo_url(tmp_path: Path) -> Iterator[str]:
    """`python -m demo` on a free port, stopped (SIGTERM) after the test."""
    port = free_port()
    log = (tmp_path / "demo.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "demo", "--port", str(port)], cwd=ROOT,
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if not k.isupper() or k in ("PATH", "HOME")},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/api/command", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the demo did not start:\n"
                                         + (tmp_path / "demo.log").read_text()) from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            assert process.wait(timeout=20) == 0, (tmp_path / "demo.log").read_text()
        finally:
            process.kill()
            log.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Headless Chromium as root on a closed network: no sandbox, nothing fetched."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 "--window-size=900,1000", f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    session = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    try:
        yield session
    finally:
        session.quit()


def wait(browser: Any, condition: Any, what: str, timeout: float = 30.0) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout, poll_frequency=0.1).until(
        lambda _: condition(), message=f"no {what} on the page")


def public_images(browser: Any) -> int:
    """How many result images the public messages show, loaded (read in one go, as the
    page redraws its messages whenever they change)."""
    return int(browser.execute_script(
        "return [...document.querySelectorAll('.message:not(.private) img')]"
        ".filter(i => i.complete && i.naturalWidth > 0).length"))


def private_texts(browser: Any) -> str:
    return str(browser.execute_script(
        "return [...document.querySelectorAll('.private')].map(e => e.innerText).join('\\n')"))


def click_button(browser: Any, label: str) -> None:
    """Clicks the first button `label` on a message, as a member does (scrolled to it)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    def attempt() -> bool:
        try:
            button = next(b for b in browser.find_elements(By.CSS_SELECTOR, "#messages button")
                          if b.text == label)
            browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
            button.click()
        except (StopIteration, StaleElementReferenceException):
            return False  # not drawn yet, or redrawn meanwhile: look again
        return True

    wait(browser, attempt, f"{label} button to click")


def send(browser: Any, prompt: str, **options: str) -> None:
    from selenium.webdriver.common.by import By

    field = browser.find_element(By.ID, "prompt")
    field.clear()
    field.send_keys(prompt)
    for name, value in options.items():
        option = browser.find_element(By.NAME, name)
        option.clear()
        option.send_keys(value)
    browser.find_element(By.ID, "send").click()


def test_imagine_reroll_and_refusals_through_the_page(
    browser: Any, demo_url: str, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(demo_url)
    wait(browser, lambda: browser.find_elements(By.NAME, "seed"), "form with a seed option")

    send(browser, PROMPT, seed="7")
    wait(browser, lambda: public_images(browser) == 1, "result image")
    # The prompt is shown as the text it is, not as markup (the bot puts a zero-width
    # space after each `<`, which Discord shows as nothing).
    messages = browser.find_element(By.ID, "messages")
    assert PROMPT in messages.text.replace("\u200b", "")
    assert messages.find_elements(By.CSS_SELECTOR, "b") == []
    assert len(messages.find_elements(By.CSS_SELECTOR, "img")) == 1
    # The embed's fields and the private last word may be drawn a moment after the image.
    wait(browser, lambda: "Seed" in browser.find_element(By.ID, "messages").text
         and "Done" in private_texts(browser), "seed field and last word")
    shot = tmp_path / "demo.png"
    browser.save_screenshot(str(shot))
    with Image.open(shot) as picture:
        assert picture.format == "PNG" and picture.size[0] >= 800
        if target := os.environ.get("FLUXCORD_DEMO_SCREENSHOT"):
            # 64 colours keep the README's picture small and still sharp.
            small = picture.convert("RGB").quantize(colors=64)
            small.save(target, optimize=True)

    click_button(browser, "Reroll")
    wait(browser, lambda: public_images(browser) == 2, "second result after Reroll")
    error = browser.find_element(By.ID, "error")
    click_button(browser, "Edit")  # a Discord form: the page says it cannot show it
    wait(browser, lambda: "opens a form" in error.text, "word that Edit opens a form")

    send(browser, "a forbidden tower")
    wait(browser, lambda: "refused" in private_texts(browser), "refusal by the blocklist")
    assert error.text == ""
    assert "forbidden" in private_texts(browser)
    assert public_images(browser) == 2

    send(browser, "a quiet harbour", steps="999")
    wait(browser, lambda: "outside" in error.text, "refusal of steps out of range")
    assert public_images(browser) == 2
