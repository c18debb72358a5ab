"""k8stip: one Kubernetes tip a day for Slack, Discord and the terminal."""

# The one place the version is set (pyproject.toml reads it from here).
__version__ = "0.1.0"
