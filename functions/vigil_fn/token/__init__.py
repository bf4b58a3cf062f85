"""The token function (the app server): a device asks, a least-privilege STS token answers."""
