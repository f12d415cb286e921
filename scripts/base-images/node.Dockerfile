# Offline stand-in for node:24-bookworm-slim (built by scripts/docker.sh only when the image
# can be neither found locally nor pulled). Context: the node binary and an npm tarball.
FROM local/debian:bookworm
COPY node /usr/local/bin/node
COPY npm.tgz /tmp/npm.tgz
# The building machine's CA bundle (see scripts/docker.sh); Node adds it to its own roots.
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN mkdir -p /usr/local/lib/node_modules/npm \
 && tar -xzf /tmp/npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1 \
 && rm /tmp/npm.tgz \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && node -v && npm -v
ENV NODE_VERSION=24
CMD ["node"]
