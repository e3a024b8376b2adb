package dev.wsmanager.bench;

import java.util.Set;

/**
 * How long and how often to measure.
 *
 * @param quick the short smoke-test run
 * @param pairs alternating A/B pairs per comparison
 * @param warmMillis warm-up before each measurement window
 * @param windowMillis length of a throughput window
 * @param jdk17 home of the JDK 17 used for the idle footprint
 * @param jdk25 home of the JDK 25 used for the idle footprint
 * @param only scenario numbers to run, or null for all
 */
record Settings(
    boolean quick,
    int pairs,
    long warmMillis,
    long windowMillis,
    String jdk17,
    String jdk25,
    Set<String> only) {

  boolean runs(String scenario) {
    return only == null || only.contains(scenario);
  }
}
