"""The engine: the long-running process that runs the market feed and the paper venue."""
