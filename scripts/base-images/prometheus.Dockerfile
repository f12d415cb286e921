# Offline stand-in for prom/prometheus:v2.42.0: Debian's Prometheus 2.42, used like the
# official image (config /etc/prometheus/prometheus.yml, data /prometheus, user nobody).
# wget as in the official (busybox) image: the compose healthcheck uses it.
FROM local/debian:bookworm
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus wget >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /prometheus && chown nobody:nogroup /prometheus \
 && ln -sf /usr/bin/prometheus /bin/prometheus 2>/dev/null || true
USER nobody
WORKDIR /prometheus
VOLUME /prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", \
     "--web.console.libraries=/usr/share/prometheus/console_libraries", \
     "--web.console.templates=/usr/share/prometheus/consoles"]
