"""The ``insight`` command.  Each subcommand lives beside the code it drives;
this module only dispatches, so ``insight --help`` stays cheap to start."""
from __future__ import annotations

import importlib
import sys

#: subcommand -> ("module:function", one-line help).  The function takes argv
#: (the words after the subcommand) and returns the process exit code.
COMMANDS = {
    "run": ("insight.report.cli:run_main", "run the report suite (papermill) and publish HTML"),
    "validate": ("insight.data.cli:main", "load and validate data; counts in = kept + quarantined"),
    "sample": ("insight.sample:cli", "generate the built-in sample data (all seven tables)"),
    "schedule": ("insight.report.cli:schedule_main", "print the crontab line for reports.yml"),
}

USAGE = "usage: insight {" + ",".join(COMMANDS) + "} [options]\n\n" + "\n".join(
    f"  {name:<10} {help_}" for name, (_, help_) in COMMANDS.items()
) + "\n\n'insight COMMAND --help' for a command's options."


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    if argv[0] in ("-V", "--version"):
        from insight import __version__
        print(__version__)
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"insight: unknown command {name!r}\n\n{USAGE}", file=sys.stderr)
        return 2
    target, _ = COMMANDS[name]
    module, func = target.split(":")
    return int(getattr(importlib.import_module(module), func)(rest) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
