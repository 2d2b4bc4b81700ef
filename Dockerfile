# The team server: Streamable HTTP on port 8000, sign-in required (see docs/http.md).
#   docker build -t openai-images-mcp .
#   docker run -p 8000:8000 -e OPENAI_API_KEY -e OPENAI_IMAGES_AUTH_TOKENS=alice=<token> -v openai-images:/data openai-images-mcp
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml requirements.txt requirements-lock.txt README.md LICENSE openai_images_mcp.py ./
COPY openai_images ./openai_images
# The package with the object-store extra at the versions CI tested (requirements-lock.txt), then a user
# without a login shell or root's rights.
RUN pip install --constraint requirements-lock.txt ".[s3]" \
    && useradd --system --uid 10001 --create-home --shell /usr/sbin/nologin mcp \
    && mkdir -p /data \
    && chown mcp:mcp /data \
    && rm -rf /src

USER mcp
WORKDIR /data
ENV OPENAI_IMAGES_DATA_DIR=/data/state \
    OPENAI_IMAGES_OUTPUT_DIR=/data/images \
    FASTMCP_CHECK_FOR_UPDATES=off
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["openai-images-mcp", "serve", "--http", "--host", "0.0.0.0", "--port", "8000"]
