"""What the text-to-text families (summarization, translation) share; not a family of its own."""
