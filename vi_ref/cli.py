"""The ``vi-ref`` command line (also ``python -m vi_ref``)."""

import argparse
import os
import re
import sys
import textwrap

from . import __version__


def _seed(text):
    """argparse type of ``--seed``: a non-negative integer (NumPy's seeds are)."""
    try:
        value = int(text)
    except ValueError:
        integer = re.fullmatch(r"\s*[+-]?(\d+)\s*", text)
        if integer:  # beyond int()'s limit of 4300 digits
            raise argparse.ArgumentTypeError(
                f"must be a non-negative integer below 2**63; got an integer of {len(integer[1])} digits") from None
        raise argparse.ArgumentTypeError(f"must be an integer; got {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer below 2**63; got {value}")
    return value


def _print_now(line):
    print(line, flush=True)  # each row appears as soon as it is computed, also through a pipe


def _print_error(line):
    print(line, file=sys.stderr, flush=True)


def _tour(arguments):
    from . import tour

    listed, missing = tour.select(arguments.only), tour.unmatched(arguments.only)
    if not listed or missing:  # a usage error, as an unknown figure or case name is: no claim was checked
        names = ", ".join(map(repr, missing)) if listed else repr(arguments.only)
        _print_error(f"vi-ref tour: --only: no section matches {names}; nothing was checked. "
                     "`vi-ref tour --list` names them.")
        return 2
    if arguments.list:
        for candidate in listed:
            _print_now(f"{candidate.key:24}  {candidate.title}  [derivation {candidate.derivation}]")
        return 0
    passed = tour.run(arguments.seed, only=arguments.only, verbose=arguments.verbose,
                      as_json=arguments.json, out=_print_now, err=_print_error)
    return 0 if passed else 1


def _figures(arguments):
    from . import figures

    try:
        written = figures.write_figures(arguments.out, only=arguments.only, seed=arguments.seed)
    except (ImportError, ValueError, OSError) as error:  # no matplotlib, unknown names, an unusable --out
        print(f"vi-ref figures: {error}", file=sys.stderr)
        return 2
    for path, caption in written:
        _print_now(f"{path}: {caption}")
    return 0


def _tour_epilog():
    from . import tour

    keys = ", ".join(candidate.key for candidate in tour.SECTIONS)
    return textwrap.fill(f"sections, in the lecture's order: {keys}. --only takes keys, question labels (VI2.3) "
                         "or words of a title, comma-separated; --list shows the titles.", break_on_hyphens=False)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="vi-ref",
        description="vi_ref: a verified reference implementation of variational inference.",
    )
    parser.add_argument("--version", action="version", version=f"vi-ref {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="command")

    tour = commands.add_parser(
        "tour", help="the lecture, claim by claim, each checked against an independent value",
        description="Run the lecture's claims as checks, section by section, and print each as it is computed.",
        epilog=_tour_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tour.add_argument("--seed", type=_seed, default=0, help="seed of the random inputs (default 0); "
                      "each section draws from its own generator derived from it")
    tour.add_argument("--only", metavar="SECTIONS", help="run only these sections (keys, labels or title words)")
    listing_or_json = tour.add_mutually_exclusive_group()  # the listing is text: --list --json printed no JSON
    listing_or_json.add_argument("--list", action="store_true", help="list the sections and exit")
    tour.add_argument("--verbose", action="store_true", help="print every row (every gradient check too)")
    listing_or_json.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    tour.set_defaults(run=_tour)

    figures = commands.add_parser(
        "figures", help="regenerate the lecture's figures from vi_ref (needs matplotlib: the plots extra)",
        description="Write the lecture's figures as PNG files; headless (Agg backend).",
    )
    figures.add_argument("--out", required=True, metavar="DIR", help="directory to write the PNG files to")
    figures.add_argument("--only", metavar="NAMES", help="comma-separated figure names (default: all)")
    figures.add_argument("--seed", type=_seed, default=0, help="seed of the random inputs (default 0)")
    figures.set_defaults(run=_figures)

    _add_reference_commands(commands)
    return parser


def _single_threaded_blas():
    """The tour's linear algebra is on 2×2 to 10×10 matrices, where a threaded BLAS
    only adds overhead (170 µs instead of 9 µs per triangular solve, far worse on a
    loaded machine). Set before NumPy is first imported, and only if the user has
    not chosen; a library import of vi_ref never does this."""
    if "numpy" not in sys.modules:
        for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(variable, "1")


def main(argv=None):
    _single_threaded_blas()
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if arguments.command is None:
        parser.print_help()
        return 2
    try:
        return arguments.run(arguments)
    except BrokenPipeError:
        # the reader went away (`vi-ref tour | head`): stop quietly, as a shell tool does;
        # stdout is pointed at devnull so that the interpreter's final flush cannot fail too
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


# ----- reference files: `vi-ref reference` and `vi-ref crosscheck` ---------------


def _add_reference_commands(commands):
    reference = commands.add_parser(
        "reference", help="write vi_ref's golden reference file (JSON or NPZ) of named cases"
    )
    reference.add_argument("--out", metavar="FILE", required=True, help="output path ending in .json or .npz")
    reference.add_argument("--seed", type=_seed, default=0, help="seed of the cases' inputs (default 0)")
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
    count = len(document["cases"])
    print(f"wrote {count} case{'s' if count != 1 else ''} (seed {arguments.seed}) to {arguments.out}")
    return 0


def _crosscheck(arguments):
    from . import reference

    if arguments.list:
        ignored = [name for name, value in (("FILE", arguments.file), ("--only", arguments.only),
                                            ("--rtol", arguments.rtol), ("--atol", arguments.atol)) if value is not None]
        if ignored:  # the listing is vi_ref's table, not the file's cases: say so rather than ignore them
            print(f"vi-ref crosscheck: --list lists every case of vi_ref and takes no {', '.join(ignored)}",
                  file=sys.stderr)
            return 2
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
    if not any(result.compared for result in results) and all(result.ok for result in results):
        print("vi-ref crosscheck: every field compared is empty: nothing was checked", file=sys.stderr)
        return 1
    return 0 if all(result.ok for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
