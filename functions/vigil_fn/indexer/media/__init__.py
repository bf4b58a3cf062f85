"""Pure-Python media probes (MPEG-TS, MP4, H.264 parameter sets)."""
