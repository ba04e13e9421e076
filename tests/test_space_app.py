"""The Explorer Space against the local Hub: inference, the running app (gradio_client, a real browser, 100
concurrent requests), `space push` and `space run` end to end.

One tiny release (toy dataset, MarketBERT trained for a few steps, two TwinTransition heads) is published once for
the module; the app is launched once and shared.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from gradio_client import Client  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

from explorer.history import format_filing, parse_filing, parse_history  # noqa: E402
from explorer.inference import Explorer, class_relatedness  # noqa: E402
from explorer.publish import push_space  # noqa: E402
from explorer.runner import SpaceRunError, download_space  # noqa: E402
from explorer.ui import TWIN_EXAMPLES, build_demo  # noqa: E402
from marketbert import baselines  # noqa: E402
from marketbert.surprisal import filing_surprisal  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = REPO_ROOT / "test-artifacts" / "space-screenshot.png"
HISTORIES = [
    "2015-04-01 | 9, 42 | computer software; cloud computing\n2016-02-01 | 9 | computer software",
    "2001-01-01 | 30, 31 | coffee\n2003-05-05 | 30 | tea\n2004-01-01 | 32 | beer",
    "2010-10-10 | 25 | clothing",
    "2012-01-01 | 3, 5 | soap\n2012-06-01 | 5, 10 | pharmaceuticals\n2013-01-01 | 44 | medical services",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def release(toy_release):
    return toy_release


@pytest.fixture(scope="module")
def explorer(release, tmp_path_factory) -> Explorer:
    return Explorer.from_hub(release, device="cpu", cache_dir=str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="module")
def app_url(explorer):
    demo = build_demo(explorer=explorer, max_batch_size=16)
    port = _free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture(scope="module")
def client(app_url) -> Client:
    return Client(app_url, verbose=False)


# -- inference, called directly ----------------------------------------------------------------------------------
def test_forecast_ranks_classes_and_items(explorer):
    history = parse_history(HISTORIES[0])
    [forecast] = explorer.forecast([history], top_k=7)
    probabilities = [c.probability for c in forecast.classes]
    assert len(forecast.classes) == len(forecast.density_ranking) == len(forecast.items) == 7
    assert probabilities == sorted(probabilities, reverse=True) and all(0 < p < 1 for p in probabilities)
    densities = [c.density for c in forecast.density_ranking]
    assert densities == sorted(densities, reverse=True)
    assert {c.nice_class for c in forecast.classes if c.in_history} <= {9, 42}
    assert all(c.in_history == (c.nice_class in {9, 42}) for c in forecast.density_ranking)
    vocabulary = {t[len("ITEM_") :].replace("_", " ") for t in explorer.encoder.vocab.items}
    assert {term for term, _ in forecast.items} <= vocabulary
    assert forecast.n_filings == 2


def test_batched_forecast_equals_one_request_at_a_time(explorer):
    histories = [parse_history(h) for h in HISTORIES]
    batched = explorer.forecast(histories, top_k=45)
    for history, together in zip(histories, batched, strict=True):
        [alone] = explorer.forecast([history], top_k=45)
        assert [c.nice_class for c in alone.classes] == [c.nice_class for c in together.classes]
        np.testing.assert_allclose(
            [c.probability for c in alone.classes], [c.probability for c in together.classes], rtol=1e-4, atol=1e-6
        )


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU on this machine (the CPU path is tested above)")
def test_gpu_gives_the_cpu_results(explorer, release, tmp_path):
    on_gpu = Explorer.from_hub(release, device="cuda", cache_dir=str(tmp_path))
    assert on_gpu.device.type == "cuda"
    histories = [parse_history(h) for h in HISTORIES]
    for cpu, gpu in zip(explorer.forecast(histories, top_k=45), on_gpu.forecast(histories, top_k=45), strict=True):
        np.testing.assert_allclose(
            sorted((c.nice_class, c.probability) for c in cpu.classes),
            sorted((c.nice_class, c.probability) for c in gpu.classes),
            atol=1e-4,
        )
    np.testing.assert_allclose(
        [list(p.values()) for p in explorer.twin_probabilities(["solar panels", "software"])],
        [list(p.values()) for p in on_gpu.twin_probabilities(["solar panels", "software"])],
        atol=1e-4,
    )


def test_density_baseline_matches_the_proximity_of_the_train_firms(explorer, release):
    import datasets

    train = datasets.load_dataset(release.dataset_repo, "sequences", split="train")
    incidence = np.zeros((len(train), 45), dtype=bool)
    for row, firm in enumerate(train):
        for filing in firm["filings"]:
            for c in filing["nice_classes"]:
                incidence[row, c - 1] = True
    phi = baselines.proximity(incidence)
    np.testing.assert_allclose(class_relatedness(train)[0], phi)
    [forecast] = explorer.forecast([parse_history("2019-01-01 | 30, 31")], top_k=45)
    total = phi.sum(axis=0)  # density of every class given classes {30, 31}; 0 for a class related to nothing
    expected = np.divide(phi[29] + phi[30], total, out=np.zeros(45), where=total > 0)
    got = {c.nice_class: c.density for c in forecast.density_ranking}
    np.testing.assert_allclose([got[j + 1] for j in range(45)], expected, atol=1e-6)


def test_surprisal_matches_marketbert_and_lists_unknown_terms(explorer):
    history = parse_history(HISTORIES[1])
    candidate = parse_filing("2005-01-01 | 30, 43 | product 30 variant 0; unheard-of gadget")
    [result] = explorer.surprisal([history], [candidate])
    expected = filing_surprisal(explorer.model, explorer.encoder, [*history, candidate])
    assert result.surprisal == pytest.approx(expected, rel=1e-5)
    labels = [label for label, _ in result.tokens]
    assert labels[:2] == ["30 Coffee, flour, bakery, confectionery", "43 Food and drink services, accommodation"]
    assert result.unscored_terms == ["unheard-of gadget"]
    assert "product 30 variant 0" in labels


def test_twin_probabilities_follow_the_heads(explorer):
    green, digital = explorer.twin_probabilities(["solar panels", "computer software"])
    assert green["green"] > digital["green"] and digital["digital"] > green["digital"]
    clf = explorer.twin["green"]
    assert green["green"] == pytest.approx(float(clf.item_proba(["solar panels"])[0]), abs=1e-6)  # one item: its p


def test_twin_explanations_score_every_item_and_skip_non_english(explorer):
    text = "solar panels; wind turbines; clothing; footwear; beer; chocolate"
    [explained, german] = explorer.twin_explanations([text, "Sonnenkollektoren für die Erzeugung von Strom und Wärme"])
    assert [i.item for i in explained.items] == text.split("; ")
    for label, clf in explorer.twin.items():
        probs = clf.item_proba(text.split("; "))
        assert [i.probs[label] for i in explained.items] == pytest.approx(probs.tolist())
        assert explained.decisions[label] == clf.decision.decide(probs)
        assert explained.scores[label] == pytest.approx(clf.decision.score(probs))
    assert german.unscored.startswith("not English") and german.scores == {"green": None, "digital": None}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda e: e.forecast([[]]), "History #0 is empty"),
        (lambda e: e.forecast([parse_history("2019-01-01 | 9")], top_k=0), "top_k must be between 1 and 45"),
        (lambda e: e.twin_probabilities(["   "]), "Text #1 is empty"),
        (lambda e: e.twin_probabilities(["x" * 6000]), r"Text #1 is too long \(6000 characters; at most 5000\)"),
        (
            lambda e: e.surprisal([parse_history("2019-01-01 | 9")], [parse_filing("2018-01-01 | 9")]),
            "dated before the last filing",
        ),
        (lambda e: e.example_history("No Such Firm"), "Unknown example firm 'No Such Firm'"),
    ],
)
def test_inference_rejects_bad_input(explorer, call, message):
    with pytest.raises(ValueError, match=message):
        call(explorer)


# -- the running app through gradio_client -----------------------------------------------------------------------
def test_every_endpoint_answers(client, explorer):
    api = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert set(api) == {"/next_products", "/surprisal", "/twin_transition", "/example_firm"}

    name = next(iter(explorer.examples))
    history, candidate = client.predict(name, api_name="/example_firm")
    filings = explorer.examples[name]["filings"]
    assert candidate == format_filing(filings[-1]) and len(history.splitlines()) == len(filings) - 1

    chart, classes, density, items, status = client.predict(history, 5, api_name="/next_products")
    [expected] = explorer.forecast([parse_history(history)], top_k=5)
    assert [row[1] for row in classes["data"]] == [c.nice_class for c in expected.classes]
    assert [row[3] for row in classes["data"]] == [round(c.probability, 4) for c in expected.classes]
    assert [row[1] for row in density["data"]] == [c.nice_class for c in expected.density_ranking]
    assert [row[1] for row in items["data"]] == [t for t, _ in expected.items]
    assert [row[0][:2] for row in chart["data"]] == [f"{c.nice_class:02d}" for c in expected.classes]
    assert f"**{expected.classes[0].nice_class:02d} {expected.classes[0].heading}**" in status

    text, tokens = client.predict(history, candidate, api_name="/surprisal")
    [score] = explorer.surprisal([parse_history(history)], [parse_filing(candidate)])
    assert f"**{score.surprisal:.3f} nats**" in text and len(tokens["data"]) == len(score.tokens)

    green, digital, items, table, note = client.predict(
        "Class 9: solar panels; computer software; clothing.", api_name="/twin_transition"
    )
    [expected_twin] = explorer.twin_explanations(["Class 9: solar panels; computer software; clothing."])
    assert green == pytest.approx(expected_twin.scores["green"], abs=1e-4)
    assert digital == pytest.approx(expected_twin.scores["digital"], abs=1e-4)
    assert [row[0] for row in table["data"]] == ["solar panels", "computer software", "clothing"]
    assert [row[1] for row in table["data"]] == [round(i.probs["green"], 4) for i in expected_twin.items]
    highlighted = [(part["token"], part["class_or_confidence"]) for part in items]
    assert [token for token, _ in highlighted] == ["solar panels", "; ", "computer software", "; ", "clothing"]
    for item, (_, category) in zip(expected_twin.items, highlighted[::2], strict=True):
        assert category == (" + ".join(label for label in ("green", "digital") if item.counted[label]) or None)
    assert "items count; needs" in note and ("**green**" in note or "**not green**" in note)
    _, _, items, table, note = client.predict(
        "Sonnenkollektoren; Windkraftanlagen für die Erzeugung von Strom und Wärme", api_name="/twin_transition"
    )
    assert note.startswith("**Unknown:** not English") and table["data"] == [] and items == []


@pytest.mark.parametrize(
    ("args", "api_name", "message"),
    [
        (("2019-03-01 | 46 | x", 5), "/next_products", "Line 1: unknown Nice class 46"),
        (("2019-02-30 | 9", 5), "/next_products", "Line 1: cannot read the date '2019-02-30'"),
        (("", 5), "/next_products", "The history is empty"),
        (("2019-03-01 | 9 | " + "software " * 3000, 5), "/next_products", "The history is too long"),
        (("2019-03-01 | 9", 99), "/next_products", "Value 99 is greater than maximum value 45"),
        (("2019-03-01 | 9", "2018-01-01 | 9"), "/surprisal", "dated before the last filing"),
        (("2019-03-01 | 9", ""), "/surprisal", "The candidate filing is empty"),
        (("",), "/twin_transition", "The goods/services text is empty"),
        (("x" * 5001,), "/twin_transition", r"The goods/services text is too long \(5001 characters; at most 5000\)"),
        (("Nobody",), "/example_firm", "Value: Nobody is not in the list of choices"),
    ],
)
def test_bad_input_gets_a_clear_error(client, args, api_name, message):
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name=api_name)


def test_100_concurrent_requests_are_batched_without_errors(app_url, explorer, monkeypatch):
    calls = []
    forecast = explorer.forecast

    def counting_forecast(histories, top_k=10):
        calls.append(len(histories))
        return forecast(histories, top_k)

    monkeypatch.setattr(explorer, "forecast", counting_forecast)
    expected = {h: [c.nice_class for c in forecast([parse_history(h)], top_k=3)[0].classes] for h in HISTORIES}
    client = Client(app_url, verbose=False)
    requests = [HISTORIES[i % len(HISTORIES)] for i in range(100)]
    with ThreadPoolExecutor(max_workers=100) as pool:
        results = list(pool.map(lambda h: client.predict(h, 3, api_name="/next_products"), requests))
    for history, (_, classes, _, _, status) in zip(requests, results, strict=True):
        assert status.startswith("Read"), status
        assert [row[1] for row in classes["data"]] == expected[history]
    assert sum(calls) == 100 and len(calls) < 100, f"not batched: {calls}"


def test_a_bad_request_does_not_fail_its_batch(app_url):
    client = Client(app_url, verbose=False)
    requests = [HISTORIES[0]] * 15 + ["2019-03-01 | 77"]
    with ThreadPoolExecutor(max_workers=16) as pool:
        jobs = [pool.submit(client.predict, h, 3, api_name="/next_products") for h in requests]
    for job in jobs[:-1]:
        assert job.result()[4].startswith("Read")
    try:  # alone in its batch it raises; batched with good requests its status carries the message
        status = jobs[-1].result()[4]
    except AppError as err:
        status = str(err)
    assert "unknown Nice class 77" in status


# -- a real browser ------------------------------------------------------------------------------------------------
def test_browser_enters_a_history_and_reads_the_forecast(app_url, explorer):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (/usr/bin/chromium): run `apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright

    [expected] = explorer.forecast([parse_history(HISTORIES[0])], top_k=10)
    top = f"{expected.classes[0].nice_class:02d} {expected.classes[0].heading}"
    candidate = "2017-01-01 | 9, 42 | computer software"
    [surprisal] = explorer.surprisal([parse_history(HISTORIES[0])], [parse_filing(candidate)])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            page.goto(app_url, wait_until="domcontentloaded")
            page.locator("#status").get_by_text("Worked example").wait_for(timeout=30_000)  # the on-load forecast
            page.locator("#history textarea").fill(HISTORIES[0])
            page.locator("#predict").click()
            status = page.locator("#status")
            status.get_by_text("Most likely class").wait_for(timeout=30_000)
            assert top in status.inner_text()
            table = page.locator("#classes-table")
            table.get_by_text(expected.classes[1].heading).filter(visible=True).first.wait_for(timeout=10_000)
            assert expected.classes[0].heading in table.inner_text()
            page.locator("#history textarea").fill("2019-03-01 | 46")
            page.locator("#predict").click()
            page.get_by_text("unknown Nice class 46").first.wait_for(timeout=10_000)
            page.reload(wait_until="domcontentloaded")  # a fresh page for the screenshot, no error toast
            page.locator("#status").get_by_text("Worked example").wait_for(timeout=30_000)
            page.locator("#history textarea").fill(HISTORIES[0])
            page.locator("#predict").click()
            status.get_by_text("Most likely class").wait_for(timeout=30_000)
            page.locator("#candidate textarea").fill(candidate)
            page.locator("#score").click()
            page.locator("#surprisal").get_by_text("nats").wait_for(timeout=30_000)
            assert f"Surprisal: {surprisal.surprisal:.3f} nats" in page.locator("#surprisal").inner_text()
            page.wait_for_timeout(500)  # let the chart finish drawing
            SCREENSHOT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()
    assert SCREENSHOT.stat().st_size > 10_000


# Every visible header and body cell of a table lies inside the table's viewport, and nothing scrolls sideways.
CLIPPED_CELLS = """id => {
    const table = document.querySelector(id);
    const viewport = table.querySelector('.virtual-table-viewport') || table;
    const right = viewport.getBoundingClientRect().right + 1;
    const cells = Array.from(table.querySelectorAll('th, .body-cell')).filter(c => !c.closest('.sizing-body'));
    const clipped = cells.filter(c => c.getBoundingClientRect().width > 0 && c.getBoundingClientRect().right > right);
    return {cells: cells.length, clipped: clipped.map(c => c.innerText.trim()),
            scrolls: viewport.scrollWidth > viewport.clientWidth + 1};
}"""


@pytest.mark.parametrize(("width", "name"), [(1280, "space-on-load-1280.png"), (390, "space-on-load-phone.png")])
def test_the_space_opens_with_a_worked_example_that_fits_the_screen(app_url, explorer, width, name):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (/usr/bin/chromium): run `apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright

    first = next(iter(explorer.examples))
    history, _ = explorer.example_history(first)
    [expected] = explorer.forecast([parse_history(history)], top_k=10)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 1400})
            page.goto(app_url, wait_until="domcontentloaded")  # nothing typed, nothing clicked
            status = page.locator("#status")
            status.get_by_text("Worked example").wait_for(timeout=30_000)
            assert first in status.inner_text() and expected.classes[0].heading in status.inner_text()
            assert page.locator("#history textarea").input_value() == history
            table = page.locator("#classes-table")
            table.get_by_text(expected.classes[1].heading).filter(visible=True).first.wait_for(timeout=10_000)
            page.get_by_text("One filing per line").first.wait_for()  # the syntax, next to the box
            page.wait_for_timeout(500)  # let the chart finish drawing
            for table_id in ("#classes-table", "#density-table", "#items-table"):
                fit = page.evaluate(CLIPPED_CELLS, table_id)
                assert fit["cells"] > 0 and fit["clipped"] == [] and not fit["scrolls"], (width, table_id, fit)
            (REPO_ROOT / "test-artifacts").mkdir(exist_ok=True)
            page.screenshot(path=str(REPO_ROOT / "test-artifacts" / name), full_page=True)
        finally:
            browser.close()


def test_the_twin_tab_offers_a_green_a_digital_and_a_neither_example(app_url):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (/usr/bin/chromium): run `apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(app_url, wait_until="domcontentloaded")
            page.get_by_role("tab", name="Twin transition").click()
            for label, example in zip(("green", "digital", "neither"), TWIN_EXAMPLES, strict=True):
                page.get_by_role("button", name=label, exact=True).first.click()
                page.wait_for_function(
                    "text => document.querySelector('#twin-text textarea').value === text", arg=example
                )
                assert page.locator("#twin-text textarea").input_value() in TWIN_EXAMPLES
            # Classify the green example: its items appear highlighted, with the verdict next to them.
            page.get_by_role("button", name="green", exact=True).first.click()
            page.get_by_role("button", name="Classify").click()
            page.locator("#twin-items").get_by_text("wind turbines for generating electricity").first.wait_for()
            page.locator("#twin-note").get_by_text("items count; needs").first.wait_for()
            page.locator("#twin-items-table").get_by_text("Photovoltaic solar modules").first.wait_for()
        finally:
            browser.close()


# -- publishing and running the Space as hosted --------------------------------------------------------------------
def test_push_space_publishes_tags_and_is_idempotent(hub, release):
    from huggingface_hub import SpaceCard

    space = f"{hub.namespace}/explorer-{uuid.uuid4().hex[:8]}"
    kwargs = {
        "model_repo": release.model_repo,
        "twin_green_repo": release.twin_green_repo,
        "twin_digital_repo": release.twin_digital_repo,
        "dataset_repo": release.dataset_repo,
    }
    first = push_space(space, **kwargs, tag="v1.0")
    files = set(hub.api.list_repo_files(space, repo_type="space"))
    assert {"app.py", "requirements.txt", "README.md", "explorer_config.json", "explorer/ui.py"} <= files
    assert {"marketbert/inference.py", "twin_transition/head.py"} <= files
    assert not any(f.endswith((".pkl", ".pyc")) or f.startswith("hub_release/") for f in files)
    card = SpaceCard.load(space, repo_type="space").data
    assert (card.sdk, card.app_file) == ("gradio", "app.py")
    assert card.models == [release.model_repo, release.twin_green_repo, release.twin_digital_repo]
    assert card.datasets == [release.dataset_repo]
    tags = {t.name: t.target_commit for t in hub.api.list_repo_refs(space, repo_type="space").tags}
    assert tags == {"v1.0": first.commit} and first.created_commit

    assert not push_space(space, **kwargs, tag="v1.0").created_commit
    hub.api.upload_file(path_or_fileobj=b"old", path_in_repo="explorer/stale.py", repo_id=space, repo_type="space")
    third = push_space(space, **kwargs, tag="v1.1")
    assert third.created_commit and "explorer/stale.py" not in hub.api.list_repo_files(space, repo_type="space")


def test_space_run_serves_the_published_space(hub, release, explorer, tmp_path):
    space = f"{hub.namespace}/explorer-run-{uuid.uuid4().hex[:8]}"
    push_space(
        space,
        model_repo=release.model_repo,
        twin_green_repo=release.twin_green_repo,
        twin_digital_repo=release.twin_digital_repo,
        dataset_repo=release.dataset_repo,
    )
    port = _free_port()
    log = open(tmp_path / "space-run.log", "wb")
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf-home")}  # a fresh cache: everything comes from the Hub
    command = [sys.executable, "-m", "hub_release.cli", "space", "run", space, "--port", str(port)]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, (tmp_path / "space-run.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the Space did not start within 180 s"
            time.sleep(0.5)
        client = Client(url, verbose=False)
        _, classes, _, _, _ = client.predict(HISTORIES[2], 5, api_name="/next_products")
        [expected] = explorer.forecast([parse_history(HISTORIES[2])], top_k=5)
        assert [row[1] for row in classes["data"]] == [c.nice_class for c in expected.classes]
        assert [row[3] for row in classes["data"]] == [round(c.probability, 4) for c in expected.classes]
        green, *_ = client.predict("solar panels", api_name="/twin_transition")
        assert green == pytest.approx(explorer.twin_probabilities(["solar panels"])[0]["green"], abs=1e-4)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
    with pytest.raises(OSError):  # the app process stopped with the runner: nothing listens any more
        urllib.request.urlopen(url, timeout=2)


def test_space_run_refuses_a_space_that_is_not_gradio(hub, tmp_path):
    space = f"{hub.namespace}/static-{uuid.uuid4().hex[:8]}"
    hub.api.create_repo(space, repo_type="space", space_sdk="static")
    readme = b"---\ntitle: x\nsdk: static\n---\n"
    hub.api.upload_file(path_or_fileobj=readme, path_in_repo="README.md", repo_id=space, repo_type="space")
    with pytest.raises(SpaceRunError, match="sdk 'static' in its README; only Gradio Spaces can be run here"):
        download_space(space, tmp_path / "space")
