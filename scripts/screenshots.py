"""Takes the README's screenshots of the web UI (docs/screenshots/*.png) with Debian's chromium.

Builds a small hub in a temporary folder — the review dataset, a few models and baselines with
speed measurements, a hosted benchmark with scored submissions — serves it, and photographs the
key pages at desktop and phone width.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    from benchhub import Hub
    from benchhub.config import HubConfig
    from benchhub.engine.latency import BenchBudget
    from tests.browser_support import browser, live_server
    from tests.conftest import review_rows, write_jsonl
    from tests.fixtures.benchmarks import BENCHMARK, make_benchmark

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        config = HubConfig(home=root / "hub", database_url=f"sqlite:///{root / 'hub' / 'hub.db'}")
        with Hub(config) as hub:
            setup = make_benchmark(hub, root / "files")
            train = write_jsonl(root / "train.jsonl", review_rows(60, seed=1, prefix="train"))
            test = review_rows(40, seed=3, prefix="t")
            hub.add_dataset("movie-reviews", splits={"train": train, "test": write_jsonl(root / "test.jsonl", test)}, id_column="id")
            flip = {"positive": "negative", "negative": "positive"}
            for name, errors in (("bert-base-reviews", 2), ("distilbert-reviews", 4), ("tiny-lstm", 9)):
                lines = [{"id": r["id"], "label": flip[r["label"]] if i < errors else r["label"]} for i, r in enumerate(test)]
                hub.add_model(name, write_jsonl(root / f"{name}.jsonl", lines))
                hub.evaluate(model=name, dataset="movie-reviews", progress=False)
            hub.leaderboard(dataset="movie-reviews", progress=False)  # evaluates the baselines
            hub.bench(["baseline:tfidf-logreg", "baseline:keyword", "baseline:majority"], dataset="movie-reviews",
                      batch_sizes=(1, 32), seq_lens=(128,), progress=False,
                      budget=BenchBudget(min_timings=5, min_seconds=0.1))
            for user, wrong in (("alice", 3), ("bob", 6)):
                hub.submit(BENCHMARK, setup.predictions(f"{user}.jsonl", wrong={r["id"] for r in setup.test_rows[:wrong]}),
                           user=user, phase="test")
            hub.run_worker(once=True)
            token = hub.create_token("admin")[1]
        with live_server(config) as url, browser() as chromium:
            page = chromium.new_page(viewport={"width": 1200, "height": 900})
            page.goto(url + "/signin")
            page.fill("#token", token)
            page.keyboard.press("Enter")
            page.wait_for_url(url + "/")
            shots = [("home", "/"), ("leaderboard", "/leaderboards/movie-reviews"), ("benchmark", f"/benchmarks/{BENCHMARK}"),
                     ("maintain", f"/benchmarks/{BENCHMARK}/maintain")]
            for name, path in shots:
                page.goto(url + path)
                page.wait_for_timeout(1500 if name == "leaderboard" else 200)  # the chart draws after load
                page.screenshot(path=str(args.out / f"{name}.png"), full_page=True)
            phone = chromium.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
            phone.goto(url + "/leaderboards/movie-reviews")
            phone.screenshot(path=str(args.out / "leaderboard-phone.png"))
    print("\n".join(str(p) for p in sorted(args.out.glob("*.png"))))


if __name__ == "__main__":
    main()
