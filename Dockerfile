# durable-jobs worker image: runs job runs and task processes (Python, Node, shell, DuckDB SQL).
FROM node:20-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 bash ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev
RUN useradd --create-home --uid 10001 djobs && mkdir -p /data && chown djobs /data
USER djobs
ENV DJOBS_HOME=/data
CMD ["node", "dist/cli/index.js", "worker"]
