# Berth in a container: one static binary on an empty base, nothing else.
#
# Build it with scripts/build-image, which builds the static binary (glibc, crt-static) and
# runs `docker build` on a context holding only what this file copies: `berth` (the binary)
# and `data/` (an empty directory). No base image is pulled: there is none.
#
#   docker run --rm -p 4566:4566 -v berth-data:/data berth:latest
#
# Settings are BERTH_* variables (every flag has one; `berth --help`). Change the port
# with BERTH_PORT, not --port: the HEALTHCHECK reads the same variable.
FROM scratch

COPY berth /berth
# State lives here (SQLite and blobs). Owned by the unprivileged user, so a fresh named
# volume mounted on /data starts with that owner too.
COPY --chown=65532:65532 data /data

# No /etc/passwd in the image: a numeric, unprivileged user and group.
USER 65532:65532
ENV BERTH_HOST=0.0.0.0 \
    BERTH_PORT=4566 \
    BERTH_DATA_DIR=/data
VOLUME /data
EXPOSE 4566

HEALTHCHECK --interval=5s --timeout=10s --start-period=10s --retries=3 \
    CMD ["/berth", "healthcheck"]

ENTRYPOINT ["/berth"]
