"""A client for OpenAI-compatible servers (`/v1/completions`, `/v1/chat/completions`): vLLM, TGI, llama.cpp,
Ollama and `transformers serve` expose them.

Every request goes through one cache, keyed by the full request (base URL, route and body; never the API key):
an interrupted run resumes without paying twice, and a rerun of the same evaluation sends nothing. Requests
run `concurrency` at a time, each under a timeout; 429 and 5xx answers and dropped connections are retried
with exponential backoff, honouring the server's `Retry-After`. The API key is read from an environment
variable whose *name* is stored at registration; its value is never stored, logged, cached or shown.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import os
import random
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence
from urllib.parse import urlsplit

from benchhub.errors import InvalidInputError

log = logging.getLogger(__name__)

ROUTES = {"completions": "completions", "chat": "chat/completions"}
RETRIED_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
CACHE_VERSION = "1"
ENV_NAME_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


class EndpointError(InvalidInputError):
    """A server that cannot answer a request: unreachable, refusing, or answering something else than the API."""


@dataclass(frozen=True)
class Endpoint:
    """Where an OpenAI-compatible server is and how to talk to it (what a model of kind "openai" stores)."""

    base_url: str                       # up to and including /v1: http://127.0.0.1:8000/v1
    model: str = ""                     # the server's name for the model (required)
    route: str = "completions"          # "completions" or "chat"
    api_key_env: str | None = None      # the NAME of the environment variable holding the key
    concurrency: int = 4
    timeout_seconds: float = 120.0
    max_retries: int = 6
    max_backoff_seconds: float = 60.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", str(self.base_url).rstrip("/"))  # .../v1/ is .../v1
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidInputError(f"Endpoint URL {self.base_url!r} is not an http(s) URL; give the server's base URL "
                                    "up to /v1, e.g. http://127.0.0.1:8000/v1.")
        if parts.username or parts.password or parts.query or parts.fragment:
            raise InvalidInputError("The endpoint URL must not hold credentials, a query or a fragment; name the API "
                                    "key's environment variable with --api-key-env instead.")
        if self.route not in ROUTES:
            raise InvalidInputError(f"Endpoint route {self.route!r} is not supported; use completions or chat.")
        if not self.model or not isinstance(self.model, str):
            raise InvalidInputError("An endpoint needs the server's name for the model: give --endpoint-model NAME (its "
                                    "GET /v1/models lists them).")
        if self.api_key_env is not None and (not self.api_key_env or set(self.api_key_env) - ENV_NAME_CHARACTERS
                                             or self.api_key_env[0].isdigit()):
            raise InvalidInputError(f"--api-key-env names an environment variable (letters, digits, _), not a key; got "
                                    f"{len(self.api_key_env)} characters that are not a variable name.")
        for name, low in (("concurrency", 1), ("max_retries", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise InvalidInputError(f"Endpoint {name} must be an int of at least {low}. Got {value!r} instead.")
        if not self.timeout_seconds > 0:
            raise InvalidInputError(f"Endpoint timeout must be a number of seconds above 0. Got {self.timeout_seconds!r}.")

    @property
    def url(self) -> str:
        return f"{self.base_url}/{ROUTES[self.route]}"

    def options(self) -> dict[str, Any]:
        """What a model row stores (and provenance shows): everything but secrets, which it never holds."""
        return {"base_url": self.base_url, "model": self.model, "route": self.route, "api_key_env": self.api_key_env,
                "concurrency": self.concurrency, "timeout_seconds": self.timeout_seconds}

    def api_key(self) -> str | None:
        """The key from the named environment variable (None when no variable is named)."""
        if self.api_key_env is None:
            return None
        value = os.environ.get(self.api_key_env)
        if not value:
            raise InvalidInputError(f"The environment variable {self.api_key_env} that holds this endpoint's API key is "
                                    f"not set; export {self.api_key_env}=... before evaluating.")
        return value


def request_key(endpoint: Endpoint, body: dict[str, Any]) -> str:
    """The cache key of one request: the URL and the canonical body (the API key is not part of it)."""
    canonical = json.dumps({"v": CACHE_VERSION, "url": endpoint.url, "body": body}, sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass
class ResponseCache:
    """Answers by request key, one JSON file each under `folder` (written atomically: a crash leaves no half file)."""

    folder: Path | None
    hits: int = 0
    misses: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def get(self, key: str) -> dict[str, Any] | None:
        if self.folder is None:
            return None
        path = self.folder / key[:2] / f"{key}.json"
        try:
            answer = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            with self._lock:
                self.misses += 1
            return None
        with self._lock:
            self.hits += 1
        return answer

    def put(self, key: str, answer: dict[str, Any]) -> None:
        if self.folder is None:
            return
        target = self.folder / key[:2] / f"{key}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".answer-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(answer, out, ensure_ascii=False)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def retry_delay(attempt: int, retry_after: str | None, *, cap: float, now: Callable[[], float] = time.time) -> float:
    """Seconds to wait before retry `attempt` (1, 2, ...): the server's Retry-After (seconds or an HTTP date)
    when it sent one, else exponential backoff (1 s, 2 s, 4 s, ...) with jitter; at most `cap`."""
    if retry_after:
        value = retry_after.strip()
        try:
            return min(cap, max(0.0, float(value)))
        except ValueError:
            try:
                return min(cap, max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - now()))
            except (ValueError, TypeError):
                pass  # neither seconds nor a date: back off as if none was sent
    return min(cap, (2 ** (attempt - 1)) * (0.5 + random.random()))  # noqa: S311 - jitter, not secrecy


class EndpointClient:
    """Sends requests to one endpoint through the cache, `concurrency` at a time."""

    def __init__(self, endpoint: Endpoint, *, cache_folder: Path | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        import httpx

        self.endpoint = endpoint
        self.cache = ResponseCache(cache_folder)
        self.sleep = sleep
        self.sent = 0
        headers = {"Content-Type": "application/json"}
        key = endpoint.api_key()
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        self._http = httpx.Client(timeout=endpoint.timeout_seconds, headers=headers,
                                  limits=httpx.Limits(max_connections=endpoint.concurrency))
        self._lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> EndpointClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def send_all(self, bodies: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """The answers to `bodies`, in order (cached ones without a request)."""
        if len(bodies) <= 1 or self.endpoint.concurrency == 1:
            return [self.send(body) for body in bodies]
        with ThreadPoolExecutor(max_workers=self.endpoint.concurrency) as pool:
            return list(pool.map(self.send, bodies))

    def send(self, body: dict[str, Any]) -> dict[str, Any]:
        """One answer: from the cache, else from the server (retried), then cached."""
        body = {"model": self.endpoint.model, **body}
        key = request_key(self.endpoint, body)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        answer = self._post(body)
        self.cache.put(key, answer)
        return answer

    def stream(self, body: dict[str, Any]) -> Streamed:
        """One request answered as a stream of Server-Sent Events, never from the cache nor retried: what `bench`
        times (when the first text arrived, how many tokens came). A server that ignores `stream` and answers
        whole gives the text and its usage, with no first-token time."""
        import httpx

        where = f"{self.endpoint.url} (model {self.endpoint.model!r})"
        body = {"model": self.endpoint.model, **body, "stream": True, "stream_options": {"include_usage": True}}
        try:
            with self._http.stream("POST", self.endpoint.url, json=body) as response:
                with self._lock:
                    self.sent += 1
                if response.status_code != 200:
                    response.read()
                    raise EndpointError(f"The endpoint {where} refused a streamed request: HTTP {response.status_code}: "
                                        f"{_server_message(response)}. bench streams answers (stream: true) to time "
                                        "their first token; a server that cannot stream cannot be benched.")
                if not response.headers.get("content-type", "").startswith("text/event-stream"):
                    response.read()
                    answer = _answer_json(response, where)
                    return Streamed(completion_text(answer), None, _completion_tokens(answer.get("usage")))
                return _read_events(response.iter_lines(), where)
        except httpx.TimeoutException:
            raise EndpointError(f"The endpoint {where} sent no answer within {self.endpoint.timeout_seconds:g} s to a "
                                "streamed request.") from None
        except httpx.TransportError as error:
            raise EndpointError(f"The endpoint {where} cannot be reached ({type(error).__name__}).") from None

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        import httpx

        where = f"{self.endpoint.url} (model {self.endpoint.model!r})"
        for attempt in range(1, self.endpoint.max_retries + 2):
            retry_after = None
            try:
                response = self._http.post(self.endpoint.url, json=body)
            except httpx.TimeoutException:
                problem = f"no answer within {self.endpoint.timeout_seconds:g} s"
            except httpx.TransportError as error:
                problem = f"cannot connect ({type(error).__name__})"
            else:
                with self._lock:
                    self.sent += 1
                if response.status_code == 200:
                    return _answer_json(response, where)
                problem = f"HTTP {response.status_code}: {_server_message(response)}"
                if response.status_code not in RETRIED_STATUSES:
                    raise EndpointError(f"The endpoint {where} refused a request: {problem}. Check the model name, the "
                                        "route (completions or chat) and the API key's variable.")
                retry_after = response.headers.get("Retry-After")
            if attempt > self.endpoint.max_retries:
                raise EndpointError(f"The endpoint {where} failed {attempt} times: {problem}. Nothing is lost: answers "
                                    "so far are cached, so running the evaluation again resumes where it stopped.")
            delay = retry_delay(attempt, retry_after, cap=self.endpoint.max_backoff_seconds)
            log.warning("endpoint %s: %s; retry %d in %.1f s", self.endpoint.url, problem, attempt, delay)
            self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class Streamed:
    """A streamed answer: its text, when its first text arrived (`time.perf_counter()`; None for an answer that
    came whole), and its generated tokens (the server's usage count, else one per event that carried text)."""

    text: str
    first_at: float | None
    tokens: int | None


def _read_events(lines: Any, where: str) -> Streamed:
    first_at, pieces, events, usage = None, [], 0, None
    for line in lines:
        if not line.startswith("data:"):
            continue  # comments, event names, keep-alives, the blank lines between events
        data = line[len("data:"):].strip()
        if data == "[DONE]":
            break
        try:
            event = json.loads(data)
        except ValueError:
            raise EndpointError(f"The endpoint {where} streamed an event that is not JSON ({data[:60]!r}); check that "
                                "it is an OpenAI-compatible server.") from None
        if not isinstance(event, dict):
            continue
        usage = event.get("usage") or usage
        for choice in event.get("choices") or []:
            delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else {}
            piece = choice.get("text") if "text" in choice else delta.get("content")
            if piece:
                first_at = first_at if first_at is not None else time.perf_counter()
                pieces.append(str(piece))
                events += 1
    return Streamed("".join(pieces), first_at, _completion_tokens(usage) if usage else events)


def _completion_tokens(usage: Any) -> int | None:
    tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
    return tokens if isinstance(tokens, int) and not isinstance(tokens, bool) and tokens >= 0 else None


def _answer_json(response: Any, where: str) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or not isinstance(answer.get("choices"), list) or not answer["choices"]:
        raise EndpointError(f"The endpoint {where} answered something that is not an OpenAI-style completion (no "
                            "choices); check that the base URL ends in /v1 of an OpenAI-compatible server.")
    return answer


def _server_message(response: Any) -> str:
    """The server's own error message, cut short (JSON {"error": {"message"}} or {"detail"} or plain text)."""
    try:
        payload = response.json()
    except ValueError:
        return " ".join(response.text.split())[:160] or "(no message)"
    if isinstance(payload, dict):
        error = payload.get("error")
        message = error.get("message") if isinstance(error, dict) else error or payload.get("detail")
        if message:
            return " ".join(str(message).split())[:160]
    return " ".join(str(payload).split())[:160]


def completion_text(answer: dict[str, Any]) -> str:
    """The generated text of the first choice, from either route."""
    choice = answer["choices"][0]
    if isinstance(choice.get("message"), dict):
        return str(choice["message"].get("content") or "")
    return str(choice.get("text") or "")


def prompt_logprobs(answer: dict[str, Any]) -> tuple[list[float | None], list[int]] | None:
    """The echoed prompt's token log-probabilities and their character offsets (a `/v1/completions` answer to
    `echo: true, logprobs: N`), or None when the server returned none (many do not support echo)."""
    logprobs = answer["choices"][0].get("logprobs")
    if not isinstance(logprobs, dict):
        return None
    values, offsets = logprobs.get("token_logprobs"), logprobs.get("text_offset")
    if not isinstance(values, list) or not isinstance(offsets, list) or len(values) != len(offsets) or not values:
        return None
    return values, [int(offset) for offset in offsets]
