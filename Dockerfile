# One image for every role; compose picks the role with `command`. Multi-stage: dependencies and the
# TypeScript build stay in `build`; `runtime` holds production dependencies and compiled JS only.
# NODE_IMAGE: any image with Node 20 and npm. Where no registry can be reached, a local one
# (docker-compose.offline.yml passes localhost/faceshot-node:20). Nothing here relies on a `node` user.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc tsconfig.base.json tsconfig.json ./
COPY packages/core/package.json packages/core/
COPY packages/vision/package.json packages/vision/
COPY packages/cli/package.json packages/cli/
COPY packages/client/package.json packages/client/
COPY services/api/package.json services/api/
COPY services/downloader/package.json services/downloader/
COPY services/extractor/package.json services/extractor/
COPY services/trainer/package.json services/trainer/
COPY services/predictor/package.json services/predictor/
COPY services/standalone/package.json services/standalone/
COPY tests/package.json tests/
COPY bench/package.json bench/
RUN npm ci --no-audit --no-fund
COPY packages packages
COPY services services
# The `faceshot` CLI is in the image too (`onnx-models push`, `eval`, `import`); its API client is
# generated from the committed OpenAPI document first.
# onnxruntime-node ships CPU binaries for every platform (≈290 MB): keep only this image's.
RUN node packages/client/scripts/generate-types.mjs \
 && npx tsc -b services/standalone services/trainer packages/cli \
 && npm prune --omit=dev --no-audit --no-fund \
 && node -e "const fs=require('fs'),p='node_modules/onnxruntime-node/bin/napi-v6';for(const os of fs.readdirSync(p))for(const arch of fs.readdirSync(p+'/'+os))if(os+'/'+arch!==process.platform+'/'+process.arch)fs.rmSync(p+'/'+os+'/'+arch,{recursive:true})"

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/packages/core packages/core
COPY --from=build /app/packages/vision packages/vision
COPY --from=build /app/packages/client packages/client
COPY --from=build /app/packages/cli packages/cli
COPY --from=build /app/services services
# Non-root by number (uid/gid 1000), so it works whether or not the base image has a user of that id.
# Filesystem storage, if used, goes to /app/data.
RUN mkdir -p /app/data && chown 1000:1000 /app/data
USER 1000:1000
EXPOSE 3000
CMD ["node", "services/standalone/dist/main.js"]

# The trainer with CUDA: the tfjs native GPU backend (libtensorflow 2.9, CUDA 11.x, cuDNN 8) is
# installed at image build time, where the internet is available; the backend picks it up at start.
# Needs the default NODE_IMAGE (Node in /usr/local) and the nvidia/cuda image: not buildable offline.
FROM nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04 AS trainer-gpu
COPY --from=runtime /usr/local/bin/node /usr/local/bin/node
COPY --from=runtime /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s /usr/local/lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && useradd --uid 1000 --create-home node
ENV NODE_ENV=production
WORKDIR /app
COPY --from=runtime --chown=1000:1000 /app /app
RUN npm install --no-save --omit=dev --no-audit --no-fund @tensorflow/tfjs-node-gpu@4 \
 && chown -R 1000:1000 /app/node_modules
USER 1000:1000
CMD ["node", "services/trainer/dist/main.js"]
