# tgdesk: the daemon with real TDLib. Debian-based because prebuilt TDLib needs glibc.
FROM node:24-bookworm-slim

# Build tools for the native addons (better-sqlite3, tdl) when no prebuilt binary matches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
# The same install step as the README (the locked versions, without dev tools).
RUN npm install --omit=dev --no-audit --no-fund

COPY bin ./bin
COPY src ./src
COPY schema.graphql ./

ENV TGDESK_DATA_DIR=/data \
    TGDESK_HOST=0.0.0.0 \
    TGDESK_PORT=4000 \
    NODE_ENV=production
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
EXPOSE 4000
USER node

# The same start step as the README: `tgdesk start` (log accounts in first with `tgdesk login NAME`).
ENTRYPOINT ["node", "bin/tgdesk.mjs"]
CMD ["start"]
