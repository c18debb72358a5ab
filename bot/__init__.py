"""k8stip: one Kubernetes tip a day for Slack, Discord and the terminal."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("k8stip")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
