package io.corebus.localcluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.BitSet;

/**
 * Pod IPs on the loopback interface: {@code 127.0.1.1} to {@code 127.0.1.254}, then {@code
 * 127.0.2.1} and so on. Linux routes all of 127.0.0.0/8 to {@code lo}, so a process can bind any of
 * them without setup, and every pod can listen on the same ports, as in a cluster.
 *
 * <p>Addresses are handed out round-robin, so an address released by a deleted pod is not reused at
 * once (its sockets may linger in TIME_WAIT and its old clients may still be connected).
 */
final class LoopbackAddresses {

  private static final int PER_BLOCK = 254;
  private final int firstBlock;
  private final int size;
  private final BitSet used;
  private int next;

  /** Addresses {@code 127.<firstBlock>.x.y}, {@code blocks} * 254 of them. */
  LoopbackAddresses(int firstBlock, int blocks) {
    if (firstBlock < 1 || firstBlock + blocks - 1 > 255) {
      throw new IllegalArgumentException("blocks must lie within 127.1.0.0 - 127.0.255.255");
    }
    this.firstBlock = firstBlock;
    this.size = blocks * PER_BLOCK;
    this.used = new BitSet(size);
  }

  LoopbackAddresses() {
    this(1, 255);
  }

  /** Takes a free address; throws when all are taken. */
  synchronized String allocate() {
    for (int i = 0; i < size; i++) {
      int candidate = (next + i) % size;
      if (!used.get(candidate)) {
        used.set(candidate);
        next = (candidate + 1) % size;
        return address(candidate);
      }
    }
    throw new IllegalStateException("all " + size + " loopback pod addresses are in use");
  }

  /** Gives an address back; unknown addresses are ignored. */
  synchronized void release(String address) {
    int index = indexOf(address);
    if (index >= 0) {
      used.clear(index);
    }
  }

  synchronized int inUse() {
    return used.cardinality();
  }

  private String address(int index) {
    return "127.0." + (firstBlock + index / PER_BLOCK) + "." + (1 + index % PER_BLOCK);
  }

  private int indexOf(String address) {
    String[] parts = address.split("\\.");
    if (parts.length != 4 || !parts[0].equals("127") || !parts[1].equals("0")) {
      return -1;
    }
    try {
      int block = Integer.parseInt(parts[2]) - firstBlock;
      int host = Integer.parseInt(parts[3]) - 1;
      if (block < 0 || host < 0 || host >= PER_BLOCK) {
        return -1;
      }
      int index = block * PER_BLOCK + host;
      return index < size ? index : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * Fails with a clear message when this machine cannot bind loopback addresses other than
   * 127.0.0.1 (macOS, for one, needs {@code ifconfig lo0 alias} for each).
   */
  static void checkBindable(String address) {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getByName(address), 0));
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot bind "
              + address
              + " ("
              + e.getMessage()
              + "): the process kubelet gives each pod its own loopback address and needs an OS"
              + " that routes all of 127.0.0.0/8 to the loopback interface, as Linux does",
          e);
    }
  }
}
