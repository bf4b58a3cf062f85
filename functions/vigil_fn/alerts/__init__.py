"""The vigil-alerts function: rules, channels, delivery (docs/alerts.md)."""
