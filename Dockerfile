# The web and worker image (one image, two commands). The gpu-runner has its own image in
# gpu-runner/Dockerfile; trainer and inference images live in gpu-runner/images/.
FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/prisma-generate.mjs scripts/
COPY prisma prisma
COPY prisma.config.ts ./
RUN npm install --no-audit --no-fund

FROM deps AS build
COPY . .
ENV NEXT_TELEMETRY_DISABLED=1 LATHE_SKIP_ENV_VALIDATION=1
# next build, then the public pages built once without the App Router's client (ARCHITECTURE.md).
RUN npm run build

FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 PORT=3000
COPY --from=build /app /app
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --retries=5 CMD node -e "fetch('http://127.0.0.1:3000/api/health').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# Migrations are applied by `lathe db migrate` (the compose file runs it before web starts).
CMD ["node", "--import", "tsx", "server/web-server.ts"]
