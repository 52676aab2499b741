package io.corebus.samples.shop.testkit;

import java.text.MessageFormat;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/** A {@link System.Logger} that keeps every line, so tests can assert what a plug-in logged. */
public final class RecordingLogger implements System.Logger {

  /** One logged line, with its parameters already formatted in. */
  public record Line(Level level, String message, Throwable thrown) {}

  private final String name;
  private final List<Line> lines = new CopyOnWriteArrayList<>();

  RecordingLogger(String name) {
    this.name = name;
  }

  @Override
  public String getName() {
    return name;
  }

  @Override
  public boolean isLoggable(Level level) {
    return true;
  }

  @Override
  public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
    lines.add(new Line(level, msg, thrown));
  }

  @Override
  public void log(Level level, ResourceBundle bundle, String format, Object... params) {
    String message =
        params == null || params.length == 0 ? format : MessageFormat.format(format, params);
    lines.add(new Line(level, message, null));
  }

  @Override
  public void log(Level level, Supplier<String> msgSupplier) {
    lines.add(new Line(level, msgSupplier.get(), null));
  }

  public List<Line> lines() {
    return List.copyOf(lines);
  }

  /** The messages logged at {@code level}, oldest first. */
  public List<String> messages(Level level) {
    return lines.stream().filter(l -> l.level() == level).map(Line::message).toList();
  }
}
