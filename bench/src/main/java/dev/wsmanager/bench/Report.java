package dev.wsmanager.bench;

import java.util.ArrayList;
import java.util.List;

/** The results of one run: the summary table's rows and a details section per scenario. */
final class Report {
  /** One goal: which scenario, what was asked, what was measured, whether it passed. */
  record Row(String scenario, String goal, String measured, boolean pass, String command) {}

  final List<Row> rows = new ArrayList<>();
  final List<String> sections = new ArrayList<>();
  /** Regression gates that missed: the run exits non-zero when any did. */
  final List<String> failedGates = new ArrayList<>();

  void row(String scenario, String goal, String measured, boolean pass, String command) {
    rows.add(new Row(scenario, goal, measured, pass, command));
    System.out.printf("%-28s %-44s %-40s %s%n", scenario, goal, measured, pass ? "pass" : "MISS");
  }

  /** A row whose miss is a regression: the whole run then exits with status 1. */
  void gate(String scenario, String goal, String measured, boolean pass, String command) {
    row(scenario, goal, measured, pass, command);
    if (!pass) {
      failedGates.add(scenario + ": " + goal + " (measured " + measured + ")");
    }
  }

  void section(String markdown) {
    sections.add(markdown);
  }
}
