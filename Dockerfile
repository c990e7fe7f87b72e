# One image for every Lianfang process: `lianfang serve <service>`, `lianfang worker`, `lianfang migrate`.
FROM python:3.11-slim AS build
RUN pip install --no-cache-dir uv
WORKDIR /app
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
COPY pyproject.toml uv.lock ./
COPY libs libs
COPY services services
RUN uv sync --frozen --no-dev --no-editable

FROM python:3.11-slim
# The Chinese font posters and 流调报告 embed (LIANFANG_CHINESE_FONT_PATH's default).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --home-dir /app lianfang
WORKDIR /app
COPY --from=build --chown=lianfang /app /app
ENV PATH=/app/.venv/bin:$PATH LIANFANG_ENV=production PYTHONUNBUFFERED=1
USER lianfang
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["lianfang", "serve", "gateway", "--host", "0.0.0.0", "--port", "8000"]
