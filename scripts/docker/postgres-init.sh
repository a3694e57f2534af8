#!/bin/sh
# Runs once, when the PostgreSQL container initialises its data volume (docker-entrypoint-initdb.d).
# POSTGRES_USER owns the database and its schema: migrations run as it. The application connects as
# organigram_app, which may only read and write the tables (and use the sequences) that the owner
# creates: no DDL, no superuser, no COPY ... PROGRAM.
set -eu
: "${APP_DB_PASSWORD:?APP_DB_PASSWORD must be set (the password of the role organigram_app)}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_password="$APP_DB_PASSWORD" -v owner="$POSTGRES_USER" -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE organigram_app LOGIN PASSWORD :'app_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO organigram_app;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO organigram_app;
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO organigram_app;
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO organigram_app;
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO organigram_app;
SQL
