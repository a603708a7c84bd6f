# Stand-in for gcr.io/distroless/static-debian12:nonroot: no shell, no package
# manager; /etc/passwd and /etc/group with root, nobody and nonroot (65532),
# CA certificates, time zones, a sticky /tmp and /home/nonroot.
ARG BASE
FROM ${BASE} AS src
RUN mkdir -p /out/etc/ssl/certs /out/usr/share /out/tmp /out/home/nonroot && \
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >/out/etc/passwd && \
    printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >/out/etc/group && \
    cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ && \
    cp -a /usr/share/zoneinfo /out/usr/share/ && \
    cp /etc/os-release /out/etc/os-release && \
    chmod 1777 /out/tmp && chown 65532:65532 /out/home/nonroot

FROM scratch
COPY --from=src /out/ /
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 65532:65532
WORKDIR /home/nonroot
