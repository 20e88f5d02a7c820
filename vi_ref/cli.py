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
    _add_reference_commands(commands)
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


# ----- reference files: `vi-ref reference` and `vi-ref crosscheck` ---------------


def _add_reference_commands(commands):
    reference = commands.add_parser(
        "reference", help="write vi_ref's golden reference file (JSON or NPZ) of named cases"
    )
    reference.add_argument("--out", metavar="FILE", required=True, help="output path ending in .json or .npz")
    reference.add_argument("--seed", type=int, default=0, help="seed of the cases' inputs (default 0)")
    reference.add_argument("--only", metavar="TEXT", help="write only the cases whose name contains TEXT")
    reference.set_defaults(run=_reference)
    crosscheck = commands.add_parser(
        "crosscheck", help="check someone else's outputs in a reference file against vi_ref"
    )
    crosscheck.add_argument("file", nargs="?", metavar="FILE", help="a reference file (.json or .npz)")
    crosscheck.add_argument("--list", action="store_true", help="name every case and its fields, then exit")
    crosscheck.add_argument("--only", metavar="TEXT", help="check only the file's cases whose name contains TEXT")
    crosscheck.add_argument("--rtol", type=float, help="override every case's relative tolerance")
    crosscheck.add_argument("--atol", type=float, help="override every case's absolute tolerance")
    crosscheck.set_defaults(run=_crosscheck)


def _reference(arguments):
    from . import reference

    try:
        document = reference.generate(arguments.seed, only=arguments.only)
        reference.write(arguments.out, document)
    except (ValueError, OSError) as error:
        print(f"vi-ref reference: {error}", file=sys.stderr)
        return 2
    print(f"wrote {len(document['cases'])} cases (seed {arguments.seed}) to {arguments.out}")
    return 0


def _crosscheck(arguments):
    from . import reference

    if arguments.list:
        print(reference.describe_cases())
        return 0
    if arguments.file is None:
        print("vi-ref crosscheck: give a FILE to check, or --list", file=sys.stderr)
        return 2
    try:
        document = reference.read(arguments.file)
        results = reference.check(document, rtol=arguments.rtol, atol=arguments.atol, only=arguments.only)
    except ValueError as error:
        print(f"vi-ref crosscheck: {error}", file=sys.stderr)
        return 2
    print(reference.report(results))
    return 0 if all(result.ok for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
