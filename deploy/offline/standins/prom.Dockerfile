# Stand-in for prom/prometheus, prom/alertmanager and prom/node-exporter: the
# binary from Debian's package on the Debian base (which has busybox wget for
# the compose health checks), run as nobody like the upstream images.
ARG BASE
FROM ${BASE}
ARG BIN
ARG DATA_DIR
COPY root/ /
RUN ln -s /bin/busybox /usr/local/bin/wget && \
    if [ -n "$DATA_DIR" ]; then mkdir -p "$DATA_DIR" && chown 65534:65534 "$DATA_DIR"; fi
USER 65534:65534
ENTRYPOINT ["/usr/local/bin/standin-entrypoint"]
