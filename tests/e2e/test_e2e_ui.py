"""The SignalWire connection form in headless Debian Chromium (selenium).

Airflow 3.3 (make e2e): logs in, opens Connections > Add Connection, picks SignalWire, checks the
labels and that the token input hides what is typed, fills the standard fields, saves, and reads the
connection back via REST.

Airflow 2.11 (make test-airflow2): a connection made from code with falsy extras (``max_retries`` 0,
``verify`` false) is opened in the webserver's edit form and saved unchanged; the extras must survive
(Airflow 2 prefills only truthy extras, so widget defaults used to replace them).
Screenshots land in build/e2e-screenshots/.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import (
    VENV_BIN,
    airflow,
    airflow_env,
    airflow_version,
    free_port,
    kill_group,
    shot,
    timed,
    wait_until,
)

pytestmark = pytest.mark.e2e

UI_CONN_ID = "signalwire_ui_e2e"
EXPECTED_LABELS = ["Space URL", "Project ID", "API Token", "Timeout (seconds)", "Max retries", "Verify TLS"]


def labels_in(dialog: Any) -> list[str]:
    from selenium.webdriver.common.by import By

    # textContent, not .text: labels inside collapsed accordion sections have an empty .text.
    return [
        " ".join((el.get_attribute("textContent") or "").split()).rstrip(" *")
        for el in dialog.find_elements(By.CSS_SELECTOR, "label[data-part=label]")
    ]


def click_section(driver: Any, dialog: Any, title: str) -> None:
    from selenium.webdriver.common.by import By

    for el in dialog.find_elements(By.CSS_SELECTOR, "button, [role=button]"):
        if (el.get_attribute("textContent") or "").strip().startswith(title):
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", el)
            el.click()
            return
    raise AssertionError(f"no section {title!r} in the connection form")


AIRFLOW2 = airflow_version() < (3, 0)


@pytest.mark.skipif(AIRFLOW2, reason="the Airflow 3 UI; Airflow 2.11's form is tested below")
def test_connection_form_in_chromium(browser: Any, standalone: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser
    standalone.api("DELETE", f"/connections/{UI_CONN_ID}", ok=(204, 404))

    with timed("ui: login"):
        driver.get(f"{standalone.base_url}/")
        user = wait_until("login form", lambda: driver.find_element(By.NAME, "username"), driver)
        user.send_keys("admin")
        driver.find_element(By.NAME, "password").send_keys(standalone.password)
        submit = driver.find_element(By.CSS_SELECTOR, "button[type=submit]")
        wait_until("enabled login button", submit.is_enabled, driver)
        submit.click()
        wait_until("logged in", lambda: not driver.find_elements(By.NAME, "username"), driver)
        shot(driver, "01-logged-in")

    with timed("ui: open Add Connection and pick SignalWire"):
        driver.get(f"{standalone.base_url}/connections")

        def add_button() -> Any:
            for el in driver.find_elements(By.CSS_SELECTOR, "button"):
                if "Add Connection" in (el.get_attribute("textContent") or ""):
                    return el
            return None

        wait_until("Add Connection button", add_button, driver).click()
        dialog = wait_until("dialog", lambda: driver.find_element(By.CSS_SELECTOR, "[role=dialog]"), driver)
        wait_until(
            "connection id input", lambda: dialog.find_element(By.NAME, "connection_id"), driver
        ).send_keys(UI_CONN_ID)
        combo = dialog.find_element(By.CSS_SELECTOR, "input[role=combobox]")
        combo.click()
        combo.send_keys("SignalWire")

        def signalwire_option() -> Any:
            for el in driver.find_elements(By.CSS_SELECTOR, "div[role=option]"):
                if (el.get_attribute("textContent") or "").strip() == "SignalWire":
                    return el
            return None

        wait_until("SignalWire option", signalwire_option, driver).click()
        wait_until("Space URL label", lambda: "Space URL" in labels_in(dialog), driver)
        shot(driver, "02-signalwire-form")

    with timed("ui: check labels, fill and save"):
        labels = labels_in(dialog)
        missing = [label for label in EXPECTED_LABELS if label not in labels]
        assert not missing, f"labels missing from the form: {missing}; form has {labels}"
        for hidden in ("Port", "Schema"):
            assert hidden not in labels, f"{hidden} should be hidden; form has {labels}"
        # The extra fields are real inputs (element_<name>) holding their defaults.
        for name in ("timeout", "max_retries", "verify"):
            assert dialog.find_elements(By.NAME, f"element_{name}"), f"no input element_{name}"

        click_section(driver, dialog, "Extra Fields")
        time.sleep(0.5)
        shot(driver, "03-extra-fields")
        click_section(driver, dialog, "Standard Fields")
        host = wait_until("host input", lambda: dialog.find_element(By.NAME, "host"), driver)
        wait_until("host input visible", host.is_displayed, driver)
        token_input = dialog.find_element(By.NAME, "password")
        assert token_input.get_attribute("type") == "password", "the API Token input shows what is typed"
        host.send_keys("https://example.signalwire.com")
        dialog.find_element(By.NAME, "login").send_keys("1a2b3c4d-0000-1111-2222-333344445555")
        token_input.send_keys("PTe2eUiSecretToken0123456789")
        assert token_input.get_attribute("type") == "password"
        shot(driver, "04-filled")

        def save_button() -> Any:
            for el in dialog.find_elements(By.CSS_SELECTOR, "button"):
                if (el.get_attribute("textContent") or "").strip() == "Save" and el.is_enabled():
                    return el
            return None

        button = wait_until("enabled Save button", save_button, driver)
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
        button.click()

        def saved() -> Any:
            stored = standalone.api("GET", f"/connections/{UI_CONN_ID}", ok=(200, 404))
            return stored if isinstance(stored, dict) and stored.get("connection_id") == UI_CONN_ID else None

        stored = wait_until("connection saved", saved, driver)
        shot(driver, "05-saved")
        body = driver.find_element(By.TAG_NAME, "body")
        body.send_keys(Keys.ESCAPE)

    assert stored["conn_type"] == "signalwire", stored
    assert stored["host"] == "https://example.signalwire.com", stored
    assert stored["login"] == "1a2b3c4d-0000-1111-2222-333344445555", stored
    assert stored["password"] == "***", stored
    assert "PTe2eUiSecretToken" not in str(stored)
    # The 3.3 UI stores conn-fields unprefixed, defaults included.
    extra = json.loads(stored.get("extra") or "{}")
    assert extra.get("timeout") in (30, "30") and extra.get("max_retries") in (3, "3"), extra
    assert str(extra.get("verify")).lower() == "true", extra


# -------------------------------------------------------------------------------- Airflow 2.11

FALSY_CONN_ID = "signalwire_falsy_extras"
FALSY_EXTRA = {"timeout": 0.5, "max_retries": 0, "verify": False}


@pytest.fixture(scope="module")
def webserver2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Airflow 2.11's webserver on 127.0.0.1:<free port> with an admin user (whole process group ended)."""
    import requests

    home = tmp_path_factory.mktemp("airflow2-webserver-home")
    port = free_port()
    env = airflow_env(
        home,
        {
            "AIRFLOW__WEBSERVER__WEB_SERVER_HOST": "127.0.0.1",
            "AIRFLOW__WEBSERVER__WEB_SERVER_PORT": str(port),
            "AIRFLOW__WEBSERVER__WORKERS": "1",
            "AIRFLOW__WEBSERVER__SECRET_KEY": "e2e-only",
            "AIRFLOW__WEBSERVER__WTF_CSRF_ENABLED": "False",
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            # Basic auth for /api/v1 too (test_e2e_tokens.py writes connections through it).
            "AIRFLOW__API__AUTH_BACKENDS": "airflow.providers.fab.auth_manager.api.auth.backend.basic_auth,"
            "airflow.providers.fab.auth_manager.api.auth.backend.session",
        },
    )
    with timed("ui2: db migrate + admin user"):
        assert airflow("db", "migrate", env=env, timeout=180).returncode == 0
        created = airflow(
            "users",
            "create",
            "--username",
            "admin",
            "--password",
            "admin",
            "--role",
            "Admin",
            "--email",
            "admin@example.com",
            "--firstname",
            "E2E",
            "--lastname",
            "Admin",
            env=env,
        )
        assert created.returncode == 0, str(created)
    log_path = home / "webserver.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [str(VENV_BIN / "airflow"), "webserver"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        with timed("ui2: webserver start until healthy"):
            deadline = time.monotonic() + 120
            while True:
                assert proc.poll() is None, f"webserver exited:\n{_tail(log_path)}"
                try:
                    if requests.get(f"{base_url}/health", timeout=3).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline, f"webserver not healthy:\n{_tail(log_path)}"
                time.sleep(1)
        yield {"base_url": base_url, "env": env, "home": home}
    finally:
        with timed("ui2: webserver stop"):
            kill_group(proc, grace=10)


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stored_extra(env: dict[str, str], conn_id: str) -> dict[str, Any]:
    """The connection's Extra as stored in the metadata DB (read in a child process of the same venv)."""
    code = (
        "import sys; from airflow.models import Connection; from airflow.settings import Session; "
        "print(Session().query(Connection).filter_by(conn_id=sys.argv[1]).one().extra)"
    )
    result = subprocess.run(
        [str(VENV_BIN / "python"), "-c", code, conn_id], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1] or "{}")


