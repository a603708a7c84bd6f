# Stand-in for the official postgres image: Debian's PostgreSQL with an
# entrypoint honouring the same contract (POSTGRES_USER, POSTGRES_PASSWORD,
# POSTGRES_PASSWORD_FILE, POSTGRES_DB, POSTGRES_INITDB_ARGS,
# /docker-entrypoint-initdb.d, PGDATA=/var/lib/postgresql/data, port 5432).
# Unlike the official image it starts as the postgres user rather than root.
ARG BASE
FROM ${BASE}
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN set -e; bindir=$(ls -d /usr/lib/postgresql/*/bin | tail -1); \
    for f in "$bindir"/*; do ln -sf "$f" /usr/local/bin/; done; \
    mkdir -p /var/lib/postgresql/data /var/run/postgresql /docker-entrypoint-initdb.d; \
    chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql; \
    chmod 700 /var/lib/postgresql/data; chmod 2777 /var/run/postgresql
ENV PGDATA=/var/lib/postgresql/data LANG=C.UTF-8
VOLUME /var/lib/postgresql/data
USER postgres
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["postgres"]
