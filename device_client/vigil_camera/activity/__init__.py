"""Activity found at the camera (issue 23; docs/activity.md).

`settings` and `meta` are pure Python (the functions import them to validate settings and parse the
clip header); `detector`, `analyzer` and `scene` need the `media` extra (PyAV + numpy).
"""
