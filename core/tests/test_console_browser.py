"""The operator console and the API docs in a real browser (issue 8, item 12): Selenium driving Debian's chromium.

A staff user signs in to /admin/, finds a tenant, suspends it (its members are locked out of the API), opens a
failed post and retries it; then /api/docs/ renders the operations. Every page is screenshotted into the CI log
folder (`CI_SCREENSHOT_DIR`, default var/ci-screenshots). Skipped, with the reason, where no browser can run:
`.ci/run` installs `chromium` and `chromium-driver` with apt-get when they are missing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from contentplanner.models import Post, PostState
from contentplanner.tests.factories import PostFactory
from core import tenancy
from social.tests.factories import ChannelFactory
from tenants.models import Tenant, TenantStatus, User
from tenants.roles import Role
from tenants.tokens import start_session

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (requirements-dev.txt)")
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
SCREENSHOTS = Path(os.environ.get("CI_SCREENSHOT_DIR", Path(settings.BASE_DIR) / "var" / "ci-screenshots"))
STAFF_EMAIL, STAFF_PASSWORD = "operator@hubbub.local", "operator-pass-2026!"

pytestmark = [
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER),
        reason="no chromium/chromedriver on PATH (apt-get install chromium chromium-driver; .ci/run does)",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1366,1000"):
        options.add_argument(argument)
    try:
        driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)
    except WebDriverException as exc:  # a browser that cannot start here is an environment limit, not a failure
        pytest.skip(f"chromium could not start: {str(exc).splitlines()[0]}")
    driver.implicitly_wait(5)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def shot(driver, name: str) -> None:
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def wait_for(driver, css: str, timeout: float = 15):
    return WebDriverWait(driver, timeout).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))


def run_action(driver, action: str, pk) -> None:
    driver.find_element(By.CSS_SELECTOR, f'input[name="_selected_action"][value="{pk}"]').click()
    Select(driver.find_element(By.NAME, "action")).select_by_value(action)
    driver.find_element(By.CSS_SELECTOR, 'button[name="index"]').click()
    wait_for(driver, "ul.messagelist")


def test_staff_suspends_a_tenant_and_retries_a_failed_post(browser, live_server, tenant, other_tenant, make_member):
    User.objects.create_superuser(STAFF_EMAIL, STAFF_PASSWORD)
    member = make_member(tenant, Role.EDITOR)
    token = start_session(member).access_token
    api = httpx.Client(base_url=f"{live_server.url}/api/v1", headers={"Authorization": f"Bearer {token}"})
    assert api.get("/me").status_code == 200
    failed = PostFactory(channel=ChannelFactory(tenant=other_tenant), state=PostState.FAILED, error_code="NETWORK_DOWN")

    browser.get(f"{live_server.url}/admin/")
    browser.find_element(By.NAME, "username").send_keys(STAFF_EMAIL)
    browser.find_element(By.NAME, "password").send_keys(STAFF_PASSWORD)
    shot(browser, "01-admin-login")
    browser.find_element(By.CSS_SELECTOR, 'input[type="submit"]').click()
    wait_for(browser, "#content-main")
    shot(browser, "02-admin-index")

    # Find the tenant with the changelist search, then suspend it with the action.
    browser.get(f"{live_server.url}/admin/tenants/tenant/")
    search = browser.find_element(By.ID, "searchbar")
    search.send_keys(tenant.name)
    search.submit()
    wait_for(browser, "#result_list")
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 1 and tenant.name in rows[0].text
    shot(browser, "03-tenant-search")
    run_action(browser, "suspend", tenant.pk)
    assert "suspended" in browser.find_element(By.CSS_SELECTOR, "ul.messagelist").text
    shot(browser, "04-tenant-suspended")
    assert Tenant.objects.get(pk=tenant.pk).status == TenantStatus.SUSPENDED

    # Its users are locked out: their tokens stop working.
    locked = api.get("/me")
    assert locked.status_code == 401 and locked.json()["error"]["code"] == "TENANT_INACTIVE"

    # A failed post of another tenant: open it, then retry it from the list.
    browser.get(f"{live_server.url}/admin/contentplanner/post/{failed.pk}/change/")
    wait_for(browser, "#post_form")
    assert "failed" in browser.find_element(By.CSS_SELECTOR, ".field-state").text.lower()
    shot(browser, "05-failed-post")
    browser.get(f"{live_server.url}/admin/contentplanner/post/?state__exact=failed")
    wait_for(browser, "#result_list")
    run_action(browser, "retry_publishing", failed.pk)
    assert "Retried: 1 post(s)." in browser.find_element(By.CSS_SELECTOR, "ul.messagelist").text
    shot(browser, "06-post-retried")
    with tenancy.platform_access():
        assert Post.all_tenants.get(pk=failed.pk).state == PostState.SCHEDULED


def test_api_docs_render_the_operations(browser, live_server):
    browser.get(f"{live_server.url}/api/docs/")

    # The sections open collapsed (hundreds of operations): every app's section is there, and opening one shows it.
    def rendered_tags(driver) -> set[str]:
        return {element.get_attribute("data-tag") for element in driver.find_elements(By.CSS_SELECTOR, ".opblock-tag")}

    WebDriverWait(browser, 60).until(
        lambda driver: {"teams", "cp", "inbox", "community", "notifications", "ads"} <= rendered_tags(driver)
    )
    browser.find_element(By.CSS_SELECTOR, '.opblock-tag[data-tag="teams"]').click()
    paths = WebDriverWait(browser, 30).until(
        lambda driver: {
            e.get_attribute("data-path") for e in driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
        }
    )
    assert "/api/v1/teams/{teamId}/channels/" in paths, paths
    shot(browser, "07-api-docs")
