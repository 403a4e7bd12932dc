# The s3-enricher image: the `enricher` CLI (and, with the worker issue, the Celery worker).
#   docker build -t s3-enricher:dev .      (or: docker compose build)
FROM python:3.11-slim

# tldextract (via Presidio) uses its bundled public-suffix list, never a download.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS=""

WORKDIR /app

# Only what `pip install .` needs; README.md* so the build works before the README exists.
# The licence files are pyproject's license-files: the build fails without them.
COPY pyproject.toml README.md* LICENSE NOTICE THIRD_PARTY_NOTICES.md ./
COPY models ./models
COPY classifiers ./classifiers
COPY worker ./worker

# The postgres extra is the driver behind ENRICH_DATABASE_URL=postgresql+psycopg://...
RUN pip install ".[postgres]" \
    && useradd --system --uid 10001 --no-create-home --home-dir /app enricher \
    && chown enricher /app

USER enricher

CMD ["enricher", "--help"]
