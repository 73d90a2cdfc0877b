# The forecasting service: fits the default model on first start if no run exists, then serves
# the API and dashboard on port 8000. The install steps are those of scripts/run and scripts/test.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FORECAST_HOME=/data \
    XDG_CACHE_HOME=/cache

RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc g++ curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 forecast \
    && mkdir -p /data /cache /app \
    && chown forecast:forecast /data /cache /app

WORKDIR /app
COPY --chown=forecast:forecast . /app
USER forecast
RUN bash -c 'source scripts/_env.sh && .venv/bin/pip install --quiet -e .'

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8000/health || exit 1
CMD ["bash", "scripts/run", "--host", "0.0.0.0", "--port", "8000"]
