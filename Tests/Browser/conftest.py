"""The browser tests' stack and browser.

The stack is started exactly as a new user starts it: `scripts/run` in local test mode (no Stripe key),
so the pages load the stand-in's emulated Stripe.js. Only the ports and folders differ, so the tests
never collide with a stack a developer is running. The browser is Debian's chromium-headless-shell,
driven by Playwright through `executable_path`.

Environment:
  SHOP_CHROMIUM        the browser binary (default /usr/bin/chromium-headless-shell)
  SHOP_BUILD_CONFIG    passed to scripts/run (scripts/test sets debug: the build it just made)
  SHOP_SCREENSHOT_DIR  where the screenshots go (default: a temporary folder; docs/screenshots to
                       refresh the README's pictures)
"""

import os
import pathlib
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest
from playwright.sync_api import sync_playwright

from support import Stack

ROOT = pathlib.Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pytest_configure(config):
    config.addinivalue_line("markers", "http_errors(*codes): HTTP error statuses the test expects the browser to see")


@pytest.fixture(scope="session")
def stack():
    # Short paths: Unix socket paths must fit in 108 bytes.
    folder = pathlib.Path(tempfile.mkdtemp(prefix="shop-browser-", dir="/tmp"))
    gateway_port, emulator_port, admin_port = free_port(), free_port(), free_port()
    env = dict(os.environ)
    for name in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE",
                 "STRIPE_JS_URL", "EMULATOR_WEBHOOK_URL", "EMULATOR_WEBHOOK_SECRET", "PUBLIC_BASE_URL",
                 "ADMIN_TOKENS_FILE", "ADMIN_BASE_URL"):
        env.pop(name, None)
    env.update({
        "SHOP_BUILD_CONFIG": os.environ.get("SHOP_BUILD_CONFIG", "debug"),
        "SHOP_SOCKET_DIR": str(folder / "s"), "SHOP_DATA_DIR": str(folder / "d"), "SHOP_LOG_DIR": str(folder / "l"),
        "GATEWAY_PORT": str(gateway_port), "EMULATOR_PORT": str(emulator_port), "ADMIN_PORT": str(admin_port),
        "SHOP_START_TIMEOUT": "60",
        # The bank debit stays `processing` long enough for the page to show it, then settles.
        "EMULATOR_ASYNC_SETTLE_MS": "4000",
        # One address creates every order of the suite within a minute or so, faster than any customer:
        # the per-address order rate is raised so that adding a test never trips it. The caps on open
        # unpaid orders keep their defaults.
        "GATEWAY_RATE_ORDERS_PER_MINUTE": "200",
    })
    process = subprocess.Popen([str(ROOT / "scripts" / "run")], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    output: list[str] = []
    up = threading.Event()

    def read():
        for line in process.stdout:
            output.append(line)
            if "[run] press Ctrl-C to stop everything" in line:
                up.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    # scripts/run's own readiness line: every service answered its health check.
    deadline = time.monotonic() + 600
    while not up.wait(0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("scripts/run did not bring the stack up:\n" + "".join(output[-60:]))
    stack = Stack(gateway=f"http://127.0.0.1:{gateway_port}", emulator=f"http://127.0.0.1:{emulator_port}",
                  data_dir=folder / "d", log_dir=folder / "l", admin=f"http://127.0.0.1:{admin_port}")
    yield stack
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    reader.join(timeout=5)
    if process.returncode != 0:
        print("scripts/run exited with", process.returncode, "".join(output[-30:]))


@pytest.fixture(scope="session")
def browser():
    executable = os.environ.get("SHOP_CHROMIUM", "/usr/bin/chromium-headless-shell")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def screenshot_dir():
    folder = pathlib.Path(os.environ.get("SHOP_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="shop-screens-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def page(browser, stack, request):
    """A fresh browser context per test (its own sessionStorage and cookies), failing the test on any
    script error in the shop's pages or the stand-in's frames."""
    context = browser.new_context(viewport={"width": 1000, "height": 900}, locale="en-US")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    # Declines (402) and validation errors (400) are answers the pages expect; a test can expect more
    # with @pytest.mark.http_errors(401, ...).
    marker = request.node.get_closest_marker("http_errors")
    expected = {400, 402} | set(marker.args if marker else ())
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error"
           and not any(f"status of {code}" in message.text for code in expected) else None)
    yield tab
    context.close()
    assert not errors, f"script errors in {request.node.name}: {errors}"
