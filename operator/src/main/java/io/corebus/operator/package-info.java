/** The Corebus Core System: a Kubernetes operator that runs plug-ins. */
package io.corebus.operator;
