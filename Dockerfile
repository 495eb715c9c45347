# A small image that runs fluxcord as a non-root user, with the database on a volume.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite:////data/fluxcord.db
RUN useradd --create-home --uid 10001 fluxcord \
    && mkdir /data && chown fluxcord:fluxcord /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER fluxcord
WORKDIR /home/fluxcord
VOLUME ["/data"]
ENTRYPOINT ["python", "-m", "bot"]
