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
# This key and host exist for this one command only; they are not kept in the image's env.
# media/ and private_media/ are made here, owned by arena, so named volumes mounted there start writable.
RUN DJANGO_ENV=production \
    SECRET_KEY=collectstatic-at-build-time-only-never-used-to-sign-anything \
    ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput \
    && mkdir -p media private_media \
    && chown arena:arena media private_media

USER arena
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "arena.asgi:application"]
