"""Translation baselines: copy-source (the source sentence as its own translation).

Copying scores above zero wherever source and target share names, numbers and punctuation, so a system
has to beat it to show it translates at all.
"""

from __future__ import annotations

from benchhub.tasks.text_to_text.baseline import TextToTextBaseline


class CopySource(TextToTextBaseline):
    """The source sentence, unchanged."""

    name, version = "copy-source", "1"

    def predict(self, item: str) -> str:
        return item


BASELINES: dict[str, type] = {CopySource.name: CopySource}
