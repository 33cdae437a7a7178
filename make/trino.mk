# Trino, the engine of Athena engine 3, for tests/test_sql_trino.py: the saved queries of sql/ must give the
# same rows on it as on DuckDB. tools/trino/fetch.py downloads trino-server-core and the Hive plugin from
# Maven Central (452 MB), checks their SHA-1 and pinned SHA-256, and unpacks them into .cache/trino/<version>/
# (`make distclean` removes it). The test fixture runs the same script, so `make test` needs no step before.
# Running the server needs Java 24.0.1 or newer (a Temurin 25 JDK in /usr/lib/jvm, or TRINO_JAVA_HOME).
TRINO_PYTHON ?= $(or $(BOOTSTRAP_PYTHON),python3)

.PHONY: trino

trino: ## Download, verify and unpack the Trino server the SQL tests run (.cache/trino), when missing
	$(TRINO_PYTHON) tools/trino/fetch.py
