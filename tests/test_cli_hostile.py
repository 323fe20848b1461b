"""The command line under hostile input: every bad value is one line on stderr and exit 1, never a traceback,
and a refused command leaves the hub as it was (no dataset, benchmark, token or submission half-made).

The commands run in-process through `benchhub.cli.app.main`, the same entry point as the `benchhub` script.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from benchhub import Hub
from benchhub.cli.app import main
from benchhub.competitions.benchmarks import PhaseSpec
from tests.conftest import review_rows, write_jsonl

BOMB = "\n".join(["probes:", '  - &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]',
                  *(f"  - &{b} [{', '.join([f'*{a}'] * 9)}]" for a, b in zip("abcdef", "bcdefg"))]) + "\n"


@pytest.fixture
def files(tmp_path: Path, review_files: dict[str, Path]) -> dict[str, Path]:
    """A hub with dataset `reviews`, admin `admin`, user `bob`, predictions model `pm` and benchmark `bm`
    (phase dev on train with public labels, phase final on test), and the files the cases name."""
    predictions = write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "label": r["label"]}
                                                     for r in review_rows(24, seed=2, prefix="test")])
    with Hub.open() as hub:
        hub.add_dataset("reviews", splits=review_files, id_column="id")
        hub.create_user("admin", admin=True)
        hub.create_user("bob")
        hub.add_model("pm", predictions)
        hub.create_benchmark("bm", dataset="reviews", user="admin", phases=[
            PhaseSpec("dev", "train", labels_public=True), PhaseSpec("final", "test")])
    (tmp_path / "folder").mkdir()
    (tmp_path / "latin1.yaml").write_bytes("probes: [typos]  # caf\xe9\n".encode("latin-1"))
    (tmp_path / "templates.yaml").write_bytes(b"tests: []\n\xff\n")
    (tmp_path / "mft-suite.yaml").write_text("mft: templates.yaml\n")
    (tmp_path / "bomb.yaml").write_text(BOMB)
    (tmp_path / "deep.jsonl").write_text('{"id": "a", "text": ' + "[" * 100_000 + "]" * 100_000 + ', "label": "x"}\n')
    (tmp_path / "deep-predictions.jsonl").write_text('{"id": "test-0", "label": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    (tmp_path / "endless.yaml").symlink_to("/dev/zero")
    (tmp_path / "zeros.jsonl").symlink_to("/dev/zero")
    (tmp_path / "endless-suite.yaml").write_text("mft: endless.yaml\n")
    (tmp_path / "deep.yaml").write_text("probes: " + "[" * 1_500 + "]" * 1_500 + "\n")
    return {"tmp": tmp_path, "predictions": predictions, "folder": tmp_path / "folder",
            "latin1": tmp_path / "latin1.yaml", "mft_suite": tmp_path / "mft-suite.yaml", "bomb": tmp_path / "bomb.yaml"}


def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str]) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["benchhub", *args])
    try:
        main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def hub_contents() -> dict[str, object]:
    from benchhub.store.tables import (
        ApiTokenRow,
        BenchmarkPhaseRow,
        BenchmarkRow,
        DatasetRow,
        SubmissionRow,
    )

    with Hub.open() as hub, hub.session() as session:
        counts = {table.__name__: session.scalar(select(func.count()).select_from(table))
                  for table in (DatasetRow, BenchmarkRow, BenchmarkPhaseRow, ApiTokenRow, SubmissionRow)}
        files = sorted(str(p.relative_to(hub.artifacts.root)) for p in hub.artifacts.root.rglob("*") if p.is_file())
    return {**counts, "files": files}


Args = Callable[[dict[str, Path]], list[str]]
BM = ["benchmark", "create", "b2", "--dataset", "reviews", "--user", "admin"]
PROBE = ["probe", "--model", "baseline:keyword", "--dataset", "reviews", "-q"]
BENCH = ["bench", "baseline:majority", "--dataset", "reviews", "-q"]
SERVER = ["--server", "http://127.0.0.1:9"]

# (id, arguments, the one error line it must print). Each case failed before its fix: a traceback, a
# silent wrong result, or a misleading message (see the report of issue 12, part D).
CASES: list[tuple[str, Args, str]] = [
    ("inputs-output-is-a-folder", lambda f: ["benchmark", "inputs", "bm", "--phase", "dev", "-o", str(f["folder"])],
     r"folder[/\\]? is a folder; give a file name, e\.g\. .*inputs\.jsonl\.$"),
    ("inputs-output-below-a-file", lambda f: ["benchmark", "inputs", "bm", "--phase", "dev", "-o", str(f["predictions"] / "x.jsonl")],
     r"Cannot write .*x\.jsonl \((File exists|Not a directory)\); give a path in a folder you can write to\.$"),
    ("submit-server-not-a-url", lambda f: ["submit", "bm", str(f["predictions"]), "--server", "::::", "--token", "t"],
     r"--server '::::' is not an http\(s\) URL; write e\.g\. --server http://127\.0\.0\.1:8000\.$"),
    ("inputs-server-not-http", lambda f: ["benchmark", "inputs", "bm", "--server", "ftp://example.org"],
     r"--server 'ftp://example\.org' is not an http\(s\) URL"),
    ("submit-token-not-ascii", lambda f: ["submit", "bm", str(f["predictions"]), *SERVER, "--token", "tök"],
     r"^error: The API token given is not one: tokens are printable ASCII without spaces, as `benchhub token create` "
     r"prints them; check --token or \$BENCHHUB_TOKEN\.$"),
    ("submit-token-with-newline", lambda f: ["submit", "bm", str(f["predictions"]), *SERVER, "--token", "bh_a\nX-Evil: 1"],
     r"is not one: tokens are printable ASCII without spaces"),
    ("inputs-token-with-space", lambda f: ["benchmark", "inputs", "bm", "--phase", "dev", *SERVER, "--token", "a b"],
     r"is not one: tokens are printable ASCII without spaces"),
    ("submit-benchmark-name-with-a-path", lambda f: ["submit", "../users", str(f["predictions"]), *SERVER, "--token", "t"],
     r"Benchmark name '\.\./users' is not allowed"),
    ("inputs-phase-name-with-a-query", lambda f: ["benchmark", "inputs", "bm", "--phase", "dev?x=1", *SERVER],
     r"Phase name 'dev\?x=1' is not allowed"),
    ("submit-a-folder", lambda f: ["submit", "bm", str(f["folder"]), "--user", "bob", "--phase", "final"],
     r"folder is a folder; give the predictions file itself \(or, for a phase that takes models, an archive of the folder: "
     r"`zip -r model\.zip folder/`\)\.$"),
    ("score-a-folder", lambda f: ["score", "--dataset", "reviews", "--predictions", str(f["folder"])],
     r"Predictions file .*folder is a folder; give the predictions file itself\.$"),
    ("bench-superscript-digit", lambda f: [*BENCH, "--batch-sizes", "²"],
     r"--batch-sizes '²' is not a comma-separated list of whole numbers; write e\.g\. --batch-sizes 1,8,32\.$"),
    ("bench-arabic-indic-digit", lambda f: [*BENCH, "--batch-sizes", "١"],
     r"--batch-sizes '١' is not a comma-separated list of whole numbers"),
    ("bench-5000-digits", lambda f: [*BENCH, "--seq-lens", "9" * 5000],
     r"--seq-lens '9{40}\.\.\.' is not a comma-separated list of whole numbers; write e\.g\. --seq-lens 32,128\.$"),
    ("bench-huge-batch", lambda f: [*BENCH, "--batch-sizes", "99999999", "--seq-lens", "8"],
     r"--batch-sizes must hold ints in the range \[1, 4096\]\. Got 99999999 instead\.$"),
    ("bench-huge-seq-len", lambda f: [*BENCH, "--batch-sizes", "1", "--seq-lens", "999999999"],
     r"--seq-lens must hold ints in the range \[1, 8192\]\. Got 999999999 instead\.$"),
    ("probe-negative-seed", lambda f: [*PROBE, "--seed", "-1"],
     r"--seed must be an int in the range \[0, 4294967295\]\. Got -1 instead\.$"),
    ("probe-seed-over-32-bits", lambda f: [*PROBE, "--seed", str(2**70)],
     r"--seed must be an int in the range \[0, 4294967295\]\. Got 1180591620717411303424 instead\.$"),
    ("probe-a-predictions-model", lambda f: ["probe", "--model", "pm", "--dataset", "reviews", "-q"],
     r"Model 'pm' is a predictions file: it only replays answers to the split's own examples, so probes .* cannot run it"),
    ("probe-suite-not-utf8", lambda f: [*PROBE, "--suite", str(f["latin1"])],
     r"the suite file .*latin1\.yaml is not valid UTF-8 \(byte offset 22\); save it as UTF-8$"),
    ("probe-templates-not-utf8", lambda f: [*PROBE, "--suite", str(f["mft_suite"])],
     r"the template file .*templates\.yaml is not valid UTF-8 \(byte offset 10\); save it as UTF-8$"),
    ("probe-templates-endless-device", lambda f: [*PROBE, "--suite", str(f["tmp"] / "endless-suite.yaml")],
     r"the template file .*endless\.yaml is not a regular file; give the YAML file itself$"),
    ("probe-suite-alias-bomb", lambda f: [*PROBE, "--suite", str(f["bomb"])],
     r"bomb\.yaml, line 3: YAML aliases \(\*a\) are not allowed here; write the value out instead$"),
    ("dataset-an-endless-device", lambda f: ["dataset", "add", "zeros", str(f["tmp"] / "zeros.jsonl")],
     r"zeros\.jsonl is not a regular file or a folder \(a pipe, a device or a socket\); give a CSV, JSONL"),
    ("model-add-an-endless-device", lambda f: ["model", "add", "zeros", str(f["tmp"] / "zeros.jsonl")],
     r"Not a regular file \(a folder, a pipe or a device\): .*zeros\.jsonl; a predictions model is a \.jsonl, \.csv, \.json, \.conll or \.iob file\.$"),
    ("submit-an-endless-device", lambda f: ["submit", "bm", str(f["tmp"] / "zeros.jsonl"), "--user", "bob", "--phase", "final"],
     r"zeros\.jsonl is not a regular file \(a pipe, a device or a socket\); give the predictions file itself\.$"),
    ("dataset-nested-100000-deep", lambda f: ["dataset", "add", "deep", str(f["tmp"] / "deep.jsonl")],
     r"deep\.jsonl, line 1: values nested thousands of levels deep \(Python's limit\); no field needs more than a few\.$"),
    ("score-nested-100000-deep", lambda f: ["score", "--dataset", "reviews", "--predictions", str(f["tmp"] / "deep-predictions.jsonl")],
     r"deep-predictions\.jsonl, line 1: values nested thousands of levels deep"),
    ("probe-suite-nested-1500-deep", lambda f: [*PROBE, "--suite", str(f["tmp"] / "deep.yaml")],
     r"deep\.yaml: values nested thousands of levels deep; no entry needs more than a few$"),
    ("serve-port-negative", lambda f: ["serve", "--port", "-1", "--no-worker"],
     r"--port must be an int in the range \[0, 65535\]\. Got -1 instead\.$"),
    ("serve-port-too-big", lambda f: ["serve", "--port", "70000", "--no-worker"],
     r"--port must be an int in the range \[0, 65535\]\. Got 70000 instead\.$"),
    ("home-is-a-file", lambda f: ["--home", str(f["predictions"]), "dataset", "list"],
     r"The hub folder .*p\.jsonl cannot be used \(File exists\); point --home or \$BENCHHUB_HOME at a folder you can write to\.$"),
    ("home-below-a-file", lambda f: ["--home", str(f["predictions"] / "hub"), "dataset", "list"],
     r"The hub folder .*p\.jsonl[/\\]hub cannot be used \(Not a directory\)"),
    ("phase-closes-in-year-9999-west-of-utc", lambda f: [*BM, "--phase", "a=test,closes=9999-12-31T23:59:59-05:00"],
     r"Phase 'a': closes_at 9999-12-31T23:59:59-05:00 must lie between 1970-01-01 and 9999-12-30 \(UTC\)\.$"),
    ("phase-opens-in-year-1-east-of-utc", lambda f: [*BM, "--phase", "a=test,opens=0001-01-01T00:00+05:00"],
     r"Phase 'a': opens_at 0001-01-01T00:00:00\+05:00 must lie between 1970-01-01 and 9999-12-30 \(UTC\)\.$"),
    ("phase-opens-twice", lambda f: [*BM, "--phase", "a=test,opens=2026-01-01T00:00Z,opens=2027-01-01T00:00Z"],
     r"--phase 'a=test,opens=2026-01-01T00:00Z,opens=2027-01-01T00:00Z': opens is given twice; give it once\.$"),
    ("phase-name-longer-than-its-column", lambda f: [*BM, "--phase", "p" * 150 + "=test"],
     r"Phase name 'pppppppppppppppppppp'\.\.\. is 150 characters long; use at most 100\.$"),
    ("setting-given-twice", lambda f: [*BM, "--phase", "a=test", "--setting", "max_total=3", "--setting", "max_total=30"],
     r"--setting max_total is given twice; give each setting once\.$"),
    ("title-with-escape-sequence", lambda f: [*BM, "--phase", "a=test", "--title", "Bench\x1b[2J"],
     r"A benchmark title holds '\\x1b' at position 5; control or format characters are not allowed\.$"),
    ("title-longer-than-its-column", lambda f: [*BM, "--phase", "a=test", "--title", "t" * 400],
     r"A benchmark title must be text of at most 300 characters\. Got 400 instead\.$"),
    ("description-with-bell", lambda f: [*BM, "--phase", "a=test", "--description", "line one\nline\x07two"],
     r"A benchmark description holds '\\x07' at position 13; control or format characters other than line breaks"),
    ("description-too-long", lambda f: [*BM, "--phase", "a=test", "--description", "d" * 20_001],
     r"A benchmark description must be text of at most 20,000 characters\. Got 20001 instead\.$"),
    ("token-label-with-escape-sequence", lambda f: ["token", "create", "bob", "--label", "ci\x1b[31m"],
     r"A token label holds '\\x1b' at position 2; control or format characters are not allowed\.$"),
    ("token-label-with-bidi-override", lambda f: ["token", "create", "bob", "--label", "ci\u202egnp.exe"],
     r"A token label holds '\\u202e' at position 2"),
    ("worker-poll-nan", lambda f: ["worker", "--once", "--poll-seconds", "nan"],
     r"--poll-seconds, --lease-seconds and --cpus-per-job must be numbers in the range \(0, inf\)\.$"),
    ("worker-lease-inf", lambda f: ["worker", "--once", "--lease-seconds", "inf"],
     r"--poll-seconds, --lease-seconds and --cpus-per-job must be numbers in the range \(0, inf\)\.$"),
    ("predictions-negative-limit", lambda f: ["predictions", "--model", "pm", "--dataset", "reviews", "--limit", "-1"],
     r"--limit must be an int in the range \[1, inf\)\. Got -1 instead\.$"),
    ("slice-label-with-escape-sequence", lambda f: ["leaderboard", "--dataset", "reviews", "-q", "--no-baselines", "--slice", "label=\x1b[2J"],
     r"^error: --slice 'label=\\x1b\[2J' matches no example; labels here are negative, positive\.$"),
    ("slice-length-5000-digits", lambda f: ["leaderboard", "--dataset", "reviews", "-q", "--no-baselines", "--slice", "length=" + "9" * 5000],
     r"^error: --slice 'length=9{32}\.\.\. \(5,009 characters\) is not a length bucket; use one of length=0-9"),
    ("optimize-tolerance-nan", lambda f: ["optimize", "ghost", "--quantize", "dynamic-int8", "--tolerance", "nan", "-q"],
     r"--tolerance must be a number of points in the range \[0, inf\)\. Got nan instead\.$"),
    ("matrix-batch-size-zero", lambda f: ["eval", "--model", "baseline:majority", "--dataset", "reviews", "--executor", "local",
                                          "--batch-size", "0", "-q"],
     r"--batch-size must be an int in the range \[1, inf\)\. Got 0 instead\.$"),
]


@pytest.mark.parametrize(("arguments", "message"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_a_hostile_value_is_one_error_line_and_changes_nothing(files, monkeypatch, capsys, arguments: Args, message: str):
    before = hub_contents()
    code, out, err = run_main(monkeypatch, capsys, arguments(files))
    assert (code, out) == (1, ""), err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert len(lines[0]) < 400, lines[0]
    assert re.search(message, lines[0]), lines[0]
    assert hub_contents() == before


def test_the_same_values_given_well_still_work(files, monkeypatch, capsys):
    written = files["tmp"] / "new" / "inputs.jsonl"
    code, _, err = run_main(monkeypatch, capsys, ["benchmark", "inputs", "bm", "--phase", "dev", "-o", str(written)])
    assert code == 0, err
    assert len(written.read_text(encoding="utf-8").splitlines()) == 40
    code, out, err = run_main(monkeypatch, capsys, [*BM, "--phase", "a=test,opens=2026-01-01T00:00Z,closes=9999-12-29T00:00-05:00",
                                                    "--title", "Tickets", "--description", "Two lines\n\tindented", "--json"])
    assert code == 0, err
    assert '"title": "Tickets"' in out
    code, out, err = run_main(monkeypatch, capsys, ["token", "create", "bob", "--label", "ci runner ✓", "--json"])
    assert code == 0, err
    assert '"label": "ci runner ✓"' in out
    # A CSV field longer than Python's default limit (131,072 characters): a long document, not an attack.
    long_text = files["tmp"] / "long.csv"
    long_text.write_text("text,label\n" + "word " * 40_000 + ",long\nshort one,short\n", encoding="utf-8")
    code, out, err = run_main(monkeypatch, capsys, ["dataset", "add", "long", str(long_text), "--json"])
    assert code == 0, err
    assert '"num_rows": 2' in out


def test_ray_options_must_be_finite():
    from benchhub.errors import InvalidInputError
    from benchhub.evaluation.matrix import RayOptions, _check_options

    for cpus, gpus in ((math.nan, 0.0), (math.inf, 0.0), (1.0, math.nan), (1.0, math.inf)):
        with pytest.raises(InvalidInputError, match=r"^--cpus-per-job must be a number in the range \(0, inf\)"):
            _check_options("ray", None, 3, RayOptions(None, cpus, gpus))


def test_a_moderation_reason_with_control_characters_is_refused_and_nothing_changes(files):
    from benchhub.accounts.users import get_user
    from benchhub.competitions import submissions as submission_service
    from benchhub.errors import InvalidInputError
    from benchhub.store.tables import SubmissionRow

    with Hub.open() as hub:
        submitted = hub.submit("bm", files["predictions"], user="bob", phase="final")
        with hub.session() as session:
            admin = get_user(session, "admin")
            with pytest.raises(InvalidInputError, match=r"^A moderation reason holds '\\x00' at position 4;"):
                submission_service.moderate(session, submitted.id, actor_id=admin.id, action="hide", reason="spam\x00")
        with hub.session() as session:
            assert session.get(SubmissionRow, submitted.id).hidden is False


@pytest.mark.parametrize("arguments", [
    ["dataset", "add", "a" * 5000 + "\n", "data.jsonl"],
    ["user", "create", "u" * 5000],
    ["token", "revoke", "x" * 5000],
], ids=["dataset-name", "user-name", "token-prefix"])
def test_a_huge_value_is_cut_short_in_its_message(monkeypatch, capsys, arguments):
    code, out, err = run_main(monkeypatch, capsys, arguments)
    assert (code, out) == (1, ""), err
    assert re.search(r"^error: .* '[aux]{39}\.\.\. \(5,00\d characters\)[ ;]", err), err
    assert len(err) < 300, err


@pytest.fixture
def not_benchhub() -> str:
    """The URL of an HTTP server that answers every request with an HTML page (a proxy, a wrong port)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Page(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            body = b"<html><body>It works!</body></html>"
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("command", [["submit", "bm", "{predictions}", "--token", "t"], ["benchmark", "inputs", "bm", "--token", "t"]],
                         ids=["submit", "inputs"])
def test_a_server_that_is_not_benchhub_is_one_error_line(files, not_benchhub, monkeypatch, capsys, command):
    arguments = [part.format(predictions=files["predictions"]) for part in command] + ["--server", not_benchhub]
    code, out, err = run_main(monkeypatch, capsys, arguments)
    assert (code, out) == (1, ""), err
    assert err == f"error: {not_benchhub} did not answer as a benchhub server does (200, text/html); check --server.\n"
