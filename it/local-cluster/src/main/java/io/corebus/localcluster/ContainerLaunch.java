package io.corebus.localcluster;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import java.nio.file.Path;
import java.util.Map;

/**
 * What the process kubelet knows when it starts one of a pod's containers, for a {@link
 * ContainerCommand} to build the command line from.
 *
 * @param pod the pod as last seen
 * @param container the container to start (its image, command and args are only hints here)
 * @param podIp the pod's own loopback address, 127.0.x.y
 * @param podDir the pod's directory (working directory of the process; volumes live below it)
 * @param tmpDir a temporary directory for this pod (use as {@code java.io.tmpdir})
 * @param heap the JVM heap for this container, such as {@code 256m}: half the container's memory
 *     limit, at least 64m and at most the kubelet's cap; the kubelet's default without a limit
 * @param environment the container's environment, already resolved (the process gets it as is)
 */
public record ContainerLaunch(
    Pod pod,
    Container container,
    String podIp,
    Path podDir,
    Path tmpDir,
    String heap,
    Map<String, String> environment) {

  public String namespace() {
    return pod.getMetadata().getNamespace();
  }

  public String podName() {
    return pod.getMetadata().getName();
  }

  public String image() {
    return container.getImage() == null ? "" : container.getImage();
  }
}
