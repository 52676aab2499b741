package io.corebus.testfixture;

/** A class that a test plug-in jar also contains, to see which copy the plug-in gets. */
public class Shadowed {
  public static String origin() {
    return "runtime";
  }
}
