package io.corebus.localcluster;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * Runs another main class in a child JVM and exits when the parent process dies.
 *
 * <p>The parent keeps the child's stdin open and never writes to it; when the parent goes away,
 * however it ends (also SIGKILL, when no shutdown hook runs), the pipe closes, the read below sees
 * end-of-file, and the child exits. So a crashed test run leaves no broker behind.
 *
 * <p>Usage: {@code java -cp ... io.corebus.localcluster.OrphanGuard <main class> [args...]}
 */
public final class OrphanGuard {
  private OrphanGuard() {}

  public static void main(String[] args) throws Throwable {
    if (args.length < 1) {
      System.err.println("usage: OrphanGuard <main class> [args...]");
      System.exit(2);
    }
    Thread watcher = new Thread(OrphanGuard::exitWhenStdinCloses, "corebus-orphan-guard");
    watcher.setDaemon(true);
    watcher.start();
    Method main = Class.forName(args[0]).getMethod("main", String[].class);
    main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
  }

  private static void exitWhenStdinCloses() {
    try (InputStream in = System.in) {
      while (in.read() >= 0) {
        // the parent never writes; anything read is ignored
      }
    } catch (IOException e) {
      // a broken pipe means the same as end-of-file
    }
    System.err.println("corebus: parent process is gone, exiting");
    Thread halt =
        new Thread(
            () -> {
              try {
                Thread.sleep(10_000);
              } catch (InterruptedException e) {
                return;
              }
              Runtime.getRuntime().halt(3);
            },
            "corebus-orphan-halt");
    halt.setDaemon(true);
    halt.start();
    System.exit(3);
  }
}
