"""What a probe result reports beyond its headline rate, in the one wording the CLI and the model page share."""

from __future__ import annotations

from typing import Any

__all__ = ["probe_note", "rate_text"]


def rate_text(result: dict[str, Any], name: str) -> str:
    """A rate of a probe result as a percentage, with its 95% interval where it has one: "12.0% [8.0%, 16.0%]"."""
    interval = result.get(f"{name}_ci")
    text = f"{result[name]:.1%}"
    return text + (f" [{interval[0]:.1%}, {interval[1]:.1%}]" if interval else "")


def probe_note(result: dict[str, Any]) -> str:
    """The guessing rate of removed answers, CircularEval's accuracy, or the paired per-example score change; ""
    for a probe that reports none of them."""
    if "guessing_rate" in result:
        return f"guessing rate {rate_text(result, 'guessing_rate')}"
    if "circular_acc" in result:
        circular = result["circular_acc"]
        return (f"circular {result['metric']} {circular['value']:.3f} [{circular['ci_low']:.3f}, {circular['ci_high']:.3f}] "
                f"(right in all of up to {result['orders']} orders; {result['metric']} {result['base']['value']:.3f})")
    if "score_change" in result:
        change = result["score_change"]
        return (f"per-example {result['metric']} change {change['value']:+.1f} [{change['ci_low']:+.1f}, "
                f"{change['ci_high']:+.1f}] points")
    return ""