@pytest.mark.skipif(not AIRFLOW2, reason="Airflow 2.11's Flask form; the Airflow 3 form is tested above")
def test_airflow2_edit_keeps_falsy_extras(browser: Any, webserver2: dict[str, Any]) -> None:
    from selenium.webdriver.common.by import By

    driver, base_url, env = browser, webserver2["base_url"], webserver2["env"]
    conn = {
        "conn_type": "signalwire",
        "host": "example.signalwire.com",
        "login": "1a2b3c4d-0000-1111-2222-333344445555",
        "password": "PTe2eUiSecretToken0123456789",
        "extra": FALSY_EXTRA,
    }
    airflow("connections", "delete", FALSY_CONN_ID, env=env)
    added = airflow("connections", "add", FALSY_CONN_ID, "--conn-json", json.dumps(conn), env=env)
    assert added.returncode == 0, str(added)

    with timed("ui2: login"):
        driver.get(f"{base_url}/login/")
        wait_until("login form", lambda: driver.find_element(By.NAME, "username"), driver).send_keys("admin")
        driver.find_element(By.NAME, "password").send_keys("admin")
        driver.find_element(By.CSS_SELECTOR, "input[type=submit], button[type=submit]").click()
        wait_until("logged in", lambda: not driver.find_elements(By.NAME, "username"), driver)

    with timed("ui2: open the connection's edit form"):
        driver.get(f"{base_url}/connection/list/?_flt_0_conn_id={FALSY_CONN_ID}")
        edit = wait_until(
            "edit link", lambda: driver.find_element(By.CSS_SELECTOR, "a[href*='/connection/edit/']"), driver
        )
        driver.get(edit.get_attribute("href"))
        field = wait_until(
            "max_retries input", lambda: driver.find_element(By.ID, "extra__signalwire__max_retries"), driver
        )
        shot(driver, "a2-01-edit-form")
        shown = {
            name: driver.find_element(By.ID, f"extra__signalwire__{name}").get_attribute("value")
            for name in FALSY_EXTRA
        }
        placeholder = field.get_attribute("placeholder")

    assert shown == {"timeout": "0.5", "max_retries": "0", "verify": "false"}, shown
    assert placeholder == "3 (default)", placeholder

    with timed("ui2: save unchanged and read back"):
        driver.find_element(By.ID, "password").send_keys(conn["password"])  # Airflow 2 never prefills it
        save = driver.find_element(
            By.CSS_SELECTOR, "form#model_form button[type=submit], form#model_form input[type=submit]"
        )
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", save)
        save.click()
        wait_until("back on the list", lambda: "/connection/list" in driver.current_url, driver)
        shot(driver, "a2-02-saved")
        extra = _stored_extra(env, FALSY_CONN_ID)

    assert str(extra.get("max_retries")) == "0", extra
    assert str(extra.get("verify")).lower() == "false", extra
    assert float(extra.get("timeout")) == 0.5, extra
