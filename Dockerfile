# tgdesk: the daemon with real TDLib. Debian-based because prebuilt TDLib needs glibc.

# The NOC wall is static files built by Vite, a dev dependency: built in a stage of its own and
# copied into the image, which keeps no dev tools.
FROM node:24-bookworm-slim AS wall
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund --ignore-scripts
COPY bin/build-noc.mjs bin/build-console.mjs ./bin/
COPY bin/lib/build-web-app.mjs ./bin/lib/
COPY src/noc/web ./src/noc/web
COPY src/console/web ./src/console/web
RUN node bin/build-noc.mjs && node bin/build-console.mjs

FROM node:24-bookworm-slim

# Build tools for the native addons (better-sqlite3, tdl) when no prebuilt binary matches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
# npm's prepare step (bin/build-noc.mjs, bin/build-console.mjs) steps aside without Vite; the wall
# and the console come from their stage.
COPY bin/build-noc.mjs bin/build-console.mjs ./bin/
COPY bin/lib/build-web-app.mjs ./bin/lib/
# The same install step as the README (the locked versions, without dev tools).
RUN npm install --omit=dev --no-audit --no-fund

COPY bin ./bin
COPY src ./src
COPY --from=wall /app/src/noc/web/dist ./src/noc/web/dist
COPY --from=wall /app/src/console/web/dist ./src/console/web/dist
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
