"""benchhub's QA engine vs `transformers.pipeline("question-answering")`.

Same fine-tuned MiniLM QA model (the demo's), same questions (the QA sample's train + test),
same batch size, window (384 tokens, stride 128) and longest answer (30 tokens), same torch
thread count; rounds interleave the two, order alternating, never both at once. Both answer
every question (no abstention), so the answer strings are comparable. Prints questions/second
for each, the ratio, and the share of questions with the same answer string.

    python benchmarks/qa_throughput.py [--batch-size 32] [--rounds 5] [--home DIR] [--peer-python PATH] [--exact-spans]

transformers 5 removed the question-answering pipeline, so the peer runs in a second
virtualenv with transformers 4.x (--peer-python, default benchmarks/.peer-venv/bin/python;
`make peer-venv` builds it): benchmarks/qa_peer_worker.py loads the pipeline once and answers
every question on request, timing itself. The pipeline's rate uses the seconds the worker
measures around the pipeline call alone; the round trip (sending the request, the JSON reply)
is printed beside it. benchhub is timed in this process around encoding, the model and decoding.

By default the pipeline keeps its own default align_to_words=True: it widens each candidate span
to whole words and adds up the scores of candidates whose widened text is the same, where benchhub
(like the official run_qa postprocessing) returns the best-scoring token span as it is.
--exact-spans passes align_to_words=False, so both decode the same way.

The demo checkpoint is taken from the hub at --home (default $BENCHHUB_HOME); if that hub has
none, the demo's QA tour runs there first (a few minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

HERE = Path(__file__).resolve().parent
WORKER = HERE / "qa_peer_worker.py"
PEER_VERSIONS = "torch==2.13.0 transformers==4.57.6"


class Peer:
    """The pipeline in its own interpreter (qa_peer_worker.py), one JSON line per request and reply."""

    def __init__(self, python: Path, checkpoint: Path, threads: int, questions: list[str], contexts: list[str]) -> None:
        self.process = subprocess.Popen(
            [str(python), str(WORKER), "--checkpoint", str(checkpoint), "--threads", str(threads)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8", bufsize=1,
        )
        self._send({"questions": questions, "contexts": contexts})
        self.info: dict | None = None

    def wait_ready(self) -> dict:
        self.info = self._receive()
        return self.info

    def run(self, batch_size: int, align_to_words: bool = True) -> tuple[float, float, list[str]]:
        """Returns (worker-measured seconds, round-trip seconds, answers)."""
        started = time.perf_counter()
        self._send({"cmd": "run", "batch_size": batch_size, "align_to_words": align_to_words})
        reply = self._receive()
        return reply["seconds"], time.perf_counter() - started, reply["answers"]

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self._send({"cmd": "quit"})
                self.process.stdin.close()
                self.process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()

    def _send(self, message: dict) -> None:
        try:
            self.process.stdin.write(json.dumps(message) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            raise SystemExit(self._exited()) from None

    def _receive(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(self._exited())
        reply = json.loads(line)
        if "error" in reply:
            raise SystemExit(f"The peer worker failed: {reply['error']}")
        return reply

    def _exited(self) -> str:
        return f"The peer worker exited early (status {self.process.wait()}); see its messages above."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--peer-python", type=Path, default=HERE / ".peer-venv" / "bin" / "python",
                        help="python of a virtualenv with transformers 4.x (default: benchmarks/.peer-venv/bin/python)")
    parser.add_argument("--variant", default=None,
                        help="a registered variant of the demo's QA model (e.g. minilm-qa-sample@fast-b32 from `benchhub "
                             "optimize`) for benchhub's side; the pipeline runs the fp32 checkpoint")
    parser.add_argument("--exact-spans", action="store_true",
                        help="run the pipeline with align_to_words=False (no widening to whole words, no merging of "
                             "candidates with the same text), as benchhub decodes")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if not args.peer_python.exists():
        raise SystemExit(
            f"No peer python at {args.peer_python}; create it with `python3 -m venv benchmarks/.peer-venv && "
            f"benchmarks/.peer-venv/bin/pip install {PEER_VERSIONS}` (or `make peer-venv`), or pass --peer-python."
        )

    import torch
    import transformers

    from benchhub import Hub
    from benchhub.catalog.datasets import get_dataset_row, load_split
    from benchhub.data.records import Split
    from benchhub.demo import run_demo, tour_of
    QUESTION_ANSWERING = tour_of("question-answering")
    from benchhub.engine.runner import run_model
    from benchhub.tasks.question_answering.transformers_qa import TransformersQA

    hub = Hub.open(args.home)
    if not any(m.name == QUESTION_ANSWERING.model for m in hub.models()):
        run_demo(hub, progress=False, echo=lambda line: None, tasks=(QUESTION_ANSWERING.task,))
    checkpoint = Path(hub.model(QUESTION_ANSWERING.model).source)
    with hub.session() as session:  # the QA sample's questions as the hub registered them, train and test
        dataset = get_dataset_row(session, QUESTION_ANSWERING.dataset)
        parts = [load_split(hub.artifacts, dataset, name) for name in ("train", "test")]
    questions = [question for part in parts for question in part.texts]
    contexts = [context for part in parts for context in part.text_pairs]
    rows = questions
    split = Split("all", list(range(len(rows))), questions, contexts)

    ours = TransformersQA(_variant_folder(hub, args.variant) if args.variant else checkpoint, max_length=384,
                          doc_stride=128, max_answer_length=30, runtime=_variant_runtime(hub, args.variant))
    threads = torch.get_num_threads()  # as loading benchhub's model set it; the worker is told the same
    peer = Peer(args.peer_python, checkpoint, threads, questions, contexts)
    try:
        peer_info = peer.wait_ready()
        if peer_info["threads"] != threads:
            raise SystemExit(f"torch threads differ: benchhub {threads}, peer {peer_info['threads']}")

        def run_ours() -> tuple[float, list[str]]:
            started = time.perf_counter()
            run = run_model(ours, split, batch_size=args.batch_size, show_progress=False)
            texts = [answer.text for answer in ours.decode(split, run.items, run.outputs, allow_no_answer=False)]
            return time.perf_counter() - started, texts

        align_to_words = not args.exact_spans
        run_ours(), peer.run(args.batch_size, align_to_words)  # warm-up
        seconds: dict[str, list[float]] = {"benchhub": [], "pipeline": [], "round trip": []}
        answers: dict[str, list[str]] = {}
        for round_number in range(args.rounds):
            for name in ("benchhub", "pipeline") if round_number % 2 == 0 else ("pipeline", "benchhub"):
                if name == "benchhub":
                    elapsed, answers[name] = run_ours()
                    seconds[name].append(elapsed)
                else:
                    elapsed, round_trip, answers[name] = peer.run(args.batch_size, align_to_words)
                    seconds[name].append(elapsed)
                    seconds["round trip"].append(round_trip)
    finally:
        peer.close()

    rates = {name: [len(rows) / s for s in values] for name, values in seconds.items()}
    ours_rate, peer_rate = statistics.median(rates["benchhub"]), statistics.median(rates["pipeline"])
    trip_rate = statistics.median(rates["round trip"])
    same = sum(a == b for a, b in zip(answers["benchhub"], answers["pipeline"])) / len(rows)

    def listed(values: list[float], digits: int) -> str:
        return ", ".join(f"{v:.{digits}f}" for v in values)

    print(f"questions: {len(rows)}, batch size {args.batch_size}, rounds {args.rounds} (median), "
          f"torch threads {threads}")
    print(f"benchhub: transformers {transformers.__version__}, torch {torch.__version__} (this process), "
          f"model {args.variant or QUESTION_ANSWERING.model} ({ours.info.extra.get('runtime')}, "
          f"{ours.info.extra.get('precision', 'fp32')})")
    print(f"pipeline: transformers {peer_info['transformers']}, torch {peer_info['torch']} ({args.peer_python}), "
          f"align_to_words={align_to_words}")
    print(f"benchhub engine        {ours_rate:8.1f} questions/s  (rounds: {listed(rates['benchhub'], 0)}; "
          f"seconds: {listed(seconds['benchhub'], 2)})")
    print(f"transformers.pipeline  {peer_rate:8.1f} questions/s  (rounds: {listed(rates['pipeline'], 0)}; "
          f"seconds in the worker: {listed(seconds['pipeline'], 2)})")
    print(f"  with the round trip  {trip_rate:8.1f} questions/s  (seconds: {listed(seconds['round trip'], 2)})")
    print(f"ratio benchhub/pipeline: {ours_rate / peer_rate:.2f}x (worker-measured peer seconds; "
          f"{ours_rate / trip_rate:.2f}x against the round trip); same answer string: {same:.2%} of questions")
    for a, b, q in zip(answers["benchhub"], answers["pipeline"], questions):
        if a != b:
            print(f"  differs: {q!r}: benchhub {a!r} vs pipeline {b!r}")
    sys.stdout.flush()


def _variant_folder(hub, name: str) -> Path:
    record = hub.model(name)
    if record.kind == "onnx":
        return hub.artifacts.path(record.source) if record.options.get("in_hub") else Path(record.source)
    return Path(record.source)


def _variant_runtime(hub, name: str | None) -> str:
    from benchhub.models.runtime import torch_runtime

    if name is None:
        return "torch"
    record = hub.model(name)
    if record.kind == "onnx":
        return "onnx"
    return torch_runtime(record.options.get("precision", "fp32"), bool(record.options.get("compiled")))


if __name__ == "__main__":
    main()
