"""The `quita` command: Quita's jobs and Django's management commands under one name."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run `quita <command> ...`; every Django management command is available (`quita migrate`)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quita.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["quita", *argv])
    args[0] = "quita"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
