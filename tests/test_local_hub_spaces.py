"""Spaces hosted by the Hub: the Explorer Space started by the Hub and used through its port only (gradio_client,
100 concurrent requests, a real browser on the model page, the dataset viewer and the Space page), a killed Space
shown as an error and restarted, a push restarting it, idle and at-most-N stops, and `--no-spaces`.

The session Hub does not host Spaces; this module starts Hubs that do on the same data dir, so what the session's
clients publish is served by them too.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from local_hub.server import LocalHubProcess, SpaceOptions
from tests.helpers.echo_space import push_echo_space
from tests.helpers.hub import TEST_USER

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
HISTORY = "2015-04-01 | 9, 42 | computer software; cloud computing\n2016-02-01 | 9 | computer software"
TAG = "v0.0.1-hosted"


def _get(url: str, timeout: float = 30) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


def _runtime(endpoint: str, space: str) -> dict:
    return json.loads(_get(f"{endpoint}/api/spaces/{space}/runtime"))


def _wait_stage(endpoint: str, space: str, stage: str, timeout: float = 300, sha: str | None = None) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        runtime = _runtime(endpoint, space)
        if runtime["stage"] == stage and (sha is None or runtime["sha"] == sha):
            return runtime
        assert time.monotonic() < deadline, f"{space} is {runtime}, not {stage}"
        time.sleep(0.5)


def _space_state(hub_process: LocalHubProcess, space: str) -> dict:
    """The Space's `space.json` (pid and port of its process) in its current run folder."""
    [state] = (hub_process.data_dir / "spaces-run" / space.replace("/", "--")).glob("*/space.json")
    return json.loads(state.read_text())


def _hosting_hub(hub, **options) -> LocalHubProcess:
    return LocalHubProcess(hub.data_dir, user=TEST_USER, spaces=SpaceOptions(**options)).start()


@pytest.fixture(scope="module")
def space_hub(hub):
    process = _hosting_hub(hub, max_running=2, idle_timeout=600)
    yield process
    process.stop()


@pytest.fixture(scope="module")
def space_api(space_hub, hub):
    from huggingface_hub import HfApi

    return HfApi(endpoint=space_hub.endpoint, token=hub.token)


@pytest.fixture(scope="module")
def explorer_space(hub, space_hub, toy_release):
    """The Explorer Space serving the toy release at its tag, running on the hosting Hub."""
    from explorer.publish import push_space
    from hub_client.hub_io import tag_revision

    for repo, repo_type in [
        (toy_release.model_repo, "model"),
        (toy_release.dataset_repo, "dataset"),
        (toy_release.twin_green_repo, "model"),
        (toy_release.twin_digital_repo, "model"),
    ]:
        tag_revision(repo, TAG, hub.api.repo_info(repo, repo_type=repo_type).sha, repo_type=repo_type, api=hub.api)
    space = f"{hub.namespace}/explorer-hosted-{uuid.uuid4().hex[:6]}"
    repos = ("model_repo", "dataset_repo", "twin_green_repo", "twin_digital_repo")
    push_space(space, **{k: getattr(toy_release, k) for k in repos}, revision=TAG)
    _get(f"{space_hub.endpoint}/spaces/{space}")  # the first visit starts it
    _wait_stage(space_hub.endpoint, space, "RUNNING")
    return space


def test_gradio_client_predicts_through_the_hub(hub, space_hub, explorer_space):
    from gradio_client import Client

    config = json.loads(
        Path(hub.api.hf_hub_download(explorer_space, "explorer_config.json", repo_type="space")).read_text()
    )
    assert config["revision"] == TAG  # the Space loads the models at the release tag
    through_hub = Client(f"{space_hub.endpoint}/spaces/{explorer_space}", verbose=False)
    direct = Client(f"http://127.0.0.1:{_space_state(space_hub, explorer_space)['port']}/", verbose=False)
    _, classes, _, _, status = through_hub.predict(HISTORY, 5, api_name="/next_products")
    assert status.startswith("Read") and len(classes["data"]) == 5
    assert classes == direct.predict(HISTORY, 5, api_name="/next_products")[1]
    page = _get(f"{space_hub.endpoint}/spaces/{explorer_space}")
    assert 'id="space-stage">running<' in page and f'src="{space_hub.endpoint}/spaces/{explorer_space}/"' in page
    assert hub.token not in page


def test_100_concurrent_requests_through_the_proxy(space_hub, explorer_space):
    from gradio_client import Client

    client = Client(f"{space_hub.endpoint}/spaces/{explorer_space}", verbose=False)
    with ThreadPoolExecutor(max_workers=100) as pool:
        results = list(pool.map(lambda k: client.predict(HISTORY, k % 5 + 1, api_name="/next_products"), range(100)))
    assert [len(r[1]["data"]) for r in results] == [k % 5 + 1 for k in range(100)]


