# The legacy Python forum: Python 3 stdlib only, nothing to install.
# Build from the repository root: docker build -f docker/legacy.Dockerfile .
FROM python:3.12-slim-bookworm

WORKDIR /app
COPY legacy-python/ legacy-python/

# The SQLite file lives on a volume shared with the TS server; both run as uid 1000 so either side can
# write the database and its WAL files. A fresh named volume takes this directory's owner.
RUN mkdir -p /data && chown 1000:1000 /data
USER 1000:1000

ENV LEGACY_HOST=0.0.0.0 \
    LEGACY_PORT=8090 \
    FORUM_DB=/data/forum.db \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
EXPOSE 8090
CMD ["python3", "legacy-python/serve.py"]
