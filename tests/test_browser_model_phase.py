"""A models phase in a real browser (headless Chromium): a participant uploads a model archive on the benchmark's
page, the server's own scoring worker runs it on the hidden split, and the board shows its score with the speed
and memory the hub measured; an anonymous visitor finds no hidden input anywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchhub import Hub
from benchhub.competitions.benchmarks import PhaseSpec
from benchhub.config import HubConfig
from tests.browser_support import browser, live_server
from tests.conftest import review_rows, write_jsonl
from tests.test_model_phases import archive_of

pytestmark = pytest.mark.browser

BENCH = "sealed"


def test_a_participant_submits_a_model_sees_it_scored_with_speed_and_memory_and_nobody_sees_hidden_inputs(
        tmp_path: Path, tiny_bert):
    home = tmp_path / "hub"
    config = HubConfig(home=home, database_url=f"sqlite:///{home / 'hub.db'}")
    test, dev = review_rows(30, seed=2, prefix="test"), review_rows(10, seed=5, prefix="dev")
    archive = archive_of(tiny_bert, tmp_path / "my-model.zip")
    with Hub(config) as hub:
        hub.create_user("admin", admin=True)
        hub.create_user("alice")
        token = hub.create_token("alice")[1]
        hub.add_dataset("reviews", id_column="id", splits={"dev": write_jsonl(tmp_path / "dev.jsonl", dev),
                                                           "test": write_jsonl(tmp_path / "test.jsonl", test)})
        # Predictions files of up to 64 KiB: the archive is larger, and its phase takes models of up to 20 MB.
        hub.create_benchmark(BENCH, dataset="reviews", user="admin", settings={"max_bytes": 64 * 1024}, phases=[
            PhaseSpec("dev", "dev", labels_public=True), PhaseSpec("test", "test", takes="models", limits={"model_size_mb": 20})])
    assert archive.stat().st_size > 64 * 1024
    with live_server(config) as url, browser() as chromium:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{url}/signin?next=/benchmarks/{BENCH}")
        page.fill("#token", token)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{url}/benchmarks/{BENCH}")
        phases = page.inner_text("main")
        assert "never released: submit a model, which the hub runs on them (600 s, 4,096 MB of memory, models up to 20 MB)" in phases
        page.select_option("#phase", "test")
        page.set_input_files("#file", str(archive))
        page.fill("#method_name", "tiny bert")
        page.click("form[action$='/submit'] button[type=submit]")
        page.wait_for_selector("p.flash")
        assert "it is being scored" in page.inner_text("p.flash"), page.inner_text("p.flash")
        # The server's worker runs the model in a process of its own; reload until it is scored (bounded).
        for _ in range(240):
            if page.get_attribute("#my-submissions tbody tr", "data-status") in {"scored", "failed"}:
                break
            page.wait_for_timeout(500)
            page.reload()
        mine = page.locator("#my-submissions tbody tr").first
        assert mine.get_attribute("data-status") == "scored", mine.inner_text()
        assert mine.locator("td").all_inner_texts()[2:5] == ["test", "my-model.zip", "tiny bert"]
        board = page.locator("table[aria-label='test public ranking']")
        headings = board.locator("thead th").all_inner_texts()
        for heading in ("macro_f1", "latency ms (batch 1)", "examples/s (batch 32)", "peak memory MB"):
            assert heading in headings, headings
        (row,) = board.locator("tbody tr").all()
        cells = dict(zip(headings, row.locator("td").all_inner_texts()))
        assert "tiny bert" in cells["method (participant)"] and "alice" in cells["method (participant)"]
        with Hub(config) as hub:
            (scored,) = hub.benchmark_board(BENCH, phase="test").rows
        measured = scored.measurements
        assert measured["throughput"] > 0 and measured["latency_ms"] > 0 and measured["peak_memory_mb"] > 100
        assert cells["peak memory MB"] == f"{measured['peak_memory_mb']:,.1f}"
        assert float(cells["macro_f1"]) == pytest.approx(scored.score, abs=5e-5)
        assert float(cells["examples/s (batch 32)"].replace(",", "")) == pytest.approx(measured["throughput"], rel=1e-3)

        # An anonymous visitor: the phase's inputs are offered nowhere and served to nobody; no hidden text shows.
        anonymous = chromium.new_context().new_page()
        anonymous.goto(f"{url}/benchmarks/{BENCH}")
        text, html = anonymous.inner_text("main"), anonymous.content()
        assert "never released" in text and "Sign in to submit predictions." in text
        links = anonymous.eval_on_selector_all("a[href*='/inputs']", "links => links.map(a => a.getAttribute('href'))")
        assert links == [f"/api/benchmarks/{BENCH}/phases/dev/inputs"]
        refused = anonymous.goto(f"{url}/api/benchmarks/{BENCH}/phases/test/inputs")
        assert refused.status == 403 and "never released" in json.loads(anonymous.inner_text("body"))["error"]["message"]
        for where in (f"/benchmarks/{BENCH}", "/datasets/reviews", "/leaderboards/reviews?split=test",
                      f"/api/benchmarks/{BENCH}/board?phase=test", "/api/datasets/reviews"):
            anonymous.goto(url + where)
            shown = anonymous.content()
            for example in test:
                assert example["text"] not in shown, (where, example["id"])
        anonymous.goto(f"{url}/datasets/reviews")
        assert f"labels of reviews/test are hidden by benchmark {BENCH}" in anonymous.inner_text("main")
        assert all(example["text"] not in html for example in test)
