"""The Dynascore sliders in a real browser (headless Chromium): moving one re-ranks the board and puts the
weights in the URL, and that URL, opened in a fresh page, shows the same ranking with the same sliders."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from benchhub import Hub
from benchhub.config import HubConfig
from tests.browser_support import browser, live_server
from tests.conftest import review_rows, write_jsonl

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path: Path):
    """`reviews` with an oracle and two baselines evaluated, and its live server."""
    home = tmp_path / "hub"
    config = HubConfig(home=home, database_url=f"sqlite:///{home / 'hub.db'}")
    with Hub(config) as hub:
        test = review_rows(24, seed=2, prefix="test")
        hub.add_dataset("reviews", splits={"train": write_jsonl(tmp_path / "train.jsonl", review_rows(40, seed=1, prefix="train")),
                                           "test": write_jsonl(tmp_path / "test.jsonl", test)}, id_column="id")
        hub.add_model("oracle", write_jsonl(tmp_path / "oracle.jsonl", [{"id": r["id"], "label": r["label"]} for r in test]))
        for model in ("oracle", "baseline:majority", "baseline:keyword"):
            hub.evaluate(model=model, dataset="reviews", progress=False)
        expected = [row.model for row in hub.leaderboard(dataset="reviews", baselines=False, progress=False).rows]
    with live_server(config) as url:
        yield url, expected


def test_a_slider_reranks_the_board_and_its_url_shares_the_ranking(served):
    url, by_metric = served
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url + "/leaderboards/reviews")
        models = page.locator("#leaderboard tbody tr td[data-column='model'] a")
        assert models.all_inner_texts() == by_metric == ["oracle", "baseline:keyword", "baseline:majority"]
        assert page.input_value("input[data-weight='metric']") == "1"  # the sliders start at the ranking shown
        with page.expect_navigation():
            page.locator("input[data-weight='size']").fill("5")  # sets the value and fires input and change, as letting go does
        query = parse_qs(urlsplit(page.url).query)
        assert query["weights"] == ["metric:1,size:5"] and query["split"] == ["test"]
        assert page.input_value("input[data-weight='size']") == "5" and page.input_value("#weights") == "metric:1,size:5"
        reranked = models.all_inner_texts()
        assert reranked == ["baseline:majority", "oracle", "baseline:keyword"]  # as the API ranks metric:1,size:5
        with page.expect_navigation():
            page.locator("input[data-weight='metric']").fill("0")
        assert parse_qs(urlsplit(page.url).query)["weights"] == ["size:5"]  # a weight of 0 leaves the URL
        assert models.all_inner_texts()[0] == "baseline:majority"  # size alone: the smallest model leads
        ranked = models.all_inner_texts()
        shared = page.get_attribute("#share-link", "href")
        fresh = chromium.new_page(viewport={"width": 375, "height": 800})
        fresh.goto(url + shared)
        assert fresh.locator("#leaderboard tbody tr td[data-column='model'] a").all_inner_texts() == ranked
        assert fresh.input_value("input[data-weight='metric']") == "0" and fresh.input_value("input[data-weight='size']") == "5"
        assert fresh.evaluate("document.documentElement.scrollWidth") <= 375  # the form fits a phone
