"""`python -m bot.app.cli`: what the tests and the bench start, the same as `stagemeld`."""

from bot.app.cli import main

raise SystemExit(main())
