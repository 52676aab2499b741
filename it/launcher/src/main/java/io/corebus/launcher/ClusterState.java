package io.corebus.launcher;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;

/**
 * What a running background cluster tells the other commands: written to {@code
 * <work-dir>/cluster.properties} once it is up, removed when it stops.
 */
record ClusterState(
    long pid, String kubeconfig, String apiServer, String kafkaBootstrap, String namespace) {

  static final String FILE = "cluster.properties";

  static Path file(Path workDir) {
    return workDir.resolve(FILE);
  }

  void write(Path workDir) {
    Properties p = new Properties();
    p.setProperty("pid", String.valueOf(pid));
    p.setProperty("kubeconfig", kubeconfig);
    p.setProperty("apiServer", apiServer);
    p.setProperty("kafkaBootstrap", kafkaBootstrap);
    p.setProperty("namespace", namespace);
    Path tmp = workDir.resolve(FILE + ".tmp");
    try (Writer w = Files.newBufferedWriter(tmp)) {
      p.store(w, "the Corebus local cluster (./corebus up)");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      Files.move(
          tmp,
          file(workDir),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The state of a cluster whose process is still alive, if any. */
  static Optional<ClusterState> read(Path workDir) {
    Path f = file(workDir);
    if (!Files.isRegularFile(f)) {
      return Optional.empty();
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(f)) {
      p.load(r);
    } catch (IOException e) {
      return Optional.empty();
    }
    ClusterState s =
        new ClusterState(
            Long.parseLong(p.getProperty("pid", "-1")),
            p.getProperty("kubeconfig"),
            p.getProperty("apiServer"),
            p.getProperty("kafkaBootstrap"),
            p.getProperty("namespace"));
    return ProcessHandle.of(s.pid()).filter(ProcessHandle::isAlive).map(h -> s);
  }
}
