"""The web UI in a real browser (headless Chromium): sign in, browse and sort a leaderboard, phone width, keyboard."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchhub import Hub
from benchhub.config import HubConfig
from tests.browser_support import browser, live_server
from tests.conftest import review_rows, write_jsonl

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path: Path):
    """A hub with `reviews`, a predictions model and two baselines evaluated, user pat; and its live server."""
    home = tmp_path / "hub"
    config = HubConfig(home=home, database_url=f"sqlite:///{home / 'hub.db'}")
    with Hub(config) as hub:
        test = review_rows(24, seed=2, prefix="test")
        hub.add_dataset("reviews", splits={"train": write_jsonl(tmp_path / "train.jsonl", review_rows(40, seed=1, prefix="train")),
                                           "test": write_jsonl(tmp_path / "test.jsonl", test)}, id_column="id")
        wrong = {r["id"] for r in test[:6]}
        flip = {"positive": "negative", "negative": "positive"}
        hub.add_model("decent", write_jsonl(tmp_path / "decent.jsonl",
                                            [{"id": r["id"], "label": flip[r["label"]] if r["id"] in wrong else r["label"]} for r in test]))
        for model in ("decent", "baseline:majority", "baseline:keyword"):
            hub.evaluate(model=model, dataset="reviews", progress=False)
        hub.create_user("pat")
        token = hub.create_token("pat")[1]
        ranked = [row.model for row in hub.leaderboard(dataset="reviews", baselines=False, progress=False).rows]
    with live_server(config) as url:
        yield url, token, ranked


def test_sign_in_browse_and_sort_a_leaderboard_by_keyboard(served, tmp_path):
    url, token, ranked = served
    with browser() as chromium:
        page = chromium.new_page()
        page.goto(url + "/signin")
        page.fill("#token", token)
        page.keyboard.press("Enter")
        page.wait_for_url(url + "/")
        assert page.inner_text("nav .who") == "pat"
        page.click("text=reviews")
        page.wait_for_url(url + "/leaderboards/reviews")
        models = page.locator("#leaderboard tbody tr td:nth-child(2) a")
        assert models.all_inner_texts() == ranked and len(ranked) == 3
        # Sort by model name with the keyboard alone: focus the header button, press Enter.
        header = page.locator("#leaderboard thead th:nth-child(2) button")
        header.focus()
        page.keyboard.press("Enter")
        names = models.all_inner_texts()
        assert names == sorted(names)
        assert page.get_attribute("#leaderboard thead th:nth-child(2)", "aria-sort") == "ascending"
        page.keyboard.press("Enter")
        assert models.all_inner_texts() == sorted(names, reverse=True)
        page.screenshot(path=str(tmp_path / "leaderboard.png"), full_page=True)


def test_from_the_leaderboard_to_the_most_confident_errors_and_a_comparison_of_two_models(served, tmp_path):
    url, token, ranked = served
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url + "/signin")
        page.fill("#token", token)
        page.keyboard.press("Enter")
        page.wait_for_url(url + "/")
        page.goto(url + "/leaderboards/reviews")
        # The keyword baseline's score links to its evaluation page: metrics, per class, the confusion heatmap.
        row = page.locator("#leaderboard tbody tr", has_text="baseline:keyword")
        row.locator("td:nth-child(3) a").click()
        page.wait_for_url(re.compile(r".*/evaluations/\d+$"))
        assert "baseline:keyword" in page.inner_text("h1")
        assert page.locator("#metrics tbody tr").count() >= 3
        cells = page.locator("#confusion tbody td")
        assert cells.count() == 4 and sum(int(c) for c in cells.all_inner_texts()) == 24
        assert page.locator("#confusion td.diagonal").first.evaluate("c => getComputedStyle(c).backgroundColor") != "rgba(0, 0, 0, 0)"
        # The classic view: the most confident errors first.
        page.click("text=Most confident errors")
        page.wait_for_url(re.compile(r".*errors=true.*sort=confidence.*"))
        rows = page.locator("#example-rows tbody tr")
        assert rows.count() >= 1
        scores = [float(t) for t in page.locator("#example-rows tbody td:last-child").all_inner_texts()]
        assert scores == sorted(scores, reverse=True)
        assert all(t == "no" for t in page.locator("#example-rows tbody td:nth-child(5)").all_inner_texts())
        assert all(len(t) > 3 for t in page.locator("#example-rows tbody td:nth-child(2)").all_inner_texts())  # the texts
        page.screenshot(path=str(tmp_path / "evaluation.png"), full_page=True)
        # Compare with the predictions model, then browse where they disagree.
        page.select_option("#other", "decent")
        page.click("form[aria-label='Compare with another model'] button")
        page.wait_for_url(re.compile(r".*/compare\?.*"))
        assert "baseline:keyword" in page.inner_text("h1") and "decent" in page.inner_text("h1")
        counts = [int(c) for c in page.locator("#contingency td").all_inner_texts()]
        assert sum(counts) == 24
        disagreements = page.locator("#disagreement-rows tbody tr")
        assert disagreements.count() == counts[1] + counts[2] + _both_wrong_apart(page)
        assert "McNemar" in page.inner_text("main")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        page.screenshot(path=str(tmp_path / "compare.png"), full_page=True)
        page.set_viewport_size({"width": 375, "height": 740})  # and at phone width, tables scroll in their boxes
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.go_back()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375


def _both_wrong_apart(page) -> int:
    """Disagreements both models get wrong (with different labels: none, for two labels)."""
    texts = page.locator("#disagreement-rows tbody tr").all_inner_texts()
    return sum(1 for t in texts if t.count("✗") == 2)


def test_pages_fit_a_phone_screen(served):
    url, _, _ = served
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 375, "height": 740})
        for path in ("/", "/leaderboards/reviews", "/datasets/reviews", "/models", "/signin", "/evaluations/1"):
            page.goto(url + path)
            # The page itself never scrolls sideways; wide tables scroll inside their own box.
            assert page.evaluate("document.documentElement.scrollWidth") <= 375, path


def test_submit_a_file_watch_it_scored_and_see_nothing_hidden(tmp_path):
    from tests.fixtures.benchmarks import BENCHMARK, make_benchmark

    home = tmp_path / "bench-hub"
    config = HubConfig(home=home, database_url=f"sqlite:///{home / 'hub.db'}")
    with Hub(config) as hub:
        setup = make_benchmark(hub, tmp_path / "files")
        token = hub.create_token("alice")[1]
        predictions = setup.predictions("alice.jsonl", wrong={setup.test_rows[0]["id"]})
    with live_server(config) as url, browser() as chromium:
        page = chromium.new_page()
        page.goto(f"{url}/signin?next=/benchmarks/{BENCHMARK}")
        page.fill("#token", token)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{url}/benchmarks/{BENCHMARK}")
        page.select_option("#phase", "test")
        page.set_input_files("#file", str(predictions))
        page.click("form[action$='/submit'] button[type=submit]")
        page.wait_for_selector("p.flash")
        assert "it is being scored" in page.inner_text("p.flash") and "flash=" not in page.url
        # The in-process worker scores it; reload until the status says so (bounded).
        for _ in range(50):
            if page.get_attribute("#my-submissions tbody tr", "data-status") == "scored":
                break
            page.wait_for_timeout(200)
            page.reload()
        assert page.get_attribute("#my-submissions tbody tr", "data-status") == "scored"
        # The page reads my submissions before the board, so the render that first says "scored" has the score.
        board = page.locator("table[aria-label='test public ranking'] tbody tr")
        assert board.count() == 1 and "alice" in board.first.inner_text()
        # Hidden split: no ranking page, no per-example rows, and the dataset page says why.
        page.goto(f"{url}/leaderboards/reviews?split=test")
        assert "hidden" in page.inner_text("main")
        page.goto(f"{url}/datasets/reviews")
        assert "labels of reviews/test are hidden by benchmark sentiment" in page.inner_text("main")
        for row in setup.test_rows[:3]:
            assert row["text"] not in page.content()


@pytest.fixture
def benched_board(tmp_path: Path):
    """`reviews` with three baselines evaluated, benched at sequence length 32 and probed: every column has data."""
    from benchhub.engine.latency import BenchBudget

    home = tmp_path / "hub"
    config = HubConfig(home=home, database_url=f"sqlite:///{home / 'hub.db'}")
    with Hub(config) as hub:
        hub.add_dataset("reviews", splits={"train": write_jsonl(tmp_path / "train.jsonl", review_rows(40, seed=1, prefix="train")),
                                           "test": write_jsonl(tmp_path / "test.jsonl", review_rows(24, seed=2, prefix="test"))},
                        id_column="id")
        models = ["baseline:majority", "baseline:keyword", "baseline:tfidf-logreg"]
        for model in models:
            hub.evaluate(model=model, dataset="reviews", progress=False)
            hub.probe(model=model, dataset="reviews", progress=False)
        hub.bench(models, dataset="reviews", batch_sizes=(1, 32), seq_lens=(32,), progress=False,
                  budget=BenchBudget(warmup_calls=0, warmup_seconds=0, min_timings=3, min_seconds=0, slice_seconds=0))
    with live_server(config) as url:
        yield url


def _visible_columns(page) -> list[str]:
    return page.locator("#leaderboard thead th:visible").all_inner_texts()


def _fits(page) -> None:
    """Nothing scrolls sideways: not the page, not the table in its box, and no visible header ends past the box."""
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    table, box = page.evaluate("[document.querySelector('#leaderboard').scrollWidth, document.querySelector('.scroll').clientWidth]")
    assert table <= box
    right = page.evaluate("document.querySelector('.scroll').getBoundingClientRect().right")
    edges = page.evaluate("Array.from(document.querySelectorAll('#leaderboard thead th')).filter(h => h.offsetParent)"
                          ".map(h => h.getBoundingClientRect().right)")
    assert edges and max(edges) <= right + 0.5


def test_the_leaderboard_fits_a_laptop_and_a_phone_and_the_reader_chooses_its_columns(benched_board, tmp_path):
    url = benched_board
    with browser() as chromium:
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(url + "/leaderboards/reviews")
        page.wait_for_selector("#chart .xtick text")
        assert [t.split("\n")[0] for t in _visible_columns(page)] == [
            "#", "model", "macro_f1 [95% CI]", "vs leader", "latency ms (b1)", "size", "worst change"]
        _fits(page)
        # Notes follow their columns: the latency note shows, the throughput one hides with its column.
        notes = page.locator("p.note:visible").all_inner_texts()
        assert any(n.startswith("speed: latency at batch 1 is from sequence length 32") for n in notes)
        assert not any(n.startswith("speed: throughput") for n in notes)
        # Labelled points and written-out log ticks, increasing (not "6 7 8 9 1 2 3").
        labels = page.locator("#chart .textpoint text").all_text_contents()
        assert sorted(labels) == ["baseline:keyword", "baseline:majority", "baseline:tfidf-logreg"]
        ticks = [float(t) for t in page.locator("#chart .xtick text").all_text_contents()]
        assert len(ticks) >= 2 and ticks == sorted(ticks) and len(set(ticks)) == len(ticks)
        page.screenshot(path=str(tmp_path / "board-1280.png"), full_page=True)
        # Show ECE from the chooser: it stays chosen across a reload, until the defaults are restored.
        page.click("#column-chooser summary")
        page.check("#column-chooser input[value=ece]")
        assert "ECE" in _visible_columns(page)
        page.reload()
        assert "ECE" in _visible_columns(page) and "robustness" in " ".join(page.locator("p.note:visible").all_inner_texts())
        page.click("#column-chooser summary")
        page.click("#column-chooser .reset")
        assert "ECE" not in _visible_columns(page)
        # The filter box: by name, then by kind.
        page.fill("#model-filter", "TFIDF")
        assert page.locator("#leaderboard tbody tr:visible td:nth-child(2)").all_inner_texts() == ["baseline:tfidf-logreg baseline"]
        assert page.inner_text("#filter-count") == "1 of 3 rows"
        page.fill("#model-filter", "")
        page.select_option("#kind-filter", "baseline")
        assert page.locator("#leaderboard tbody tr:visible").count() == 3
        phone = chromium.new_page(viewport={"width": 375, "height": 740})
        phone.goto(url + "/leaderboards/reviews")
        assert [t.replace("\n", " ") for t in _visible_columns(phone)] == ["#", "model", "macro_f1 [95% CI]"]
        _fits(phone)
        phone.screenshot(path=str(tmp_path / "board-375.png"), full_page=True)
        context.close()
