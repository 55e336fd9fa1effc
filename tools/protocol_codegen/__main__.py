"""``python -m tools.protocol_codegen``: regenerate kaspar.protocol messages, index and errors."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from tools.protocol_codegen.emit_index import api_name, render_errors, render_index
from tools.protocol_codegen.emit_messages import HEADER, render_module
from tools.protocol_codegen.spec import MessageSpec, load_all, snake_case

REPO_ROOT = Path(__file__).resolve().parents[2]
PROTOCOL_DIR = REPO_ROOT / "src" / "kaspar" / "protocol"


def _modules(specs: list[MessageSpec]) -> dict[str, list[MessageSpec]]:
    """Module name -> the specs it holds (request then response, or one data spec)."""
    by_name = {s.name: s for s in specs}
    out: dict[str, list[MessageSpec]] = {}
    for spec in specs:
        if spec.kind == "request":
            name = api_name(spec.name)
            out[snake_case(name)] = [spec, by_name[name + "Response"]]
        elif spec.kind == "data":
            out[snake_case(spec.name)] = [spec]
    return out


def _write_all(files: dict[Path, str], *generated_dirs: Path) -> None:
    for directory in generated_dirs:
        for stale in directory.glob("*.py"):
            if stale.read_text(encoding="utf-8").startswith(HEADER) and stale not in files:
                stale.unlink()
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    paths = [str(p) for p in files]
    subprocess.run([sys.executable, "-m", "ruff", "format", "--quiet", *paths], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.protocol_codegen")
    parser.add_argument(
        "--spec-dir",
        type=Path,
        default=REPO_ROOT.parent / "shared" / "reference" / "kafka-protocol" / "messages",
    )
    parser.add_argument(
        "--internal-dir",
        type=Path,
        default=REPO_ROOT.parent / "shared" / "reference" / "kafka-protocol" / "internal-records",
        help="coordinator record schemas (__consumer_offsets, __transaction_state)",
    )
    parser.add_argument("--out", type=Path, default=PROTOCOL_DIR)
    args = parser.parse_args(argv)
    spec_dir: Path = args.spec_dir
    out: Path = args.out
    specs = load_all(spec_dir)
    messages_dir = out / "messages"
    messages_dir.mkdir(parents=True, exist_ok=True)
    files = {messages_dir / "__init__.py": HEADER + '"""Generated Kafka message classes."""\n'}
    for module, members in sorted(_modules(specs).items()):
        files[messages_dir / f"{module}.py"] = render_module(members)
    requests = [s for s in specs if s.kind == "request"]
    files[out / "api_index.py"] = render_index(requests)
    files[out / "errors.py"] = render_errors(spec_dir.parent / "error-codes.csv")
    internal_dir = out / "internal_records"
    internal_dir.mkdir(parents=True, exist_ok=True)
    files[internal_dir / "__init__.py"] = (
        HEADER + '"""Generated classes for the records coordinators keep in internal topics."""\n'
    )
    for spec in load_all(args.internal_dir):
        files[internal_dir / f"{snake_case(spec.name)}.py"] = render_module([spec])
    _write_all(files, messages_dir, internal_dir)
    print(f"generated {len(files)} files under {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
