#!/bin/sh
# Runs `python -m bot` with the SQLite database on the /data volume, whatever DATABASE_URL
# says: a `.env` passed with `--env-file` may carry a relative path, which would otherwise
# resolve inside the container's own filesystem and be lost with the container.
#   sqlite:///data/x.db and sqlite:///x.db  -> sqlite:////data/x.db
#   sqlite:////data/...                      -> as it is
#   sqlite:////elsewhere/x.db                -> as it is, with a warning (a volume of yours?)
#   postgresql://...                         -> as it is
#   empty or unset                           -> sqlite:////data/fluxcord.db
set -eu

# Empty (a `DATABASE_URL=` line) is as unset: the image's own path.
DATABASE_URL=${DATABASE_URL:-sqlite:////data/fluxcord.db}
case "$DATABASE_URL" in
    sqlite:////data/*) ;;
    sqlite:////*)
        echo "fluxcord: DATABASE_URL names a file outside the /data volume;" \
            "it is lost with the container unless a volume is mounted there" >&2
        ;;
    sqlite:///data/?*) DATABASE_URL="sqlite:////${DATABASE_URL#sqlite:///}" ;;
    sqlite:///?*) DATABASE_URL="sqlite:////data/${DATABASE_URL#sqlite:///}" ;;
esac
export DATABASE_URL

# exec: the bot is PID 1 and gets docker stop's SIGTERM itself (it drains jobs in flight).
exec python3 -m bot "$@"
