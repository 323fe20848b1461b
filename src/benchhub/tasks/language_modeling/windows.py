"""Rolling windows over a document's tokens, as lm-evaluation-harness 0.4 makes them for `loglikelihood_rolling`.

`lm_eval.utils.get_rolling_token_windows(token_list, prefix_token, max_seq_len, context_len=1)` followed by
`make_disjoint_window`: the first window scores the first `max_length` tokens after the prefix token (the
tokenizer's BOS, else its EOS); each later window scores the next `max_length` tokens (fewer at the end),
conditioned on the tokens before them that fill the window, so every token is scored exactly once, with at least
one token of context. HFLM then feeds the model the last
`max_length + 1` tokens of context + continuation without the final one, and sums the log-probabilities
of the continuation's tokens (`Window.tokens` holds those `max_length + 1` tokens, `scored` how many at the end
are scored).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """One window of one document: `tokens[:-1]` go into the model, the last `scored` of `tokens` are scored."""

    document: int
    tokens: tuple[int, ...]
    scored: int

    @property
    def inputs(self) -> tuple[int, ...]:
        return self.tokens[:-1]

    @property
    def targets(self) -> tuple[int, ...]:
        return self.tokens[-self.scored:]


def rolling_windows(tokens: Sequence[int], *, prefix_token: int, max_length: int) -> Iterator[tuple[list[int], list[int]]]:
    """lm_eval's (context, continuation) pairs with context_len=1, made disjoint: every token scored once, in order;
    a later window's context is the tokens before its continuation that fill it to `max_length + 1`."""
    tokens = list(tokens)
    if not tokens:
        return
    first = min(max_length, len(tokens))
    yield [prefix_token], tokens[:first]
    predicted = first
    while predicted < len(tokens):
        length = min(len(tokens) - predicted, max_length)
        end = predicted + length
        yield tokens[end - max_length - 1 : predicted], tokens[predicted:end]
        predicted = end


def document_windows(document: int, tokens: Sequence[int], *, prefix_token: int, max_length: int) -> list[Window]:
    """The windows of one document as HFLM feeds them: (context + continuation)[-(max_length + 1):]."""
    return [Window(document, tuple((context + continuation)[-(max_length + 1):]), len(continuation))
            for context, continuation in rolling_windows(tokens, prefix_token=prefix_token, max_length=max_length)]
