#!/usr/bin/env bash
# Builds and runs the cold-start benchmark (see docs/benchmarks.md): a local cluster with the real
# operator; per run, kubectl-apply of a new Plugin to its first successful call, the runtime's start
# time and its resident memory. Arguments go to the benchmark, e.g.
#   scripts/bench-cold-start.sh --runs=5
# MVN overrides the Maven command (default ./mvnw).
set -euo pipefail
cd "$(dirname "$0")/.."
${MVN:-./mvnw} -B -ntp -q -pl it/benchmarks -am package -DskipTests
exec java -Xmx384m -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
  -cp it/benchmarks/target/corebus-benchmarks.jar io.corebus.benchmarks.ColdStartBenchmark "$@"
