"""The console: daily tips print in the terminal and typed `/k8stip …` lines are answered."""

from bot.adapters.console.adapter import ConsoleAdapter, render_text

__all__ = ["ConsoleAdapter", "render_text"]
