# durable-jobs worker image: runs job runs and task processes (Python, Node, shell, DuckDB SQL).
FROM node:20-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 python3-pip git bash ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY . .
# uv builds task environments (libraries, environments[].spec, dbt); installed into .tools/ here,
# as the worker's user cannot write there. pip installs it into that directory only.
RUN npm run build && PIP_BREAK_SYSTEM_PACKAGES=1 node scripts/ensure-uv.cjs && npm prune --omit=dev
RUN useradd --create-home --uid 10001 djobs && mkdir -p /data && chown djobs /data
USER djobs
ENV DJOBS_HOME=/data
CMD ["node", "dist/cli/index.js", "worker"]
