"""The export function's plain modules: jobs, planning, remux, streaming source and sink."""
