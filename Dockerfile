# One image for both the api and the worker; docker-compose.yml picks the entry point.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY . .
USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "api/server.ts"]
