package io.corebus.operator.validation;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The outcome of validating one Plugin.
 *
 * @param problems reasons the Plugin cannot run as written; any one of them makes it Ready=False
 *     and freezes its pods
 * @param unresolvedRequires required services no Plugin in the namespace provides: not fatal (the
 *     provider may come later), reported as Degraded
 */
public record Validation(List<Problem> problems, List<String> unresolvedRequires) {

  public Validation {
    problems = List.copyOf(problems);
    unresolvedRequires = List.copyOf(unresolvedRequires);
  }

  public boolean valid() {
    return problems.isEmpty();
  }

  /** The first problem's reason: the Ready condition has room for one. */
  public String reason() {
    return problems.isEmpty() ? null : problems.get(0).reason();
  }

  /** All problems' messages, in order. */
  public String message() {
    return problems.stream().map(Problem::message).collect(Collectors.joining("; "));
  }
}
