# Stand-in for golang:<version>-bookworm: the Debian base plus the host's Go
# toolchain, and a file:// module proxy holding exactly the modules the
# project's go.sum names (the build has no network).
ARG BASE
FROM ${BASE}
COPY go /usr/local/go
COPY goproxy /goproxy
ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    GOPATH=/go GOTOOLCHAIN=local GOPROXY=file:///goproxy GOSUMDB=off
WORKDIR /go
