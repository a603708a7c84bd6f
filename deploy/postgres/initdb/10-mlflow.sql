-- Runs once, when the db volume is initialised (docker-entrypoint-initdb.d):
-- the MLflow tracking server (docker-compose.yml, profile "mlflow") keeps its
-- backend store in this database. The application's own tables are created by
-- apid's embedded migrations, not here.
CREATE DATABASE mlflow;
