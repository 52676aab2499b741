#!/usr/bin/env bash
# Builds and runs the bus benchmark (see docs/benchmarks.md). Arguments go to the benchmark, e.g.
#   scripts/bench-bus.sh --rate=200 --duration=20 --rounds=3
# MVN overrides the Maven command (default ./mvnw).
set -euo pipefail
cd "$(dirname "$0")/.."
${MVN:-./mvnw} -B -ntp -q -pl it/benchmarks -am package -DskipTests
exec java -Xmx512m -Djava.util.logging.manager=org.jboss.logmanager.LogManager -jar it/benchmarks/target/corebus-benchmarks.jar "$@"
