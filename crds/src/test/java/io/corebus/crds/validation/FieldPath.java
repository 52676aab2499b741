package io.corebus.crds.validation;

/** Field paths written the way the API server writes them: {@code spec.provides[0].service}. */
final class FieldPath {
  private FieldPath() {}

  static String child(String parent, String name) {
    return parent.isEmpty() ? name : parent + "." + name;
  }

  static String index(String parent, int index) {
    return parent + "[" + index + "]";
  }

  /** An entry of a map (an object with additionalProperties). */
  static String key(String parent, String key) {
    return parent + "[" + key + "]";
  }
}
