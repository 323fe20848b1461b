"""Evaluation through the hub in a real browser (headless Chromium): a member signs in, uploads a model archive,
starts an evaluation from the model's page, watches the job's progress on the jobs page and finds the result on
the leaderboard; the server's own worker runs the job in a process of its own."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from benchhub import Hub
from benchhub.config import HubConfig
from benchhub.evaluation.job_process import FAULT_VARIABLE
from tests.browser_support import browser, live_server
from tests.conftest import review_rows, write_jsonl

pytestmark = pytest.mark.browser


def test_a_member_uploads_a_model_evaluates_it_and_watches_the_job_reach_the_leaderboard(tmp_path: Path, tiny_bert,
                                                                                         monkeypatch):
    monkeypatch.setenv(FAULT_VARIABLE, "sleep:3")  # the job's process takes a few seconds, so its progress shows
    home = tmp_path / "hub"
    config = HubConfig(home=home, database_url=f"sqlite:///{home / 'hub.db'}")
    with Hub(config) as hub:
        hub.add_dataset("open", id_column="id", splits={
            "train": write_jsonl(tmp_path / "train.jsonl", review_rows(40, seed=1, prefix="train")),
            "test": write_jsonl(tmp_path / "test.jsonl", review_rows(30, seed=3, prefix="test"))})
        hub.create_user("alice")
        token = hub.create_token("alice")[1]
    archive = tmp_path / "my-bert.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as packed:
        for path in sorted(tiny_bert.iterdir()):
            packed.write(path, f"my-bert/{path.name}")
    with live_server(config) as url, browser() as chromium:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url + "/signin")
        page.fill("#token", token)
        with page.expect_navigation():
            page.click("button:has-text('Sign in')")
        page.click("nav a:has-text('Jobs')")
        assert "No evaluation jobs yet." in page.inner_text("#jobs")
        page.click("a:has-text('Upload a model or a dataset')")
        page.fill("#model-name", "my-bert")
        page.set_input_files("#model-file", str(archive))
        with page.expect_navigation():
            page.click("button:has-text('Upload the model')")
        assert page.url == url + "/models/my-bert"
        assert "Registered model my-bert (transformers)." in page.inner_text("main")
        with page.expect_navigation():
            page.click("a:has-text('Evaluate this model on a dataset')")
        assert page.eval_on_selector("#models", "select => [...select.selectedOptions].map(o => o.value)") == ["my-bert"]
        page.select_option("#datasets", ["open"])
        with page.expect_navigation():
            page.click("button:has-text('Evaluate')")
        assert "/jobs?batch=" in page.url and "Queued 1 evaluation job(s)." in page.inner_text("main")
        # The page follows the job by itself: running with its progress, then done with a link to the result.
        page.wait_for_selector("tr[data-state='running'] progress", timeout=60_000)
        page.wait_for_selector("tr[data-state='done'] a:has-text('evaluation')", timeout=120_000)
        with page.expect_navigation():
            page.click("tr[data-state='done'] a:has-text('evaluation')")
        assert "my-bert" in page.inner_text("main")
        page.goto(url + "/leaderboards/open")
        assert "my-bert" in page.locator("#leaderboard tbody").all_inner_texts()[0]
