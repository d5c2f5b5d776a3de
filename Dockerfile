# Spirit-TS in one image: the allocation service (`spirit serve`, the default), the memory node
# (`spirit memnode`), the node daemon (`spirit node`) and every other command.
#
#   docker build -t spirit-ts .
#   docker run --rm -p 8080:8080 spirit-ts                         # service with the in-process bus
#   docker run --rm -p 8080:8080 -e REDIS_URL=redis://redis:6379 spirit-ts
#   docker compose up                                              # Redis + service + memory node (compose.yaml)
#
# Build stage: compilers for the native addon; `npm ci` runs the root postinstall, which builds the WASM
# modules and the addon offline (node-gyp from npm, headers from this Node's own install prefix).
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf native/build/Release/obj.target native/build/Release/.deps

# Run stage: no compilers, the built app, an unprivileged user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=8080
WORKDIR /app
COPY --from=build --chown=node:node /app /app
USER node
EXPOSE 8080 7070
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/spirit.js"]
CMD ["serve", "--host", "0.0.0.0"]
