"""The ``milepost`` command: Milepost's own commands plus every Django management command."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run ``milepost <command> [options]``; ``milepost help`` lists the commands."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["milepost", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
