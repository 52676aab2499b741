package io.corebus.operator.config;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import jakarta.inject.Singleton;

/**
 * Leader election: only one operator replica reconciles at a time. QOSDK picks this bean up and
 * activates it for the profiles in {@code
 * quarkus.operator-sdk.activate-leader-election-for-profiles} (prod by default), so tests and dev
 * mode run without a Lease.
 */
@Singleton
public class OperatorLease extends LeaderElectionConfiguration {

  public OperatorLease(CorebusConfig config) {
    super(
        config.leaderElection().leaseName(), config.leaderElection().leaseNamespace().orElse(null));
  }
}
