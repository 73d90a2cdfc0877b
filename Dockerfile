# The forecasting service: fits the default model on first start if no run exists, then serves
# the API and dashboard on port 8000. The install steps are those of scripts/run and scripts/test:
# Debian's Pango and DejaVu fonts for WeasyPrint's PDF reports, and the project with every
# dependency pinned by requirements.lock.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FORECAST_HOME=/data \
    XDG_CACHE_HOME=/cache

RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc g++ curl \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 forecast \
    && mkdir -p /data /cache /app \
    && chown forecast:forecast /data /cache /app

WORKDIR /app
USER forecast
# The locked runtime dependencies first, in a layer that changes only with pyproject.toml or the lock.
COPY --chown=forecast:forecast pyproject.toml requirements.lock /app/
COPY --chown=forecast:forecast scripts /app/scripts
RUN bash -c 'source scripts/_env.sh \
    && .venv/bin/python -c "import tomllib; print(*tomllib.load(open(\"pyproject.toml\", \"rb\"))[\"project\"][\"dependencies\"], sep=\"\\n\")" >.venv/runtime-deps.txt \
    && .venv/bin/pip install --quiet --disable-pip-version-check -c requirements.lock -r .venv/runtime-deps.txt \
    && rm .venv/runtime-deps.txt'
COPY --chown=forecast:forecast . /app
RUN bash -c 'source scripts/_env.sh && install_python_deps .'
# compile the model into the image's cache, so the container's first fit is warm
RUN .venv/bin/forecast compile

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8000/health || exit 1
CMD ["bash", "scripts/run", "--host", "0.0.0.0", "--port", "8000"]
