"""``python -m sktune``: the command line."""

from sktune.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
