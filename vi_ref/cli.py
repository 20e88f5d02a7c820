"""The ``vi-ref`` command line (also ``python -m vi_ref``)."""

import argparse
import sys

from . import __version__


def _tour(arguments):
    from . import tour

    return 0 if tour.run(rng=arguments.seed, only=arguments.only) else 1


def build_parser():
    parser = argparse.ArgumentParser(
        prog="vi-ref",
        description="vi_ref: a verified reference implementation of variational inference.",
    )
    parser.add_argument("--version", action="version", version=f"vi-ref {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="command")
    tour = commands.add_parser(
        "tour", help="run every verification (gradients, closed forms, ...) and print tables"
    )
    tour.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    tour.add_argument("--only", metavar="TEXT", help="run only sections whose title contains TEXT")
    tour.set_defaults(run=_tour)
    return parser


def main(argv=None):
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if arguments.command is None:
        parser.print_help()
        return 2
    return arguments.run(arguments)


if __name__ == "__main__":
    sys.exit(main())
