"""The `paracite` command line: one module per group of commands, all on one Typer app.

Domain errors become one line on stderr and a non-zero exit code here, at the edge; nothing
below this package prints or exits.
"""

from __future__ import annotations

from vectorstore.errors import ParaciteError

# Each module adds its commands to `app` as it is imported, in the order `--help` lists them.
from . import corpus, questions, evals, admin  # noqa: F401
from .app import app, err

__all__ = ["app", "main"]


def main() -> None:
    from pydantic import ValidationError
    from rich.markup import escape

    try:
        app()
    except ValidationError as exc:
        problems = "; ".join(f"PARACITE_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        err.print(f"[red]error[/]: bad setting: {escape(problems)}", highlight=False)
        raise SystemExit(2) from None
    except ParaciteError as exc:
        # Escaped: a message may hold brackets (a path, `pip install 'paracite[postgres]'`) that
        # Rich would otherwise take for markup and drop.
        err.print(f"[red]error[/]: {escape(str(exc))}", highlight=False)
        raise SystemExit(exc.exit_code) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise SystemExit(130) from None
