package io.corebus.crds;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

/** Where a plug-in's code comes from. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "has(self.image) != has(self.jar)",
    message = "artifact must set exactly one of image or jar")
public class Artifact {

  @JsonPropertyDescription(
      "A container image built FROM the Corebus plugin runtime image, with the plug-in jar inside. Example: registry.example.com/shop/payment:1.4.2")
  private String image;

  @JsonPropertyDescription(
      "A plug-in jar that the stock Corebus runtime image downloads at start and verifies against its sha256.")
  private JarArtifact jar;

  public Artifact() {}

  public static Artifact ofImage(String image) {
    Artifact a = new Artifact();
    a.image = image;
    return a;
  }

  public static Artifact ofJar(String url, String sha256) {
    Artifact a = new Artifact();
    a.jar = new JarArtifact(url, sha256);
    return a;
  }

  public String getImage() {
    return image;
  }

  public void setImage(String image) {
    this.image = image;
  }

  public JarArtifact getJar() {
    return jar;
  }

  public void setJar(JarArtifact jar) {
    this.jar = jar;
  }
}
