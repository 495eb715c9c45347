# A small image that runs fluxcord as a non-root user (uid 10001), with the database on the
# /data volume. BASE_IMAGE is any Debian-based image with Python 3.11+ and its venv module;
# scripts/docker-check builds one with debootstrap where no registry can be reached.
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
# The project and its pinned dependencies (pyproject.toml) in a virtualenv that the final
# stage copies whole, so that no pip, wheel or build file reaches it. The translations are
# compiled where the package was installed (-I: that package, not the one in /src).
RUN python3 -m venv /opt/fluxcord \
    && /opt/fluxcord/bin/pip install --no-cache-dir . \
    && /opt/fluxcord/bin/pybabel --quiet compile --domain fluxcord --directory \
       "$(/opt/fluxcord/bin/python -I -c 'import bot.i18n as i; print(i.LOCALES_DIR)')" \
    && /opt/fluxcord/bin/pip uninstall --yes --no-cache-dir pip setuptools

FROM ${BASE_IMAGE}
ENV PATH=/opt/fluxcord/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite:////data/fluxcord.db
RUN groupadd --gid 10001 fluxcord \
    && useradd --no-log-init --create-home --uid 10001 --gid 10001 fluxcord \
    && mkdir /data \
    && chown fluxcord:fluxcord /data
COPY --from=build /opt/fluxcord /opt/fluxcord
COPY docker/entrypoint.sh /usr/local/bin/fluxcord-entrypoint
# Numeric, so that orchestrators can tell it is not root without reading /etc/passwd.
USER 10001:10001
WORKDIR /home/fluxcord
VOLUME ["/data"]
# No HEALTHCHECK here: the bot listens on a port only with METRICS_PORT set;
# docker-compose.yml sets it and probes /readyz.
# On SIGTERM the bot lets jobs in flight finish for SHUTDOWN_GRACE_SECONDS (60) before it
# refunds the rest: stop it with `docker stop -t 70`.
STOPSIGNAL SIGTERM
ENTRYPOINT ["fluxcord-entrypoint"]
