FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# tesseract-ocr: OCR of uploaded documents.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 arena
WORKDIR /app

# Runtime requirements only; their own layer, so a code change keeps the cached install.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .

# Production serves static files through WhiteNoise's manifest storage, which needs the
# staticfiles.json that only a production-mode collectstatic writes: after a development-mode
# run the admin and /api/docs answer 500 ("Missing staticfiles manifest entry").
# This key, host and Redis URL exist for this one command only (production refuses to load
# without them; nothing connects); they are not kept in the image's env.
# media/ and private_media/ are made here, owned by arena, so named volumes mounted there start writable.
RUN DJANGO_ENV=production \
    SECRET_KEY=collectstatic-at-build-time-only-never-used-to-sign-anything \
    ALLOWED_HOSTS=localhost \
    REDIS_URL=redis://collectstatic.invalid:6379/0 \
    python manage.py collectstatic --noinput \
    && mkdir -p media private_media \
    && chown arena:arena media private_media

USER arena

# The web server's liveness (compose gives the worker and beat probes of their own).
HEALTHCHECK --interval=10s --timeout=10s --start-period=20s --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=5)"]
EXPOSE 8000
# uvicorn, not daphne: it streams request bodies to the app, which refuses oversized ones (413)
# before reading them; daphne holds a whole upload in memory first. WebSockets through the
# websockets library; frames over 64 KiB close the socket (the app's own limit is 4 KiB and
# answers an error frame); no per-message compression (each spectator's copy would be
# compressed separately); a ping every 20 s, answered within 30 s (the documented heartbeat);
# past 4,000 open connections and requests, new ones get 503.
# No uvicorn access log: arena.logs writes one per request in the project's (JSON) format.
# Behind a proxy, set FORWARDED_ALLOW_IPS to its address (X-Forwarded-For/-Proto are trusted from it).
CMD ["uvicorn", "arena.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--lifespan", "off", \
     "--ws", "websockets-sansio", "--ws-max-size", "65536", "--ws-per-message-deflate", "false", \
     "--ws-ping-interval", "20", "--ws-ping-timeout", "30", \
     "--limit-concurrency", "4000", "--timeout-graceful-shutdown", "20", "--no-access-log"]
