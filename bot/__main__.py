"""`python -m bot` is the same as the `k8stip` command."""

from bot.cli import main

raise SystemExit(main())
