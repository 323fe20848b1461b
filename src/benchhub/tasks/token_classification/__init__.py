"""Token classification (named entities, part-of-speech, chunking): one tag per word of a sentence."""
