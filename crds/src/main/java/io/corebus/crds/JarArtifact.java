package io.corebus.crds;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** A plug-in jar loaded by the stock runtime image. */
public class JarArtifact {

  @Required
  @Pattern("^(https?|file)://.+$")
  @JsonPropertyDescription("URL of the plug-in jar (http, https or file).")
  private String url;

  @Required
  @Pattern("^[a-f0-9]{64}$")
  @JsonPropertyDescription(
      "SHA-256 of the jar as 64 lower-case hex characters. The runtime refuses a jar whose digest differs.")
  private String sha256;

  public JarArtifact() {}

  public JarArtifact(String url, String sha256) {
    this.url = url;
    this.sha256 = sha256;
  }

  public String getUrl() {
    return url;
  }

  public void setUrl(String url) {
    this.url = url;
  }

  public String getSha256() {
    return sha256;
  }

  public void setSha256(String sha256) {
    this.sha256 = sha256;
  }
}
