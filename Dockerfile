# One image for both the api and the worker; docker-compose.yml picks the entry point.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY . .
# The evidence directory (a volume in docker-compose.yml) belongs to the user the app runs as: a
# named volume mounted here starts as a copy of it, owner included.
ENV EVIDENCE_DIR=/data/evidence
RUN mkdir -p /data/evidence && chown -R node:node /data
USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "api/server.ts"]
