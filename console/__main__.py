"""`python -m console` serves the console; `python -m console users add NAME --role staff|maintainer|supervisor`
creates an account and prints its one-time password."""

from __future__ import annotations

import argparse
import logging
import sys

from console.auth import ROLES
from knowledge.personal_data import install_log_masking


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console", description="Support staff console.")
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="run the console (the default)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    users = commands.add_parser("users", help="manage accounts")
    user_commands = users.add_subparsers(dest="user_command", required=True)
    add = user_commands.add_parser("add", help="create an account and print its one-time password")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    commands.add_parser("migrate", help="create or upgrade the console's tables")
    args = parser.parse_args(argv)

    from console.index.db import create_index_engine, migrate
    from console.settings import ConsoleSettings

    settings = ConsoleSettings.from_env(host=getattr(args, "host", None), port=getattr(args, "port", None))
    if args.command == "users":
        from console.auth import add_account

        engine = create_index_engine(settings.database_url)
        migrate(engine)
        try:
            password = add_account(engine, args.name, args.role)
        except ValueError as problem:
            print(f"error: {problem}", file=sys.stderr)
            return 1
        print(f"Account {args.name} ({args.role}) created. One-time password (change it at first sign-in): {password}")
        return 0
    if args.command == "migrate":
        migrate(create_index_engine(settings.database_url))
        return 0

    from aiohttp import web

    from console.app import create_app
    from console.auth import ensure_first_supervisor

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_masking()
    app = create_app(settings)
    from console.keys import ENGINE

    password = ensure_first_supervisor(app[ENGINE])
    url = f"http://{settings.host}:{settings.port}/"
    if password:
        print(
            f"\n  Console: first supervisor created. Sign in at {url} as 'admin' with the one-time "
            f"password {password} (you will choose a new one).\n",
            flush=True,
        )
    print(f"  Support staff console: {url}", flush=True)
    web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
