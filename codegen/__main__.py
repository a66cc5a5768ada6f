"""``python -m codegen``: regenerate everything; ``--check`` fails on drift; ``import`` reads raw dumps."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from codegen import importer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="regenerate into a temporary tree and fail on any drift")
    sub = parser.add_subparsers(dest="command")
    imp = sub.add_parser("import", help="normalise raw apidata.js dumps (paths or URLs) into schemas/")
    imp.add_argument("sources", nargs="*", help="apidata.js files or https://HOST:8006/pve-docs/api-viewer/apidata.js")
    imp.add_argument("--all", action="store_true", help="import every dump in ../shared/pve-schemas")
    imp.add_argument("--version", help="PVE version of the dump (needed for URLs)")
    imp.add_argument("--insecure", action="store_true", help="do not verify the server's TLS certificate (URLs)")
    args = parser.parse_args(argv)

    if args.command == "import":
        sources = list(args.sources)
        if args.all:
            found = importer.default_sources()
            if not found:
                print(
                    f"error: import --all: no pve-*-apidata.js dumps in {importer.DEFAULT_SOURCES} "
                    "(the raw dumps are not part of the project; give dump paths or URLs instead)",
                    file=sys.stderr,
                )
                return 2
            sources += found
        if not sources:
            parser.error("import: give dump paths/URLs or --all")
        try:
            notes = importer.import_dumps(sources, version=args.version, insecure=args.insecure)
        except (OSError, ValueError) as exc:  # unreadable file/URL, not an apidata.js dump
            print(f"error: cannot import: {exc}", file=sys.stderr)
            return 2
        for line in notes:
            print(f"note: {line}", file=sys.stderr)
        print(f"imported {len(sources)} dump(s) into schemas/")
        return 0

    from codegen.generate import check, generate

    started = time.perf_counter()
    if args.check:
        problems = importer.check_schemas() + check(Path.cwd())
        if problems:
            for p in problems:
                print(f"drift: {p}", file=sys.stderr)
            print("run: python -m codegen (and commit the result)", file=sys.stderr)
            return 1
        print(f"codegen --check: no drift ({time.perf_counter() - started:.1f}s)")
        return 0
    written = generate()
    print(f"generated {written} files in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