def test_browser_reads_the_model_the_dataset_and_uses_the_space(space_hub, explorer_space, toy_release):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (/usr/bin/chromium): run `make browser`")
    from playwright.sync_api import sync_playwright

    hub_url = space_hub.endpoint  # everything below goes through the Hub's port only
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(f"{hub_url}/{toy_release.model_repo}")
            assert page.locator("#card h1").first.is_visible()
            assert "MarketBERT" in page.locator("#card").inner_text()
            assert page.locator("#results tr").count() > 2  # header + the model-index metrics
            assert "Recall@5" in page.locator("#results").inner_text()
            headings = page.locator("#card h2").all_inner_texts()  # the card's sections for readers, rendered
            assert {"Training details", "Limitations", "Citation"} <= set(headings), headings
            page.screenshot(path=str(ARTIFACTS / "hub-model-page.png"), full_page=True)

            page.goto(f"{hub_url}/datasets/{toy_release.dataset_repo}/viewer/sequences/test")
            rows = page.locator("#rows tr")
            assert rows.count() == 1 + 6  # header + the 6 test firms of the toy dataset
            assert "toy-000" in rows.nth(1).inner_text() and "filings" in page.locator("#rows th").nth(4).inner_text()
            assert "rows 1–6 of 6" in page.locator("#page-range").inner_text()
            page.screenshot(path=str(ARTIFACTS / "hub-dataset-viewer.png"), full_page=True)

            page.goto(f"{hub_url}/spaces/{explorer_space}")
            assert page.locator("#space-stage").inner_text() == "running"
            app = page.frame_locator("#space-app")
            app.locator("#status").get_by_text("Worked example").wait_for(timeout=60_000)  # shown on load
            app.locator("#history textarea").fill(HISTORY)
            app.locator("#predict").click()
            app.locator("#status").get_by_text("Most likely class").wait_for(timeout=60_000)
            assert re.search(r"\*?\*?\d\d ", app.locator("#status").inner_text())
            page.wait_for_timeout(500)
            page.screenshot(path=str(ARTIFACTS / "hub-space-page.png"), full_page=True)
        finally:
            browser.close()


def test_a_killed_space_shows_its_error_and_the_next_visit_restarts_it(hub, space_hub, space_api):
    from gradio_client import Client

    space = f"{hub.namespace}/echo-{uuid.uuid4().hex[:6]}"
    commit = push_echo_space(space_api, space, "v1")  # a push starts it
    _wait_stage(space_hub.endpoint, space, "RUNNING", sha=commit)
    os.kill(_space_state(space_hub, space)["pid"], signal.SIGKILL)
    _wait_stage(space_hub.endpoint, space, "RUNTIME_ERROR")
    page = _get(f"{space_hub.endpoint}/spaces/{space}")
    assert 'id="space-stage">error<' in page and "exited with code -9" in page
    assert "echo app v1 starting; token visible: False" in page  # the log tail
    assert hub.token not in page
    again = _get(f"{space_hub.endpoint}/spaces/{space}")  # the next visit restarts it
    assert 'id="space-stage">building<' in again
    _wait_stage(space_hub.endpoint, space, "RUNNING")
    client = Client(f"{space_hub.endpoint}/spaces/{space}", verbose=False)
    assert client.predict("abc", api_name="/echo") == "v1:cba"

    commit = push_echo_space(space_api, space, "v2")  # a new commit restarts it on that commit
    _wait_stage(space_hub.endpoint, space, "RUNNING", sha=commit)
    assert Client(f"{space_hub.endpoint}/spaces/{space}", verbose=False).predict("abc", api_name="/echo") == "v2:cba"
    log = next((space_hub.data_dir / "spaces-run" / space.replace("/", "--")).glob("*/space.log")).read_text()
    assert hub.token not in log and "token visible: False" in log


def test_idle_spaces_stop_and_at_most_n_run(hub, space_api):
    from huggingface_hub import HfApi

    small = _hosting_hub(hub, max_running=1, idle_timeout=4)
    try:
        api = HfApi(endpoint=small.endpoint, token=hub.token)
        first, second = (f"{hub.namespace}/echo-{uuid.uuid4().hex[:6]}" for _ in range(2))
        _wait_stage(small.endpoint, first, "RUNNING", sha=push_echo_space(api, first, "a"))
        _wait_stage(small.endpoint, second, "RUNNING", sha=push_echo_space(api, second, "b"))
        assert _runtime(small.endpoint, first)["stage"] == "SLEEPING"  # at most one runs
        _wait_stage(small.endpoint, second, "SLEEPING", timeout=30)  # idle for 4 s
    finally:
        small.stop()


def test_a_hub_without_space_hosting_serves_no_app(hub):
    space = f"{hub.namespace}/echo-{uuid.uuid4().hex[:6]}"
    push_echo_space(hub.api, space, "off")  # to the session Hub, started with --no-spaces
    with pytest.raises(urllib.error.HTTPError) as err:
        _get(f"{hub.endpoint}/spaces/{space}/config")
    assert err.value.code == 404 and err.value.headers["X-Error-Code"] == "SpacesDisabled"
    page = _get(f"{hub.endpoint}/spaces/{space}")
    assert "space-app" not in page and "<h1>Echo</h1>" in page
    assert _runtime(hub.endpoint, space)["stage"] == "STOPPED"
