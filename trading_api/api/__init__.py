"""Cross-cutting API infrastructure: errors, pagination, renderers, parsers."""
