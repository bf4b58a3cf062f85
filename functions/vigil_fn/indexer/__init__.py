"""The indexer: media probes, the per-day index log, summaries and the timeline reader."""
