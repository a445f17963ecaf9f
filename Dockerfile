# Dexem: one image for web (gunicorn), worker and beat (celery). Multi-stage: the build tools
# stay in the first stage; the runtime runs as a non-root user.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml ./
# The project packages no modules of its own: installing it installs its dependencies.
RUN python -m venv /venv && /venv/bin/pip install --upgrade pip && /venv/bin/pip install .

FROM python:3.11-slim
ENV PATH=/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_ENV=production \
    RECORDING_STORAGE_DIR=/data/recordings MEDIA_DIR=/data/media
RUN groupadd --system dexem && useradd --system --gid dexem --home-dir /app dexem \
    && mkdir -p /data/recordings /data/media /app/var && chown -R dexem:dexem /data /app
WORKDIR /app
COPY --from=build /venv /venv
COPY --chown=dexem:dexem . .
# collectstatic reads the settings, which want secrets: throwaway values, for this step only.
RUN SECRET_KEY=build-only-not-a-secret-3c9f0a1d7e5b2c8f4a6d0e9b1c3f5a7d9e2b4c6 ALLOWED_HOSTS=build \
    RECORDING_KEYS=build:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    PRIVACY_HMAC_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py collectstatic --noinput \
    && rm -f /tmp/build.sqlite3 && chown -R dexem:dexem /app/var
USER dexem
EXPOSE 8000
# JSON access and error lines, query values masked (deploy/gunicorn.conf.py).
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "dexem.wsgi:application"]
